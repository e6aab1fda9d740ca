import { connect } from 'node:net';
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { synthesizeReply } from '../../src/simulator/index.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import { jsonOf, newKey, openai, postChat, rowsOf, sseData, waitForRows } from './helpers.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { STREAM_IDLE_TIMEOUT_MS: '500', UPSTREAM_TIMEOUT_MS: '1500', UPSTREAM_MAX_RETRIES: '0' } });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.clearFaults());

const prompt = 'one two three four five six seven eight';
const expected = (content: string, max?: number) => synthesizeReply({ messages: [{ role: 'user', content }], max_tokens: max });
const lastSent = () => stack.sim.stats.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body;

describe('POST /v1/chat/completions (non-stream) with the openai client', () => {
  it('answers in OpenAI\'s shape with usage, cost_usd, a request id and the gateway overhead', async () => {
    const { data, response, request_id } = await openai(stack)
      .chat.completions.create({ model: LLAMA, messages: [{ role: 'user', content: prompt }] })
      .withResponse();
    const reply = expected(prompt);
    const total = reply.promptTokens + reply.tokens.length;
    expect(data).toMatchObject({
      object: 'chat.completion',
      model: LLAMA,
      choices: [{ index: 0, message: { role: 'assistant', content: reply.tokens.join('') }, finish_reason: 'stop' }],
      usage: { prompt_tokens: reply.promptTokens, completion_tokens: reply.tokens.length, total_tokens: total },
    });
    expect(data.id).toMatch(/^sim-/);
    expect(Math.abs(data.created - Date.now() / 1000)).toBeLessThan(5);
    expect((data as unknown as { cost_usd: number }).cost_usd).toBe((total * 0.88) / 1e6);
    expect(request_id).toMatch(/^[\w-]{36}$/);
    expect(Number(response.headers.get('x-gateway-overhead-ms'))).toBeGreaterThanOrEqual(0);
  });

  it('maps finish reasons to OpenAI words (length)', async () => {
    const data = await openai(stack).chat.completions.create({ model: LLAMA, messages: [{ role: 'user', content: prompt }], max_tokens: 2 });
    expect(data.choices[0]).toMatchObject({ finish_reason: 'length' });
    expect(data.usage?.completion_tokens).toBe(2);
  });

  it('maps every OpenAI field onto the one request Together receives', async () => {
    await openai(stack).chat.completions.create({
      model: LLAMA,
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'system', content: [{ type: 'text', text: 'Part one.' }, { type: 'text', text: 'Part two.' }] },
        { role: 'user', content: 'hello', name: 'ann' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', content: 'result', tool_call_id: 'c1' },
        { role: 'user', content: 'again' },
      ],
      max_completion_tokens: 40,
      temperature: 0.5,
      top_p: 0.9,
      stop: 'END',
      seed: 42,
      user: 'end-user-7',
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      tools: [{ type: 'function', function: { name: 'f', description: 'a tool', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      logit_bias: { '1': 1 },
    });
    expect(lastSent()).toMatchObject({
      model: LLAMA,
      max_tokens: 40,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['END'],
      seed: 42,
      user: 'end-user-7',
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      tools: [{ type: 'function', function: { name: 'f', description: 'a tool', parameters: { type: 'object', properties: {} } } }],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Part one.\nPart two.' },
        { role: 'user', content: 'hello', name: 'ann' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', content: 'result', tool_call_id: 'c1' },
        { role: 'user', content: 'again' },
      ],
    });
    // Fields the gateway does not support are not forwarded.
    expect(lastSent()).not.toHaveProperty('logit_bias');
  });

  it('max_tokens works as well, and the seed\'s optional "provider" is honoured', async () => {
    const body = { model: 'Qwen/Qwen2.5-7B-Instruct-Turbo', provider: 'together', messages: [{ role: 'user', content: 'hi' }], max_tokens: 7 };
    const res = await postChat(stack, body);
    expect(res.status).toBe(200);
    expect((await jsonOf(res)).provider).toBe('together');
    expect(lastSent()).toMatchObject({ model: 'Qwen/Qwen2.5-7B-Instruct-Turbo', max_tokens: 7 });
  });

  it('x-gateway-overhead-ms leaves out the time Together took', async () => {
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 400 });
    const started = performance.now();
    const res = await postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: 'hi' }] });
    const elapsed = performance.now() - started;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThan(400);
    const overhead = Number(res.headers.get('x-gateway-overhead-ms'));
    expect(overhead).toBeGreaterThanOrEqual(0);
    // Together alone took 400 ms of the elapsed time: the overhead cannot include it.
    expect(overhead).toBeLessThan(elapsed - 350);
  });

  it('honours a valid incoming x-request-id and replaces an invalid one', async () => {
    const mine = await postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: 'hi' }] }, { 'x-request-id': 'client-req.42' });
    expect(mine.headers.get('x-request-id')).toBe('client-req.42');
    const bad = await postChat(stack, { model: LLAMA, messages: [] }, { 'x-request-id': 'no spaces allowed' });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    for (const path of ['/healthz', '/v1/models', '/catalog/models', '/v1/nothing-here']) {
      expect((await fetch(`${stack.url}${path}`, { headers: { 'x-request-id': 'r-1' } })).headers.get('x-request-id')).toBe('r-1');
    }
    const gql = await stack.gql('{ models(type: RERANK) { id } }', undefined, { 'x-request-id': 'gql-7' });
    expect(gql.headers.get('x-request-id')).toBe('gql-7');
  });

  it('a client that hangs up before the answer aborts the call; the row says cancelled', async () => {
    const k = await newKey(stack, 'rest-hangup');
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 1000 });
    const controller = new AbortController();
    const before = stack.sim.stats.chatCalls;
    const pending = postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: 'hi' }] }, k.headers, controller.signal);
    await stack.sim.waitFor((s) => s.chatCalls === before + 1);
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toThrow();
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ cancelled: true, errorCode: null, finishReason: 'CANCELLED', stream: false });
  });
});

describe('POST /v1/chat/completions with "stream": true', () => {
  it('the openai client assembles the text and reads usage and cost from the final chunk', async () => {
    const stream = await openai(stack).chat.completions.create({
      model: LLAMA,
      messages: [{ role: 'user', content: prompt }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const reply = expected(prompt);
    const total = reply.promptTokens + reply.tokens.length;
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(reply.tokens.join(''));
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.id === chunks[0]!.id && c.model === LLAMA)).toBe(true);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual({ prompt_tokens: reply.promptTokens, completion_tokens: reply.tokens.length, total_tokens: total, prompt_tokens_details: { cached_tokens: 0 } });
    expect((last as unknown as { cost_usd: number }).cost_usd).toBe((total * 0.88) / 1e6);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('SSE framing: text/event-stream, one `data:` line per event, [DONE] last; no usage chunk unless asked', async () => {
    const res = await postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: 'alpha beta' }], stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(Number(res.headers.get('x-gateway-overhead-ms'))).toBeGreaterThanOrEqual(0);
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(expected('alpha beta').tokens.join(''));
    expect(chunks.at(-1).choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c) && !('cost_usd' in c))).toBe(true);
  });

  it('streams as Together sends: the first chunk arrives while Together is still streaming', async () => {
    stack.sim.addFault({ route: 'chat', chunkDelayMs: 60 });
    const stream = await openai(stack).chat.completions.create({ model: LLAMA, messages: [{ role: 'user', content: prompt }], stream: true });
    const openAtChunk: number[] = [];
    for await (const _chunk of stream) openAtChunk.push(stack.sim.stats.openStreams);
    expect(openAtChunk[1]).toBe(1);
  });

  it('a client disconnect mid-stream aborts the upstream call; the row says cancelled with the tokens so far', async () => {
    const k = await newKey(stack, 'rest-stream-hangup');
    const before = stack.sim.stats.abortedStreams;
    stack.sim.addFault({ route: 'chat', chunkDelayMs: 50 });
    const stream = await openai(stack, k.key).chat.completions.create({ model: LLAMA, messages: [{ role: 'user', content: `${prompt} nine ten` }], stream: true });
    let contentChunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) contentChunks++;
      if (contentChunks === 2) break; // the SDK aborts its request: the socket closes
    }
    await stack.sim.waitFor((s) => s.abortedStreams === before + 1, 2000);
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: true, cancelled: true, errorCode: null, finishReason: 'CANCELLED', usageEstimated: true });
    expect(rows[0]!.completionTokens).toBeGreaterThanOrEqual(2);
    expect(rows[0]!.completionTokens).toBeLessThan(11);
  });

  describe('a failure after the stream started: a data: {"error"} line, then the end (no [DONE])', () => {
    it('Together cuts the stream → UPSTREAM_UNAVAILABLE, and the openai client throws it', async () => {
      stack.sim.addFault({ route: 'chat', cutAfterChunks: 3 });
      const res = await postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: prompt }], stream: true });
      expect(res.status).toBe(200);
      const data = sseData(await res.text());
      expect(data).not.toContain('[DONE]');
      expect(JSON.parse(data.at(-1)!)).toEqual({
        error: { message: expect.any(String), type: 'api_error', code: 'UPSTREAM_UNAVAILABLE', param: null },
      });
      expect(data.slice(0, -1).map((d) => JSON.parse(d).choices[0].delta.content ?? '').join('')).toBe(expected(prompt).tokens.slice(0, 3).join(''));

      stack.sim.addFault({ route: 'chat', cutAfterChunks: 3 });
      const stream = await openai(stack).chat.completions.create({ model: LLAMA, messages: [{ role: 'user', content: prompt }], stream: true });
      const consume = async () => {
        for await (const _chunk of stream);
      };
      await expect(consume()).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', type: 'api_error' });
    });

    it('Together goes silent past STREAM_IDLE_TIMEOUT_MS → UPSTREAM_TIMEOUT; the row has the code', async () => {
      const k = await newKey(stack, 'rest-stream-stall');
      stack.sim.addFault({ route: 'chat', stallAfterChunks: 2 });
      const res = await postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: prompt }], stream: true }, k.headers);
      const data = sseData(await res.text());
      expect(JSON.parse(data.at(-1)!).error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', type: 'api_error' });
      expect((await rowsOf(stack, k.id))[0]).toMatchObject({ errorCode: 'UPSTREAM_TIMEOUT', cancelled: false, stream: true });
    });
  });

  it('errors before the first byte are plain JSON errors with their status', async () => {
    stack.sim.addFault({ route: 'chat', status: 429, times: Infinity, headers: { 'retry-after': '9' } });
    const res = await postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: 'hi' }], stream: true });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('retry-after')).toBe('9');
    expect((await jsonOf(res)).error).toMatchObject({ code: 'RATE_LIMITED', type: 'rate_limit_error' });
  });
});

describe('when the SSE headers go out', () => {
  /** The first bytes a raw socket reads back for one streamed chat call. */
  function firstRead(body: unknown): Promise<string> {
    const url = new URL(stack.url);
    const json = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write(
          `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${stack.key}\r\n` +
            `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`,
        );
      });
      socket.once('data', (chunk) => {
        resolve(chunk.toString('utf8'));
        socket.destroy();
      });
      socket.once('error', reject);
    });
  }

  it('with the first event, in one write: the client reads status, headers and the first chunk at once', async () => {
    // Together's headers come 20 ms before its first chunk: sent at once, ours would be read alone.
    stack.sim.addFault({ route: 'chat', firstChunkDelayMs: 20 });
    const first = await firstRead({ model: LLAMA, messages: [{ role: 'user', content: prompt }], stream: true });
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toMatch(/content-type: text\/event-stream/i);
    expect(first).toContain('data: {"id":');
  });

  it('alone, soon, when the first event is slow (a long prefill): the stream is seen to start', async () => {
    stack.sim.addFault({ route: 'chat', firstChunkDelayMs: 400 });
    const first = await firstRead({ model: LLAMA, messages: [{ role: 'user', content: prompt }], stream: true });
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).not.toContain('data:');
    // …and the stream then runs as usual.
    stack.sim.addFault({ route: 'chat', firstChunkDelayMs: 400 });
    const res = await postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: prompt }], stream: true });
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.slice(0, -1).map((d) => JSON.parse(d).choices[0]?.delta?.content ?? '').join('')).toBe(expected(prompt).tokens.join(''));
  });
});

describe('shutdown drains REST streams like GraphQL ones', () => {
  it('a stream still running past DRAIN_TIMEOUT_MS ends with an UPSTREAM_UNAVAILABLE error line', async () => {
    const own = await startStack({ env: { DRAIN_TIMEOUT_MS: '200', UPSTREAM_MAX_RETRIES: '0' } });
    own.sim.addFault({ route: 'chat', chunkDelayMs: 100 });
    const res = await postChat(own, { model: LLAMA, messages: [{ role: 'user', content: `${prompt} ${prompt} ${prompt}` }], stream: true });
    expect(own.gateway.services.streams.size).toBe(1);
    const closing = own.close();
    const data = sseData(await res.text());
    await closing;
    expect(JSON.parse(data.at(-1)!).error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', message: expect.stringContaining('shutting down') });
    expect(data.length).toBeGreaterThan(2);
  });
});
