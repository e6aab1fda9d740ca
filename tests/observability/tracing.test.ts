import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { type OtlpReceiver, type ReceivedSpan, otlpExportEnv, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { type GatewayProcess, GatewayProcesses } from '../helpers/processes.ts';
import { CHAT_STREAM, LLAMA, TEST_UPSTREAM_KEY } from '../helpers/stack.ts';

/**
 * OpenTelemetry end to end: a real gateway process exporting to an OTLP receiver in this process, the
 * simulator standing in for Together. What a collector receives is asserted, never our own span objects.
 */
const ADMIN_KEY = 'gw_tracing_admin_key_0123456789abcdef';
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const traceparent = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;
const PROMPT = 'a secret-looking prompt about pelicans';

const CHAT_ONCE = `mutation ChatOnce($input: ChatCompletionInput!) { chatCompletion(input: $input) { content costUsd usage { promptTokens completionTokens } } }`;

const byName = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);
const exportedText = (r: OtlpReceiver) => r.posts.map((p) => p.body.toString('utf8')).join('\n');

describe('OpenTelemetry traces (OTLP http/json)', () => {
  const procs = new GatewayProcesses();
  let sim: TogetherSimulator;
  let receiver: OtlpReceiver;
  let gw: GatewayProcess;

  beforeAll(async () => {
    sim = createTogetherSimulator({ chunkDelayMs: 1 });
    await sim.start(0);
    receiver = await startOtlpReceiver();
    gw = await procs.start({
      TOGETHER_API_KEY: TEST_UPSTREAM_KEY,
      TOGETHER_BASE_URL: sim.url,
      GATEWAY_ADMIN_KEY: ADMIN_KEY,
      DATABASE_URL: ':memory:',
      ...otlpExportEnv(receiver),
      OTEL_SERVICE_NAME: 'gateway-under-test',
    }, 60_000);
  }, 90_000);
  afterAll(async () => {
    await procs.stopAll();
    await receiver?.close();
    await sim?.close();
  });

  it('continues the caller traceparent: HTTP server span → GraphQL operation span, named by type and name, no variables', async () => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, traceparent },
      body: JSON.stringify({ query: CHAT_ONCE, variables: { input: { model: LLAMA, messages: [{ role: 'USER', content: PROMPT }] } } }),
    });
    expect(res.status).toBe(200);
    const spans = await receiver.waitForSpans((s) => byName(s, 'mutation ChatOnce').length > 0 && byName(s, 'POST /graphql').some((h) => h.traceId === CALLER_TRACE));
    const http = byName(spans, 'POST /graphql').find((s) => s.traceId === CALLER_TRACE)!;
    expect(http.parentSpanId).toBe(CALLER_SPAN);
    expect(http.kind).toBe(2);
    expect(http.attributes['http.response.status_code']).toBe(200);
    expect(http.resource['service.name']).toBe('gateway-under-test');
    const op = byName(spans, 'mutation ChatOnce')[0]!;
    expect(op.traceId).toBe(CALLER_TRACE);
    expect(op.parentSpanId).toBe(http.spanId);
    expect(op.attributes).toMatchObject({ 'graphql.operation.type': 'mutation', 'graphql.operation.name': 'ChatOnce' });
    // Neither the prompt nor any key is exported.
    const exported = exportedText(receiver);
    expect(exported).not.toContain('pelicans');
    expect(exported).not.toContain(ADMIN_KEY);
    expect(exported).not.toContain(TEST_UPSTREAM_KEY);
  });

  it('a GraphQL error ends the operation span with status ERROR and error.type = our code', async () => {
    const res = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ query: CHAT_ONCE.replace('ChatOnce', 'ChatMissing'), variables: { input: { model: 'no/such-model', messages: [{ role: 'USER', content: 'hi' }] } } }),
    });
    expect(res.status).toBe(200);
    const spans = await receiver.waitForSpans((s) => byName(s, 'mutation ChatMissing').length > 0);
    const op = byName(spans, 'mutation ChatMissing')[0]!;
    expect(op.status.code).toBe(2);
    expect(op.attributes['error.type']).toBe('MODEL_NOT_FOUND');
  });

  it('graphql-ws: the subscribe message extensions carry the traceparent', async () => {
    const client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${ADMIN_KEY}` }, retryAttempts: 0 });
    const trace = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab';
    try {
      await new Promise<void>((resolve, reject) =>
        client.subscribe(
          { query: CHAT_STREAM, variables: { input: { model: LLAMA, messages: [{ role: 'USER', content: 'stream me' }] } }, extensions: { traceparent: `00-${trace}-${CALLER_SPAN}-01` } },
          { next: () => undefined, error: reject, complete: resolve },
        ),
      );
    } finally {
      await client.dispose();
    }
    const spans = await receiver.waitForSpans((s) => s.some((x) => x.traceId === trace && x.name.startsWith('subscription')));
    const op = spans.find((x) => x.traceId === trace && x.name.startsWith('subscription'))!;
    expect(op.parentSpanId).toBe(CALLER_SPAN);
    expect(op.attributes['graphql.operation.type']).toBe('subscription');
  });
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  const procs = new GatewayProcesses();
  let sim: TogetherSimulator;
  beforeAll(async () => {
    sim = createTogetherSimulator({ chunkDelayMs: 1 });
    await sim.start(0);
  });
  afterAll(async () => {
    await procs.stopAll();
    await sim?.close();
  });

  it('loads no SDK, says nothing of tracing and sends no trace context upstream', async () => {
    const gw = await procs.start({ TOGETHER_API_KEY: TEST_UPSTREAM_KEY, TOGETHER_BASE_URL: sim.url, GATEWAY_ADMIN_KEY: ADMIN_KEY, DATABASE_URL: ':memory:', OTEL_EXPORTER_OTLP_ENDPOINT: '' }, 60_000);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, traceparent },
      body: JSON.stringify({ model: LLAMA, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    const upstream = sim.stats.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!;
    expect(upstream.headers.traceparent).toBeUndefined();
    expect(gw.logs().some((l) => String(l.msg).startsWith('tracing on'))).toBe(false);
  }, 90_000);
});

describe('OTLP http/protobuf (the default protocol)', () => {
  const procs = new GatewayProcesses();
  let receiver: OtlpReceiver;
  afterAll(async () => {
    await procs.stopAll();
    await receiver?.close();
  });

  it('exports protobuf to /v1/traces', async () => {
    receiver = await startOtlpReceiver();
    const gw = await procs.start(
      { GATEWAY_ADMIN_KEY: ADMIN_KEY, DATABASE_URL: ':memory:', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
      60_000,
    );
    expect((await fetch(`${gw.url}/healthz`, { headers: { traceparent } })).status).toBe(200);
    // Protobuf keeps strings as UTF-8 bytes and ids as raw bytes: the span name and the caller's trace id are in the body.
    const caller = Buffer.from(CALLER_TRACE, 'hex');
    const posts = await receiver.waitForPosts((all) => all.some((p) => p.path === '/v1/traces' && p.body.includes('GET /healthz') && p.body.includes(caller)));
    const post = posts.find((p) => p.path === '/v1/traces' && p.body.includes('GET /healthz'));
    expect(post?.contentType).toBe('application/x-protobuf');
    expect(post!.body.includes(caller)).toBe(true);
  }, 90_000);
});
