import { Readable } from 'node:stream';
import { context, propagation } from '@opentelemetry/api';
import { Agent, type Dispatcher } from 'undici';

/**
 * The `fetch` we hand the openai SDK (its documented `fetch` option): the SDK still builds every request and
 * turns every error status into its APIError classes; only the transport changes, from the global WHATWG
 * `fetch` to an undici connection pool.
 *
 * Why: measured against the simulator (bench/gateway, `--cpu-prof`), the global fetch was the largest single
 * cost of a chat call in the gateway: the fetch spec's Request/Response objects, header validation and a
 * WHATWG stream for every body cost ~0.25 ms of CPU per call, about an eighth of everything the gateway did.
 * `Dispatcher.request` answers the same call with a Node stream and a plain header object.
 *
 * What it returns is the subset of `Response` that the SDK and this provider read (status, ok, url, headers
 * with get/has/entries, text(), json(), body); the body is read lazily, after the SDK has returned, so a
 * connection cut mid-body still fails the read (never a retry: Together has done, and billed, the work).
 */

type RawHeaders = Record<string, string | string[] | undefined>;

/** Together's response headers as the SDK reads them (`get`, `has`, iteration); names are lower-case. */
export class UpstreamHeaders {
  constructor(private readonly raw: RawHeaders) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw)) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const [name, value] of this.entries()) callback(value, name);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** One upstream answer; `chunks` is the raw body for readers that do not need a WHATWG stream (our SSE parser). */
export class UpstreamResponse {
  readonly ok: boolean;
  readonly statusText = '';
  readonly redirected = false;
  readonly type = 'basic';
  private consumed = false;

  constructor(
    readonly status: number,
    readonly url: string,
    private readonly rawHeaders: RawHeaders,
    private readonly stream: Readable,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  /** Read on every response by the SDK (and again for errors): made once. */
  get headers(): Headers {
    this.wrappedHeaders ??= new UpstreamHeaders(this.rawHeaders) as unknown as Headers;
    return this.wrappedHeaders;
  }
  private wrappedHeaders: Headers | undefined;

  get bodyUsed(): boolean {
    return this.consumed;
  }

  /** The body as bytes, for `for await`; breaking out of the loop destroys it (and closes the connection). */
  get chunks(): AsyncIterable<Uint8Array> {
    this.consumed = true;
    return this.stream;
  }

  /** A WHATWG stream, made only for code that asks for one (the SDK, to cancel a body it will not read). */
  get body(): ReadableStream<Uint8Array> {
    this.web ??= Readable.toWeb(this.stream) as ReadableStream<Uint8Array>;
    return this.web;
  }
  private web: ReadableStream<Uint8Array> | undefined;

  async text(): Promise<string> {
    this.consumed = true;
    // undici's own body reader: it concatenates the chunks and decodes once. An async iterator with a streaming
    // TextDecoder cost ~15 % of the upstream client's CPU per call (`npm run bench:profile`).
    const body = this.stream as Readable & { text?: () => Promise<string> };
    if (typeof body.text === 'function') return body.text();
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of this.stream as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
    return text + decoder.decode();
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

/**
 * Headers that are the same on every request, kept as undici's flat name/value list (sdk-client.ts builds them once).
 * Iterable as pairs, like any HeadersInit; no enumerable own properties, so the SDK's debug-log detail, built on
 * every request even with logging off, has nothing to copy (it cost 2.9 % of a REST call).
 */
export class FlatHeaders implements Iterable<[string, string]> {
  readonly #pairs: readonly string[];

  constructor(pairs: readonly string[]) {
    this.#pairs = Object.freeze([...pairs]);
  }

  /** A copy of the flat list, to which the trace context may be added. */
  list(): string[] {
    return this.#pairs.slice();
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#pairs.length; i += 2) yield [this.#pairs[i]!, this.#pairs[i + 1]!];
  }
}

/** Request headers from whatever the SDK passes (FlatHeaders, a Headers object) as undici's flat list. */
function flatHeaders(headers: unknown): string[] {
  if (headers instanceof FlatHeaders) {
    const flat = headers.list();
    propagation.inject(context.active(), flat, arraySetter);
    return flat;
  }
  const flat: string[] = [];
  if (!headers) return flat;
  const pairs: Iterable<[string, string]> =
    typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function' ? (headers as Iterable<[string, string]>) : Object.entries(headers as Record<string, string>);
  for (const [name, value] of pairs) flat.push(name, value);
  // W3C trace context of the model-call span active around this request (src/observability/model-call-span.ts),
  // so Together (or the simulator) can join the caller's trace. A no-op propagator while tracing is off.
  propagation.inject(context.active(), flat, arraySetter);
  return flat;
}

const arraySetter = { set: (carrier: string[], key: string, value: string) => void carrier.push(key, value) };

interface Target {
  origin: string;
  path: string;
  href: string;
}

export interface PooledFetchOptions {
  /** Idle keep-alive sockets are closed after this long (Together's own keep-alive is longer). */
  keepAliveTimeoutMs?: number;
}

/** A `fetch` for the openai SDK over one undici Agent (a keep-alive pool per origin); `close()` ends its sockets. */
export function createPooledFetch(options: PooledFetchOptions = {}): { fetch: typeof fetch; dispatcher: Dispatcher; close(): Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000, keepAliveMaxTimeout: 600_000 });
  // The provider calls five URLs: each is parsed once, not on every request.
  const parsed = new Map<string, Target>();
  const targetOf = (input: string | URL | Request): Target => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    let target = parsed.get(href);
    if (!target) {
      const url = new URL(href);
      target = { origin: url.origin, path: url.pathname + url.search, href: url.href };
      if (parsed.size < 32) parsed.set(href, target);
    }
    return target;
  };
  const pooledFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = targetOf(input);
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string') {
      // The SDK sends JSON strings for every call we make; multipart uploads are not something we send.
      throw new TypeError('the pooled fetch only sends string bodies');
    }
    const answer = await agent.request({
      origin: url.origin,
      path: url.path,
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: flatHeaders(init.headers),
      body: body ?? null,
      signal: init.signal ?? null,
    });
    return new UpstreamResponse(answer.statusCode, url.href, answer.headers, answer.body) as unknown as Response;
  };
  return { fetch: pooledFetch as typeof fetch, dispatcher: agent, close: () => agent.close() };
}

/** The raw body of a response from the pooled fetch, or the WHATWG body of any other Response. */
export function bodyChunks(response: Response): AsyncIterable<Uint8Array> {
  const pooled: unknown = response;
  if (pooled instanceof UpstreamResponse) return pooled.chunks;
  if (!response.body) throw new TypeError('Together answered a stream request without a body');
  return response.body as unknown as AsyncIterable<Uint8Array>;
}
