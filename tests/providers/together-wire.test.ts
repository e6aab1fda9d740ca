import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { readTogetherSse } from '../../src/providers/together/sse.ts';
import { mapStreamChunk, mapUsage, parseTogetherJson } from '../../src/providers/together/wire.ts';
import { fixtureText, sseEvents } from '../helpers/recordings.ts';

/** A Response whose body arrives in exactly these byte pieces. */
function responseOf(pieces: Uint8Array[]): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) controller.enqueue(p);
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
}

async function collect(response: Response): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const value of readTogetherSse(response)) out.push(value);
  return out;
}

describe('parseTogetherJson', () => {
  it('keeps integers beyond 2^53 as their exact digits and leaves everything else as JSON.parse would', () => {
    const text = '{"seed": 18446744073709551557, "neg": -9007199254740993, "safe": 9007199254740991, "created": 1780235464, "f": 1.5e300, "x": 0.1}';
    expect(parseTogetherJson(text)).toEqual({ seed: '18446744073709551557', neg: '-9007199254740993', safe: 9007199254740991, created: 1780235464, f: 1.5e300, x: 0.1 });
  });

  it('never touches digits inside strings, escaped quotes and backslashes included', () => {
    const text = JSON.stringify({ content: 'seed 12345678901234567890 "quoted" \\ end', args: '{"n": 99999999999999999999}', seed: 1 }).replace('"seed":1', '"seed":12345678901234567890');
    expect(parseTogetherJson(text)).toEqual({ content: 'seed 12345678901234567890 "quoted" \\ end', args: '{"n": 99999999999999999999}', seed: '12345678901234567890' });
  });

  it('agrees with JSON.parse on every recorded chunk except for the seeds', () => {
    for (const file of ['stream-tool-call-llama33-70b.sse', 'stream-gpt-oss-120b-tool-call.sse', 'stream-kimi-k2-thinking-reasoning.sse']) {
      for (const { raw, json } of sseEvents(fixtureText(file))) {
        const ours = parseTogetherJson(raw) as any;
        const seed = /"seed":(\d+)/.exec(raw)?.[1];
        if (seed) {
          expect(ours.choices[0].seed).toBe(seed);
          ours.choices[0].seed = json.choices[0].seed;
        }
        expect(ours).toEqual(json);
      }
    }
  });

  it('throws SyntaxError on malformed text (mapped to UPSTREAM_UNAVAILABLE upstream)', () => {
    expect(() => parseTogetherJson('{"id":"broken",')).toThrow(SyntaxError);
  });

  it('agrees with a reference on 2,000 generated bodies: escapes, quotes and digits in strings, big and small numbers around them', () => {
    let state = 0x2545f491;
    const rand = (n: number): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const alphabet = ['"', '\\', '1', '9', '0', 'a', ' ', ':', ',', '{', '}', '[', 'é', '世', '\n', '-', 'e', '.'];
    const text = (): string => Array.from({ length: rand(24) }, () => alphabet[rand(alphabet.length)]).join('');
    const digits = (n: number): string => String(1 + rand(9)) + Array.from({ length: n - 1 }, () => String(rand(10))).join('');
    for (let doc = 0; doc < 2000; doc++) {
      // Each value: [its JSON text, what parseTogetherJson must give back].
      const values: Array<[string, unknown]> = Array.from({ length: 1 + rand(6) }, () => {
        switch (rand(6)) {
          case 0: {
            const big = `${rand(2) ? '-' : ''}${digits(20 + rand(5))}`;
            return [big, big];
          }
          case 1:
            return ['9007199254740991', 9007199254740991];
          case 2: {
            const s = text();
            return [JSON.stringify(s), s];
          }
          case 3:
            return ['1.2345678901234567e21', 1.2345678901234567e21];
          case 4:
            return [`0.${digits(18)}`, Number(`0.${digits(1)}`)];
          default:
            return [`{"k${rand(9)}":${JSON.stringify(text())}}`, null];
        }
      });
      const body = `{"a":[${values.map(([json]) => json).join(',')}],"s":${JSON.stringify(text())}}`;
      const parsed = parseTogetherJson(body) as { a: unknown[]; s: string };
      const reference = JSON.parse(body) as { a: unknown[]; s: string };
      expect(parsed.s).toBe(reference.s);
      values.forEach(([json, expected], k) => {
        if (typeof expected === 'string' && /^-?\d+$/.test(expected) && json === expected) expect(parsed.a[k], body).toBe(expected);
        else expect(parsed.a[k], body).toEqual(reference.a[k]);
      });
    }
  });
});

describe('readTogetherSse', () => {
  const enc = new TextEncoder();

  it('reassembles events split anywhere, CRLF split across reads and a multi-byte character split included', async () => {
    const text = ': keep-alive\r\ndata: {"a":"h\u00e9llo \u2603"}\r\n\r\ndata: {"seed":15924764223251450001}\r\n\r\ndata: [DONE]\r\n\r\n';
    const bytes = enc.encode(text);
    // One byte per read: every boundary, including between \r and \n and inside the UTF-8 sequences.
    const pieces = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(await collect(responseOf(pieces))).toEqual([{ a: 'h\u00e9llo \u2603' }, { seed: '15924764223251450001' }]);
  });

  it('joins multi-line data, accepts bare \\r line ends and a last event without a blank line, ignores other fields', async () => {
    const text = 'event: message\rdata: {"a":\rdata: 1}\r\rid: 7\ndata: {"b":2}';
    expect(await collect(responseOf([enc.encode(text)]))).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('ignores anything after [DONE] but reads the body to its end', async () => {
    const text = 'data: {"a":1}\n\ndata: [DONE]\n\ndata: {"late":true}\n\n';
    expect(await collect(responseOf([enc.encode(text)]))).toEqual([{ a: 1 }]);
  });

  it('an error event throws an APIError without status (Together failing mid-stream)', async () => {
    const text = 'data: {"a":1}\n\ndata: {"error":{"message":"overloaded","type":"server_error"}}\n\n';
    const seen: unknown[] = [];
    const err = await (async () => {
      try {
        for await (const v of readTogetherSse(responseOf([enc.encode(text)]))) seen.push(v);
      } catch (e) {
        return e;
      }
    })();
    expect(seen).toEqual([{ a: 1 }]);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBeUndefined();
  });

  it('replays a recorded stream event for event', async () => {
    const text = fixtureText('stream-deepseek-v4-pro-reasoning.sse');
    const values = await collect(responseOf([enc.encode(text)]));
    expect(values).toEqual(sseEvents(text).map((e) => e.json));
  });
});

describe('wire mapping details', () => {
  it('usage: Together\'s top-level extras and OpenAI\'s *_details (null details tolerated, as Kimi sends)', () => {
    expect(mapUsage({ prompt_tokens: 33, completion_tokens: 68, total_tokens: 101, prompt_tokens_details: null, reasoning_tokens: 0 })).toEqual({
      promptTokens: 33, completionTokens: 68, totalTokens: 101, cachedTokens: undefined, reasoningTokens: 0,
    });
    expect(mapUsage({ prompt_tokens: 10, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 3 } })).toMatchObject({
      totalTokens: 15, cachedTokens: 4, reasoningTokens: 3,
    });
  });

  it('a usage-only chunk (choices: []) has no deltas and no finish reason', () => {
    expect(mapStreamChunk({ id: 'x', choices: [], model: 'm', usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } })).toMatchObject({
      delta: '', reasoningDelta: '', toolCallDeltas: [], finishReason: null, seed: null, usage: { totalTokens: 3 },
    });
  });

  it('tool-call pieces without an index take their position; empty pieces are dropped', () => {
    const chunk = mapStreamChunk({ choices: [{ index: 0, delta: { tool_calls: [{ function: { arguments: '{"a"' } }, { id: 'c2', function: { name: 'g', arguments: '' } }, { index: 5 }] } }] });
    expect(chunk.toolCallDeltas).toEqual([
      { index: 0, id: null, name: null, argumentsDelta: '{"a"' },
      { index: 1, id: 'c2', name: 'g', argumentsDelta: '' },
    ]);
  });
});
