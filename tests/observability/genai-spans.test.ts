import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { openStore } from '../../src/store/index.ts';
import { type OtlpReceiver, type ReceivedSpan, otlpExportEnv, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { type GatewayProcess, GatewayProcesses } from '../helpers/processes.ts';
import { CHAT_STREAM, LLAMA, TEST_UPSTREAM_KEY } from '../helpers/stack.ts';

/**
 * The GenAI model-call spans (OpenTelemetry GenAI semantic conventions) as a collector receives them from a real
 * gateway process, the simulator standing in for Together: one CLIENT span per upstream attempt under the
 * caller's span, the traceparent Together receives, usage and cost, fallback attempts as siblings, errors, the
 * privacy default and the capture flag, and the trace id on the log line and the activity row.
 */
const ADMIN_KEY = 'gw_genai_spans_admin_key_0123456789';
const LLAMA8 = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const EMBED = 'BAAI/bge-base-en-v1.5';
const PROMPT = 'tell me about pelicans';
/** A key pasted into a prompt: even with content capture on, the scrubber takes it out. */
const PASTED_KEY = 'gw_pastedintoprompt0123456789abcdef';

const CHAT_ONCE = `mutation ChatOnce($input: ChatCompletionInput!) {
  chatCompletion(input: $input) { id model content costUsd usage { promptTokens completionTokens } attempts { model code } }
}`;

const newTrace = (): string => Array.from({ length: 32 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
const CALLER_SPAN = '00f067aa0ba902b7';
const traceparentOf = (trace: string) => `00-${trace}-${CALLER_SPAN}-01`;

const modelSpans = (spans: ReceivedSpan[], trace: string) => spans.filter((s) => s.traceId === trace && s.attributes['gen_ai.operation.name'] !== undefined);
const exportedText = (r: OtlpReceiver) => r.posts.map((p) => p.body.toString('utf8')).join('\n');

async function chatOnce(gw: GatewayProcess, trace: string, input: Record<string, unknown>) {
  const res = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, traceparent: traceparentOf(trace) },
    body: JSON.stringify({ query: CHAT_ONCE, variables: { input: { messages: [{ role: 'USER', content: PROMPT }], ...input } } }),
  });
  return (await res.json()) as { data?: { chatCompletion: any }; errors?: Array<{ extensions?: Record<string, unknown> }> };
}

/** Resolves once one of the process's JSON log lines satisfies `predicate` (checked as output arrives). */
function waitForLog(gw: GatewayProcess, predicate: (line: Record<string, any>) => boolean, timeoutMs = 10_000): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = gw.logs().find(predicate);
      if (!line) return;
      clearTimeout(timer);
      gw.child.stdout!.off('data', check);
      resolve(line);
    };
    const timer = setTimeout(() => {
      gw.child.stdout!.off('data', check);
      reject(new Error('log line not seen'));
    }, timeoutMs);
    gw.child.stdout!.on('data', check);
    check();
  });
}


describe('GenAI model-call spans (content capture off, the default)', () => {
  const procs = new GatewayProcesses();
  const dir = mkdtempSync(join(tmpdir(), 'gw-genai-'));
  const databaseUrl = `file:${join(dir, 'gateway.db')}`;
  let sim: TogetherSimulator;
  let receiver: OtlpReceiver;
  let gw: GatewayProcess;
  const traces: Record<string, string> = {};

  beforeAll(async () => {
    // Chunks 20 ms apart: a stream lasts long enough that a span ended at its first event would be seen ending early.
    sim = createTogetherSimulator({ chunkDelayMs: 20 });
    await sim.start(0);
    receiver = await startOtlpReceiver();
    gw = await procs.start(
      { TOGETHER_API_KEY: TEST_UPSTREAM_KEY, TOGETHER_BASE_URL: sim.url, GATEWAY_ADMIN_KEY: ADMIN_KEY, DATABASE_URL: databaseUrl, BREAKER_FAILURE_THRESHOLD: '1000', ...otlpExportEnv(receiver) },
      60_000,
    );
  }, 90_000);
  beforeEach(() => sim.clearFaults());
  afterAll(async () => {
    await procs.stopAll();
    await receiver?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('chat: one CLIENT span under the operation span, with the GenAI attributes, its traceparent sent to Together, its ids on the log line', async () => {
    const trace = (traces.chat = newTrace());
    const body = await chatOnce(gw, trace, { model: LLAMA, maxTokens: 64, temperature: 0.5 });
    expect(body.errors).toBeUndefined();
    const answer = body.data!.chatCompletion;
    const spans = await receiver.waitForSpans((s) => modelSpans(s, trace).length > 0 && s.some((x) => x.traceId === trace && x.name === 'mutation ChatOnce'));
    const op = spans.find((s) => s.traceId === trace && s.name === 'mutation ChatOnce')!;
    const [span] = modelSpans(spans, trace);
    expect(span!.name).toBe(`chat ${LLAMA}`);
    expect(span!.kind).toBe(3);
    expect(span!.parentSpanId).toBe(op.spanId);
    expect(span!.status.code ?? 0).not.toBe(2);
    expect(span!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'together',
      'gen_ai.request.model': LLAMA,
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.response.model': answer.model,
      'gen_ai.response.id': answer.id,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': answer.usage.promptTokens,
      'gen_ai.usage.output_tokens': answer.usage.completionTokens,
      'gateway.cost_usd': answer.costUsd,
      'gateway.stream': false,
    });
    // Together was called with the model-call span as parent.
    const upstream = sim.stats.requests.filter((r) => r.path.endsWith('/chat/completions') && String(r.headers.traceparent ?? '').includes(trace));
    expect(upstream.map((r) => r.headers.traceparent)).toEqual([`00-${trace}-${span!.spanId}-01`]);
    const line = await waitForLog(gw, (l) => l.msg === 'chat' && l.trace_id === trace);
    expect(line.span_id).toBe(span!.spanId);
    // Private by default: no prompt or answer text, no key.
    expect(span!.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(span!.attributes['gen_ai.output.messages']).toBeUndefined();
    const exported = exportedText(receiver);
    expect(exported).not.toContain('pelicans');
    expect(exported).not.toContain(answer.content);
    expect(exported).not.toContain(ADMIN_KEY);
    expect(exported).not.toContain(TEST_UPSTREAM_KEY);
  });

  it('stream (graphql-ws): the span ends with the stream, not at its first event, and carries its usage', async () => {
    const trace = newTrace();
    const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ADMIN_KEY}` }, retryAttempts: 0 });
    let firstEventAt = 0;
    let lastEventAt = 0;
    let last: any;
    try {
      await new Promise<void>((resolve, reject) =>
        client.subscribe(
          { query: CHAT_STREAM, variables: { input: { model: LLAMA, messages: [{ role: 'USER', content: PROMPT }] } }, extensions: { traceparent: traceparentOf(trace) } },
          {
            next: (e: any) => {
              firstEventAt ||= Date.now();
              lastEventAt = Date.now();
              last = e.data.chatStream;
            },
            error: reject,
            complete: resolve,
          },
        ),
      );
    } finally {
      await client.dispose();
    }
    expect(last.done).toBe(true);
    const spans = await receiver.waitForSpans((s) => modelSpans(s, trace).length > 0);
    const [span] = modelSpans(spans, trace);
    const op = spans.find((s) => s.spanId === span!.parentSpanId)!;
    expect(op.attributes['graphql.operation.type']).toBe('subscription');
    expect(span!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gateway.stream': true,
      'gen_ai.usage.input_tokens': last.usage.promptTokens,
      'gen_ai.usage.output_tokens': last.usage.completionTokens,
      'gen_ai.response.finish_reasons': ['stop'],
      'gateway.cost_usd': last.costUsd,
    });
    // The stream took a while (chunks 20 ms apart); its span lasted past the first event, to the usage at its end.
    expect(lastEventAt - firstEventAt).toBeGreaterThan(40);
    expect(span!.endMs).toBeGreaterThan(firstEventAt + 20);
  });

  it('REST (/v1/chat/completions): the span is a child of the HTTP request span', async () => {
    const trace = newTrace();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, traceparent: traceparentOf(trace) },
      body: JSON.stringify({ model: LLAMA, messages: [{ role: 'user', content: PROMPT }], max_tokens: 32 }),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { id: string; usage: { prompt_tokens: number } };
    const spans = await receiver.waitForSpans((s) => modelSpans(s, trace).length > 0 && s.some((x) => x.traceId === trace && x.name === 'POST /v1/chat/completions'));
    const http = spans.find((s) => s.traceId === trace && s.name === 'POST /v1/chat/completions')!;
    const [span] = modelSpans(spans, trace);
    expect(http.parentSpanId).toBe(CALLER_SPAN);
    expect(span!.parentSpanId).toBe(http.spanId);
    expect(span!.attributes).toMatchObject({ 'gen_ai.response.id': answer.id, 'gen_ai.request.max_tokens': 32, 'gen_ai.usage.input_tokens': answer.usage.prompt_tokens });
  });

  it('a stream the client leaves: the span ends marked gateway.cancelled, not as an error', async () => {
    const trace = newTrace();
    const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ADMIN_KEY}` }, retryAttempts: 0 });
    try {
      await new Promise<void>((resolve, reject) => {
        const unsubscribe = client.subscribe(
          { query: CHAT_STREAM, variables: { input: { model: LLAMA, messages: [{ role: 'USER', content: PROMPT }] } }, extensions: { traceparent: traceparentOf(trace) } },
          {
            next: () => {
              unsubscribe();
              resolve();
            },
            error: reject,
            complete: () => undefined,
          },
        );
      });
    } finally {
      await client.dispose();
    }
    const spans = await receiver.waitForSpans((s) => modelSpans(s, trace).length > 0);
    const [span] = modelSpans(spans, trace);
    expect(span!.attributes['gateway.cancelled']).toBe(true);
    expect(span!.status.code ?? 0).not.toBe(2);
    expect(span!.attributes['error.type']).toBeUndefined();
  });

  it('fallback: each attempt is a sibling span under the operation; the failed one has status ERROR and error.type = our code', async () => {
    const trace = newTrace();
    sim.addFault({ route: 'chat', model: LLAMA, status: 503, times: Infinity });
    const body = await chatOnce(gw, trace, { model: LLAMA, fallbackModels: [LLAMA8] });
    expect(body.errors).toBeUndefined();
    expect(body.data!.chatCompletion.attempts).toEqual([{ model: LLAMA, code: 'UPSTREAM_UNAVAILABLE' }, { model: LLAMA8, code: null }]);
    const spans = await receiver.waitForSpans((s) => modelSpans(s, trace).length === 2);
    const op = spans.find((s) => s.traceId === trace && s.name === 'mutation ChatOnce')!;
    const [failed, answered] = ['chat ' + LLAMA, 'chat ' + LLAMA8].map((name) => modelSpans(spans, trace).find((s) => s.name === name)!);
    expect(failed!.parentSpanId).toBe(op.spanId);
    expect(answered!.parentSpanId).toBe(op.spanId);
    expect(failed!.status.code).toBe(2);
    expect(failed!.attributes['error.type']).toBe('UPSTREAM_UNAVAILABLE');
    expect(answered!.status.code ?? 0).not.toBe(2);
    expect(answered!.attributes['error.type']).toBeUndefined();
    expect(answered!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
  });

  it('a call that fails: its span has status ERROR with error.type; the operation span too', async () => {
    const trace = newTrace();
    sim.addFault({ route: 'chat', model: LLAMA, status: 404, times: Infinity });
    const body = await chatOnce(gw, trace, { model: LLAMA });
    expect(body.errors?.[0]?.extensions?.code).toBe('MODEL_NOT_FOUND');
    const spans = await receiver.waitForSpans((s) => modelSpans(s, trace).length === 1 && s.some((x) => x.traceId === trace && x.name === 'mutation ChatOnce'));
    const [span] = modelSpans(spans, trace);
    expect(span!.status.code).toBe(2);
    expect(span!.attributes['error.type']).toBe('MODEL_NOT_FOUND');
  });

  it('embeddings (same call owner): an `embeddings {model}` span under the operation, with its usage', async () => {
    const trace = newTrace();
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, traceparent: traceparentOf(trace) },
      body: JSON.stringify({
        query: 'mutation Embed($input: EmbedInput!) { embed(input: $input) { model usage { promptTokens } costUsd } }',
        variables: { input: { model: EMBED, input: [PROMPT] } },
      }),
    });
    const body = (await res.json()) as { data?: { embed: any }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    const spans = await receiver.waitForSpans((s) => modelSpans(s, trace).length > 0 && s.some((x) => x.traceId === trace && x.name === 'mutation Embed'));
    const op = spans.find((s) => s.traceId === trace && s.name === 'mutation Embed')!;
    const [span] = modelSpans(spans, trace);
    expect(span!.name).toBe(`embeddings ${EMBED}`);
    expect(span!.parentSpanId).toBe(op.spanId);
    expect(span!.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'together',
      'gen_ai.request.model': EMBED,
      'gen_ai.usage.input_tokens': body.data!.embed.usage.promptTokens,
      'gateway.cost_usd': body.data!.embed.costUsd,
    });
    expect(exportedText(receiver)).not.toContain('pelicans');
  });

  it('the GenAI client histograms go out over OTLP, labelled by catalog model ids', async () => {
    const posts = await receiver.waitForPosts((all) => all.some((p) => p.path === '/v1/metrics' && p.body.includes('gen_ai.client.operation.duration') && p.body.includes('gen_ai.client.token.usage')));
    const metrics = posts.filter((p) => p.path === '/v1/metrics').map((p) => p.body.toString('utf8')).join('\n');
    expect(metrics).toContain(LLAMA);
    expect(metrics).toContain('"gen_ai.token.type"');
  });

  it('the activity rows keep the trace id (read back from the store after the process has stopped)', async () => {
    await gw.stop();
    const store = await openStore(databaseUrl);
    try {
      const rows = await store.listActivity({ limit: 100 });
      expect(rows.filter((r) => r.traceId === traces.chat)).toHaveLength(1);
      expect(rows.every((r) => typeof r.traceId === 'string' && /^[0-9a-f]{32}$/.test(r.traceId))).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('GenAI spans with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true', () => {
  const procs = new GatewayProcesses();
  let sim: TogetherSimulator;
  let receiver: OtlpReceiver;
  let gw: GatewayProcess;
  beforeAll(async () => {
    sim = createTogetherSimulator({ chunkDelayMs: 1 });
    await sim.start(0);
    receiver = await startOtlpReceiver();
    gw = await procs.start(
      {
        TOGETHER_API_KEY: TEST_UPSTREAM_KEY,
        TOGETHER_BASE_URL: sim.url,
        GATEWAY_ADMIN_KEY: ADMIN_KEY,
        DATABASE_URL: ':memory:',
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
        ...otlpExportEnv(receiver),
      },
      60_000,
    );
  }, 90_000);
  afterAll(async () => {
    await procs.stopAll();
    await receiver?.close();
    await sim?.close();
  });

  it('puts the prompt and the answer on the span in the semconv message shape, keys scrubbed', async () => {
    const trace = newTrace();
    const body = await chatOnce(gw, trace, { model: LLAMA, messages: [{ role: 'USER', content: `${PROMPT}; my key is ${PASTED_KEY}` }] });
    expect(body.errors).toBeUndefined();
    const spans = await receiver.waitForSpans((s) => modelSpans(s, trace).length > 0);
    const [span] = modelSpans(spans, trace);
    const input = JSON.parse(String(span!.attributes['gen_ai.input.messages']));
    expect(input).toEqual([{ role: 'user', parts: [{ type: 'text', content: `${PROMPT}; my key is gw_[redacted]` }] }]);
    const output = JSON.parse(String(span!.attributes['gen_ai.output.messages']));
    // The simulator echoes the prompt: the answer's copy of the key is scrubbed too.
    const answer = String(body.data!.chatCompletion.content).replace(PASTED_KEY, 'gw_[redacted]');
    expect(output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' }]);
    const exported = exportedText(receiver);
    expect(exported).not.toContain(PASTED_KEY);
    expect(exported).not.toContain(ADMIN_KEY);
    expect(exported).not.toContain(TEST_UPSTREAM_KEY);
  });

  it('a stream: the streamed answer is on the span once the stream ends', async () => {
    const trace = newTrace();
    const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ADMIN_KEY}`, traceparent: traceparentOf(trace) }, retryAttempts: 0 });
    let text = '';
    try {
      await new Promise<void>((resolve, reject) =>
        client.subscribe(
          { query: CHAT_STREAM, variables: { input: { model: LLAMA, messages: [{ role: 'USER', content: PROMPT }] } } },
          { next: (e: any) => void (text += e.data.chatStream.delta), error: reject, complete: resolve },
        ),
      );
    } finally {
      await client.dispose();
    }
    const spans = await receiver.waitForSpans((s) => modelSpans(s, trace).length > 0);
    const output = JSON.parse(String(modelSpans(spans, trace)[0]!.attributes['gen_ai.output.messages']));
    expect(output[0].parts[0].content).toBe(text);
  });
});
