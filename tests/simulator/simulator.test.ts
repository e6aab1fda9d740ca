import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTogetherSimulator, synthesizeReply, type TogetherSimulator } from '../../src/simulator/index.ts';

const FIX = new URL('../../fixtures/together/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIX), 'utf8');
const recordedErrors = JSON.parse(fixture('errors.json')) as Array<{ status: number; raw: string; note: string }>;
const rawError = (status: number, noteIncludes: string) =>
  recordedErrors.find((e) => e.status === status && e.note.includes(noteIncludes))!.raw;

const LLAMA = 'meta-llama/Llama-3.2-3B-Instruct-Turbo';
const GPT_OSS = 'openai/gpt-oss-120b';
const AUTH = { authorization: 'Bearer test-key', 'content-type': 'application/json' };

let sim: TogetherSimulator;
beforeAll(async () => {
  sim = createTogetherSimulator();
  await sim.start();
});
afterEach(() => sim.reset());
afterAll(() => sim.close());

function chat(body: unknown, init: RequestInit = {}, base = sim.url) {
  return fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: AUTH,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}
const msgs = (content = 'hello big world') => [
  { role: 'system', content: 'be brief' },
  { role: 'user', content },
];
const events = (text: string) => text.split('\n\n').filter((e) => e !== '');
const jsonEvents = (text: string) =>
  events(text)
    .filter((e) => e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice('data: '.length)));

/** Read a body until it ends or errors; returns the text received so far. */
async function readAll(res: Response): Promise<{ text: string; error?: unknown }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text };
      text += dec.decode(value, { stream: true });
    }
  } catch (error) {
    return { text, error };
  }
}

describe('routes', () => {
  it('GET /models returns the bare recorded array', async () => {
    const res = await fetch(`${sim.url}/models`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json() as any;
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(131);
    expect(sim.stats.modelsCalls).toBe(1);
  });

  it('missing Authorization is 401 with the recorded bodies', async () => {
    const m = await fetch(`${sim.url}/models`);
    expect(m.status).toBe(401);
    expect(await m.text()).toBe('{"error":{"message":"Unauthorized"}}');
    const c = await chat({ model: LLAMA, messages: msgs() }, { headers: { 'content-type': 'application/json' } });
    expect(c.status).toBe(401);
    expect((await c.json() as any).error.code).toBe('invalid_api_key');
  });

  it('unknown model → 404 model_not_available naming the model', async () => {
    const res = await chat({ model: 'nope/x', stream: true, messages: msgs() });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json() as any;
    expect(body.error.code).toBe('model_not_available');
    expect(body.error.message).toMatch(/^Unable to access model nope\/x\. /);
  });

  it('validation: empty messages and unparseable JSON → 400', async () => {
    const empty = await chat({ model: LLAMA, messages: [] });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toBe(rawError(400, 'Prompt cannot be empty'));
    const bad = await chat('{"model":');
    expect(bad.status).toBe(400);
    expect((await bad.json() as any).error.type).toBe('invalid_request_error');
    expect(sim.stats.requests.at(-1)!.body).toBe('{"model":');
  });

  it('non-stream synthetic reply matches synthesizeReply', async () => {
    const req = { model: LLAMA, messages: msgs('hello   big\nworld') };
    const res = await chat(req);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"seed":12658879820317954000');
    const body = JSON.parse(text);
    const exp = synthesizeReply(req);
    expect(exp.tokens).toEqual(['Echo:', ' hello', ' big', ' world']);
    expect(exp.promptTokens).toBe(2 + 3 + 3 * 2);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: LLAMA,
      prompt: [],
      choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: 'Echo: hello big world', tool_calls: [] } }],
      usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15, cached_tokens: 0 },
    });
    const rec = sim.stats.requests.at(-1)!;
    expect(rec.body).toEqual(req);
    expect(rec.headers.authorization).toBe('Bearer test-key');
  });

  it('stream (Llama): usage on the finish chunk', async () => {
    const req = { model: LLAMA, stream: true, messages: msgs() };
    const res = await chat(req);
    expect(res.headers.get('content-type')).toBe('text/event-stream;charset=utf-8');
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const chunks = jsonEvents(text);
    const exp = synthesizeReply(req);
    expect(chunks).toHaveLength(exp.tokens.length + 1);
    expect(chunks.slice(0, -1).map((c) => c.choices[0].delta.content)).toEqual(exp.tokens);
    expect(chunks[0]).toMatchObject({ object: 'chat.completion.chunk', model: LLAMA, usage: null });
    expect(chunks[0].choices[0]).toMatchObject({ text: 'Echo:', seed: null, finish_reason: null, delta: { role: 'assistant', tool_calls: null } });
    expect(Number.isInteger(chunks[0].choices[0].delta.token_id)).toBe(true);
    const fin = chunks.at(-1);
    expect(fin.choices[0]).toMatchObject({ finish_reason: 'stop', delta: { content: '' } });
    expect(fin.usage).toEqual({ prompt_tokens: exp.promptTokens, completion_tokens: exp.tokens.length, total_tokens: exp.promptTokens + exp.tokens.length, cached_tokens: 0 });
    await sim.waitFor((s) => s.completedStreams === 1 && s.openStreams === 0);
    expect(sim.stats).toMatchObject({ chatCalls: 1, streamCalls: 1 });
  });

  it('stream (gpt-oss): usage on a separate choices:[] chunk; usageStyle fault forces it', async () => {
    for (const [model, fault] of [[GPT_OSS, undefined], [LLAMA, { usageStyle: 'separate' as const }]] as const) {
      if (fault) sim.addFault(fault);
      const chunks = jsonEvents(await (await chat({ model, stream: true, messages: msgs() })).text());
      const fin = chunks.at(-2);
      expect(fin.choices[0].finish_reason).toBe('stop');
      expect(fin.usage).toBeNull();
      expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 4, cached_tokens: 0 } });
    }
  });

  it('max_tokens truncates with finish_reason length', async () => {
    const req = { model: LLAMA, stream: true, max_tokens: 2, messages: msgs('a b c d') };
    const chunks = jsonEvents(await (await chat(req)).text());
    expect(chunks.map((c) => c.choices[0].delta.content).join('')).toBe('Echo: a');
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
    expect(chunks.at(-1).usage.completion_tokens).toBe(2);
    const body = await (await chat({ ...req, stream: false })).json() as any;
    expect(body.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'Echo: a' } });
  });
});

describe('scenario replay', () => {
  it('streams the recorded bytes, returns recorded JSON, and swaps chat-/stream- names', async () => {
    sim.addFault({ scenario: 'stream-gpt-oss-120b-reasoning' });
    expect(await (await chat({ model: GPT_OSS, stream: true, messages: msgs() })).text()).toBe(fixture('stream-gpt-oss-120b-reasoning.sse'));
    sim.addFault({ scenario: 'chat-gpt-oss-120b-reasoning' });
    expect(await (await chat({ model: GPT_OSS, messages: msgs() })).text()).toBe(fixture('chat-gpt-oss-120b-reasoning.json'));
    sim.addFault({ scenario: 'chat-llama32-3b-text' }); // route defaults to 'chat': /models does not consume it
    expect((await fetch(`${sim.url}/models`, { headers: AUTH })).status).toBe(200);
    expect(await (await chat({ model: LLAMA, stream: true, messages: msgs() })).text()).toBe(fixture('stream-llama32-3b-text.sse'));
    sim.addFault({ scenario: 'no-such-thing' });
    expect((await chat({ model: LLAMA, stream: true, messages: msgs() })).status).toBe(500);
  });
});

describe('faults', () => {
  it('429 carries the recorded rate_limit body and rate-limit headers (overridable)', async () => {
    sim.addFault({ status: 429, route: 'chat' });
    const res = await chat({ model: LLAMA, stream: true, messages: msgs() });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('x-ratelimit-limit')).toBe('60');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset')).toBe('1');
    expect(await res.text()).toBe(rawError(429, 'rate_limit (account'));
    sim.addFault({ status: 429, headers: { 'Retry-After': '7' } });
    const res2 = await chat({ model: LLAMA, messages: msgs() });
    expect(res2.headers.get('retry-after')).toBe('7');
    expect(res2.headers.get('x-ratelimit-limit')).toBeNull();
  });

  it('500, 403, 503 and 521 bodies', async () => {
    sim.addFault({ status: 500 });
    const r500 = await chat({ model: LLAMA, stream: true, messages: msgs() });
    expect(r500.status).toBe(500);
    expect(await r500.text()).toBe(rawError(500, 'chat/completions'));
    sim.addFault({ status: 403 });
    expect((await (await chat({ model: LLAMA, messages: msgs() })).json() as any).error.message).toMatch(/must be <= 131072/);
    sim.addFault({ status: 503 });
    expect((await (await chat({ model: LLAMA, messages: msgs() })).json() as any).error.type).toBe('server_error');
    sim.addFault({ status: 521, route: 'models' });
    const r521 = await fetch(`${sim.url}/models`, { headers: AUTH });
    expect(r521.status).toBe(521);
    expect(r521.headers.get('content-type')).toBe('text/plain; charset=UTF-8');
    expect(await r521.text()).toBe('error code: 521');
  });

  it('firstByteDelayMs and chunkDelayMs delay the response', async () => {
    sim.addFault({ firstByteDelayMs: 150 });
    let t = Date.now();
    await (await fetch(`${sim.url}/models`, { headers: AUTH })).arrayBuffer();
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
    sim.addFault({ chunkDelayMs: 40 });
    t = Date.now();
    await (await chat({ model: LLAMA, stream: true, messages: msgs('x') })).text(); // 3 chunks + [DONE]
    expect(Date.now() - t).toBeGreaterThanOrEqual(110);
  });

  it('firstByteDelayMs is cancelled by client abort', async () => {
    sim.addFault({ firstByteDelayMs: 60_000 });
    await expect(fetch(`${sim.url}/models`, { headers: AUTH, signal: AbortSignal.timeout(50) })).rejects.toThrow();
    expect((await fetch(`${sim.url}/models`, { headers: AUTH })).status).toBe(200);
  });

  it('cutAfterChunks destroys the socket without [DONE]', async () => {
    sim.addFault({ cutAfterChunks: 2 });
    const res = await chat({ model: LLAMA, stream: true, messages: msgs() });
    expect(res.status).toBe(200);
    const { text, error } = await readAll(res);
    expect(error).toBeDefined();
    expect(events(text)).toHaveLength(2);
    expect(text).not.toContain('[DONE]');
    await sim.waitFor((s) => s.cutStreams === 1 && s.openStreams === 0);
    expect(sim.stats.completedStreams).toBe(0);
  });

  it('malformedAtChunk sends invalid JSON for that chunk only', async () => {
    sim.addFault({ malformedAtChunk: 1 });
    const evs = events(await (await chat({ model: LLAMA, stream: true, messages: msgs() })).text());
    expect(evs[1]).toBe('data: {"id":"broken",');
    expect(() => JSON.parse(evs[1]!.slice(6))).toThrow();
    expect(JSON.parse(evs[2]!.slice(6)).choices[0].delta.content).toBe(' big');
    expect(evs.at(-1)).toBe('data: [DONE]');
  });

  it('stallAfterChunks goes silent; client abort counts as abortedStreams', async () => {
    sim.addFault({ stallAfterChunks: 2 });
    const ac = new AbortController();
    const res = await chat({ model: LLAMA, stream: true, messages: msgs() }, { signal: ac.signal });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    while (events(text).length < 2) text += dec.decode((await reader.read()).value, { stream: true });
    expect(sim.stats.openStreams).toBe(1);
    ac.abort();
    await sim.waitFor((s) => s.abortedStreams === 1 && s.openStreams === 0);
    expect(events(text)).toHaveLength(2);
  });

  it('firstChunkDelayMs sends the headers at once and the first chunk later (a long prefill)', async () => {
    sim.addFault({ firstChunkDelayMs: 300 });
    const res = await chat({ model: LLAMA, stream: true, messages: msgs() });
    expect(res.status).toBe(200);
    // The headers are here and the stream is open, but no chunk comes for a while (without the fault, the first
    // chunk follows the headers at once).
    expect(sim.stats.openStreams).toBe(1);
    const reader = res.body!.getReader();
    const first = reader.read();
    const nothingYet = await Promise.race([first.then(() => false), new Promise<true>((r) => setTimeout(() => r(true), 100))]);
    expect(nothingYet).toBe(true);
    const dec = new TextDecoder();
    let text = dec.decode((await first).value, { stream: true });
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += dec.decode(r.value, { stream: true });
    expect(events(text).at(-1)).toBe('data: [DONE]');
    expect(sim.stats.completedStreams).toBeGreaterThanOrEqual(1);
  });

  it('times counts matching requests; route filters', async () => {
    sim.addFault({ status: 500, times: 2, route: 'chat' });
    sim.addFault({ status: 502, route: 'models', times: Infinity });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await chat({ model: LLAMA, messages: msgs() })).status);
    expect(statuses).toEqual([500, 500, 200]);
    expect((await fetch(`${sim.url}/models`, { headers: AUTH })).status).toBe(502);
    expect((await fetch(`${sim.url}/models`, { headers: AUTH })).status).toBe(502);
    sim.clearFaults();
    expect((await fetch(`${sim.url}/models`, { headers: AUTH })).status).toBe(200);
  });
});

describe('control surface and robustness', () => {
  it('POST/DELETE /__sim/faults, GET /__sim/stats, POST /__sim/reset', async () => {
    const base = sim.url.replace(/\/v1$/, '');
    const add = await fetch(`${base}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify([{ status: 500, route: 'chat' }, { status: 429, times: 'Infinity', route: 'models' }]),
    });
    expect(await add.json() as any).toMatchObject({ added: 2 });
    expect((await chat({ model: LLAMA, messages: msgs() })).status).toBe(500);
    expect((await fetch(`${sim.url}/models`, { headers: AUTH })).status).toBe(429);
    const stats = await (await fetch(`${base}/__sim/stats`)).json() as any;
    expect(stats).toMatchObject({ chatCalls: 1, modelsCalls: 1 });
    expect(stats.requests).toHaveLength(2);
    expect((await fetch(`${base}/__sim/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${sim.url}/models`, { headers: AUTH })).status).toBe(200);
    expect((await fetch(`${base}/__sim/faults`, { method: 'POST', body: '{"status":"x"}' })).status).toBe(400);
    await fetch(`${base}/__sim/reset`, { method: 'POST' });
    expect(sim.stats).toMatchObject({ chatCalls: 0, modelsCalls: 0, requests: [] });
  });

  it('apiKey option: wrong bearer → 401 recorded bodies, right bearer → 200', async () => {
    const keyed = createTogetherSimulator({ apiKey: 'secret', latencyMs: 30 });
    const url = await keyed.start();
    try {
      const bad = await chat({ model: LLAMA, messages: msgs() }, {}, url);
      expect(bad.status).toBe(401);
      expect(await bad.text()).toBe(rawError(401, 'stream=false'));
      const badModels = await fetch(`${url}/models`, { headers: AUTH });
      expect(await badModels.text()).toBe('{"error":{"message":"Unauthorized"}}');
      const t = Date.now();
      const good = await fetch(`${url}/models`, { headers: { authorization: 'Bearer secret' } });
      expect(good.status).toBe(200);
      expect(Date.now() - t).toBeGreaterThanOrEqual(25);
    } finally {
      await keyed.close();
    }
  });

  it('survives garbage HTTP and odd bodies', async () => {
    const port = sim.port;
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.end('GARBAGE \x00\x01 nonsense\r\n\r\n'));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.resume();
    });
    for (const body of ['null', '[]', '"x"', '{"model":5,"messages":"x"}']) {
      expect((await chat(body)).status).toBeGreaterThanOrEqual(400);
    }
    expect((await chat({ model: LLAMA, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi there' }] }] })).status).toBe(200);
    expect((await fetch(`${sim.url}/models`, { headers: AUTH })).status).toBe(200);
  });
});
