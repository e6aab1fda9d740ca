/**
 * One trace from a frontend through Hive Gateway to our subgraph: the client's W3C traceparent goes to Hive, Hive
 * forwards it (with the key) to the subgraph, and the spans the subgraph exports (HTTP, GraphQL operation)
 * belong to the client's trace. Hive here runs without its own OpenTelemetry plugin, so it adds no
 * spans of its own; with the plugin on it would put its spans between the client's and ours, and the subgraph
 * would continue from those (docs/operations.md#traces-opentelemetry).
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_SUBGRAPH_NAME, composeSupergraph } from '../../src/federation/compose.ts';
import { createTogetherSimulator, type TogetherSimulator } from '../../src/simulator/index.ts';
import { type OtlpReceiver, otlpExportEnv, startOtlpReceiver } from '../helpers/otlp-receiver.ts';
import { type GatewayProcess, GatewayProcesses } from '../helpers/processes.ts';
import { LLAMA, TEST_UPSTREAM_KEY } from '../helpers/stack.ts';
import { type GatewayRuntime, loadRouterTools } from './router-tools.ts';

const { createGatewayRuntime, httpTransport } = await loadRouterTools();

const ADMIN_KEY = 'gw_hive_trace_admin_key_0123456789abcdef';
const CLIENT_TRACE = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const CLIENT_SPAN = '1234567890abcdef';

describe('a trace across Hive Gateway and the subgraph', () => {
  const procs = new GatewayProcesses();
  let sim: TogetherSimulator;
  let receiver: OtlpReceiver;
  let subgraph: GatewayProcess;
  let runtime: GatewayRuntime;
  let server: Server;
  let hiveUrl: string;

  beforeAll(async () => {
    sim = createTogetherSimulator({ chunkDelayMs: 1 });
    await sim.start(0);
    receiver = await startOtlpReceiver();
    subgraph = await procs.start(
      {
        TOGETHER_API_KEY: TEST_UPSTREAM_KEY,
        TOGETHER_BASE_URL: sim.url,
        GATEWAY_ADMIN_KEY: ADMIN_KEY,
        DATABASE_URL: ':memory:',
        ...otlpExportEnv(receiver),
        OTEL_METRICS_EXPORTER: 'none',
      },
      60_000,
    );
    const sdl = (await subgraph.gql<{ _service: { sdl: string } }>('{ _service { sdl } }')).data!._service.sdl;
    const outcome = composeSupergraph([{ name: GATEWAY_SUBGRAPH_NAME, url: `${subgraph.url}/graphql`, sdl }]);
    expect(outcome.errors).toEqual([]);
    runtime = createGatewayRuntime({
      supergraph: outcome.supergraphSdl!,
      logging: false,
      transports: { http: httpTransport },
      propagateHeaders: {
        fromClientToSubgraphs: ({ request }) => {
          const forwarded: Record<string, string> = {};
          for (const name of ['authorization', 'traceparent', 'tracestate']) {
            const value = request?.headers.get(name);
            if (value) forwarded[name] = value;
          }
          return forwarded;
        },
      },
    });
    await runtime.getSchema();
    server = createServer(runtime);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hiveUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${runtime.graphqlEndpoint}`;
  }, 120_000);
  afterAll(async () => {
    await runtime?.dispose();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await procs.stopAll();
    await receiver?.close();
    await sim?.close();
  });

  it("the subgraph's HTTP and operation spans continue the client's trace", async () => {
    const res = await fetch(hiveUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}`, traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` },
      body: JSON.stringify({
        query: 'mutation ThroughHive($input: ChatCompletionInput!) { chatCompletion(input: $input) { content } }',
        variables: { input: { model: LLAMA, messages: [{ role: 'USER', content: 'hello through the router' }] } },
      }),
    });
    const body = (await res.json()) as { data?: { chatCompletion?: { content: string } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.chatCompletion?.content).toContain('hello through the router');

    const spans = await receiver.waitForSpans((all) => all.some((s) => s.traceId === CLIENT_TRACE && s.attributes['graphql.operation.type'] === 'mutation'));
    const ours = spans.filter((s) => s.traceId === CLIENT_TRACE);
    const http = ours.find((s) => s.name === 'POST /graphql')!;
    const op = ours.find((s) => s.attributes['graphql.operation.type'] === 'mutation')!;
    expect(http.parentSpanId).toBe(CLIENT_SPAN);
    expect(op.parentSpanId).toBe(http.spanId);
  });
});
