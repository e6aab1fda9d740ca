import { request } from 'node:http';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { MODEL, percentile } from './targets.ts';

const CONTENT = 'one two three four five six seven eight nine ten eleven twelve';
const STREAM_SUB = `subscription S($input: ChatCompletionInput!) { chatStream(input: $input) { delta done } }`;

/** Arrival times (ms since the request started) of each content-bearing event. */
export type Arrivals = number[];

/** An OpenAI-style SSE stream (the simulator directly, or our REST face). */
export function sseStream(baseUrl: string, key: string, signal?: AbortSignal): Promise<Arrivals> {
  const url = new URL(`${baseUrl}/chat/completions`);
  const body = JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: CONTENT }] });
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const arrivals: Arrivals = [];
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', signal, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` } },
      (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const at = Number(process.hrtime.bigint() - started) / 1e6;
          buffer += text;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (event.includes('"content":"') && !event.includes('"content":""')) arrivals.push(at);
          }
        });
        res.on('end', () => resolve(arrivals));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => (signal?.aborted ? resolve(arrivals) : reject(err)));
    req.end(body);
  });
}

/**
 * A graphql-ws client that keeps its socket open between subscriptions, as an app that streams turn after turn
 * does. `keepOpen: false` is graphql-ws's default (the socket closes when the last subscription ends), so each
 * sequential stream pays a new connection: upgrade, connection_init, auth and ack.
 */
export function wsClient(gatewayUrl: string, key: string, { keepOpen = true } = {}): Client {
  return createClient({
    url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: true,
    lazyCloseTimeout: keepOpen ? 60_000 : 0,
  });
}

/** `chatStream` over graphql-ws; `stopAfter` unsubscribes after that many events (a client leaving). */
export function graphqlStream(client: Client, stopAfter = Infinity): Promise<Arrivals> {
  const started = process.hrtime.bigint();
  const arrivals: Arrivals = [];
  return new Promise((resolve, reject) => {
    const unsubscribe = client.subscribe<{ chatStream: { delta: string; done: boolean } }>(
      { query: STREAM_SUB, variables: { input: { model: MODEL, messages: [{ role: 'USER', content: CONTENT }] } } },
      {
        next: (r) => {
          if (r.data?.chatStream.delta) arrivals.push(Number(process.hrtime.bigint() - started) / 1e6);
          if (arrivals.length >= stopAfter) {
            unsubscribe();
            resolve(arrivals);
          }
        },
        error: (e) => reject(e instanceof Error ? e : new Error(JSON.stringify(e))),
        complete: () => resolve(arrivals),
      },
    );
  });
}

/**
 * `chatStream` over plain HTTP: GraphQL over SSE (`text/event-stream`, events split by a blank line) or
 * Apollo's multipart subscriptions (parts split by the `--graphql` delimiter). One request per stream, as
 * graphql-sse's and Apollo Client's own clients do.
 */
export function graphqlHttpStream(gatewayUrl: string, key: string, transport: 'sse' | 'multipart'): Promise<Arrivals> {
  const url = new URL(`${gatewayUrl}/graphql`);
  const body = JSON.stringify({ query: STREAM_SUB, variables: { input: { model: MODEL, messages: [{ role: 'USER', content: CONTENT }] } } });
  const accept = transport === 'sse' ? 'text/event-stream' : 'multipart/mixed;subscriptionSpec="1.0"';
  const separator = transport === 'sse' ? '\n\n' : '\r\n--graphql';
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const arrivals: Arrivals = [];
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept, authorization: `Bearer ${key}` } },
      (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          const at = Number(process.hrtime.bigint() - started) / 1e6;
          buffer += text;
          let end: number;
          while ((end = buffer.indexOf(separator)) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + separator.length);
            if (event.includes('"delta":"') && !event.includes('"delta":""')) arrivals.push(at);
          }
        });
        res.on('end', () => resolve(arrivals));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface StreamStats {
  streams: number;
  ttftP50: number;
  ttftP99: number;
  gapMean: number;
  gapMax: number;
}

export function summarize(runs: Arrivals[]): StreamStats {
  const ttfts = runs.map((a) => a[0] ?? Number.NaN).sort((a, b) => a - b);
  const gaps = runs.flatMap((a) => a.slice(1).map((t, i) => t - a[i]!));
  return {
    streams: runs.length,
    ttftP50: percentile(ttfts, 50),
    ttftP99: percentile(ttfts, 99),
    gapMean: gaps.reduce((x, y) => x + y, 0) / Math.max(1, gaps.length),
    gapMax: gaps.reduce((x, y) => Math.max(x, y), 0),
  };
}
