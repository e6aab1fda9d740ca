/**
 * An OTLP/HTTP receiver in the test process: what a collector would get from a gateway run with
 * OTEL_EXPORTER_OTLP_ENDPOINT pointed at it. OTLP/JSON bodies are decoded into spans (ids hex, per the OTLP
 * JSON encoding); protobuf bodies are kept raw (the tests look for bytes in them).
 */
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  resource: Record<string, unknown>;
  /** Epoch milliseconds (OTLP sends nanoseconds as decimal strings). */
  startMs: number;
  endMs: number;
}

export interface OtlpPost {
  path: string;
  contentType: string;
  body: Buffer;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

const valueOf = (v: OtlpValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : undefined) ?? v.doubleValue ?? v.boolValue ?? v.arrayValue?.values?.map(valueOf);

const attributesOf = (list: Array<{ key: string; value: OtlpValue }> | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

export interface OtlpReceiver {
  url: string;
  posts: OtlpPost[];
  spans(): ReceivedSpan[];
  /** Resolves once `predicate(spans)` holds (checked as each export arrives), or rejects after `timeoutMs`. */
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** The same over the raw posts (protobuf bodies). */
  waitForPosts(predicate: (posts: OtlpPost[]) => boolean, timeoutMs?: number): Promise<OtlpPost[]>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const posts: OtlpPost[] = [];
  const decoded: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const contentType = String(req.headers['content-type'] ?? '');
    const path = req.url ?? '/';
    posts.push({ path, contentType, body });
    if (path === '/v1/traces' && contentType.includes('json')) {
      const payload = JSON.parse(body.toString('utf8')) as { resourceSpans?: any[] };
      for (const rs of payload.resourceSpans ?? []) {
        const resource = attributesOf(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            decoded.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              attributes: attributesOf(s.attributes),
              status: s.status ?? {},
              resource,
              startMs: Number(s.startTimeUnixNano ?? 0) / 1e6,
              endMs: Number(s.endTimeUnixNano ?? 0) / 1e6,
            });
          }
        }
      }
    }
    res.writeHead(200, { 'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf' });
    res.end(contentType.includes('json') ? '{}' : '');
    for (const wake of waiters) wake();
  });
  function waitFor<T>(current: () => T[], predicate: (items: T[]) => boolean, timeoutMs: number): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(current())) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(current());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`OTLP exports not received within ${timeoutMs} ms; spans so far: ${decoded.map((s) => s.name).join(', ')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    spans: () => decoded,
    waitForSpans: (predicate, timeoutMs = 10_000) => waitFor(() => decoded, predicate, timeoutMs),
    waitForPosts: (predicate, timeoutMs = 10_000) => waitFor(() => posts, predicate, timeoutMs),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The environment of a gateway process exporting to `receiver` over OTLP/JSON, quickly (spans every 50 ms, metrics
 * every 200 ms) and without logs (the gateway sends none; the SDK would otherwise try).
 */
export function otlpExportEnv(receiver: Pick<OtlpReceiver, 'url'>): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
    OTEL_LOGS_EXPORTER: 'none',
  };
}
