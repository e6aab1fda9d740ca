import OpenAI, { type ClientOptions } from 'openai';
import { FlatHeaders } from './http.ts';

/**
 * The `openai` SDK client this provider sends every Together request through, with two of the SDK's per-request
 * costs paid once instead of on every call. Everything else is the SDK's own code: the request's JSON body, the
 * response handling, every APIError class we map, the error bodies it reads.
 *
 * Why (issue 23, `npm run bench:profile`, REST chat call at 16 clients): the SDK's request building was the largest
 * single concern of a gateway call (18.6 % of its CPU), and most of it was the same work every time:
 *   - `buildHeaders` builds the same ten headers (user agent, platform, auth, content type) into a fresh WHATWG
 *     `Headers` three times per request (6.3 % of the call), and its debug-log detail copies them again even with
 *     logging off (`formatRequestDetails`, 2.9 %);
 *   - `fetchWithTimeout` arms a timer that never fires (the provider owns deadlines, so the SDK's timeout is the
 *     largest a timer takes) and chains one more AbortController onto the caller's signal.
 *
 * So, for the requests this provider makes (a GET or a JSON POST, no per-call headers, timeout, query or retry
 * count), the headers are the ones the SDK itself built for the first such request, kept as one frozen flat
 * list (FlatHeaders, the transport's own form); and a request without a timer of its own goes straight to the transport with the caller's signal. Any
 * other request takes the SDK's own path unchanged. tests/providers/sdk-client.test.ts sends the same calls
 * through this client and the stock SDK and requires the same headers and bodies on the wire, so a change of
 * the pinned SDK version that moves either fails there, not in production.
 */

type BuildRequest = OpenAI['buildRequest'];
type RequestOptions = Parameters<BuildRequest>[0];
type BuiltRequest = Awaited<ReturnType<BuildRequest>>;
type FetchFn = NonNullable<ClientOptions['fetch']>;

/** The largest delay a Node timer takes: the SDK timeout that means "the provider's own deadline decides". */
export const NO_SDK_TIMEOUT_MS = 2 ** 31 - 1;

/** Paths whose full URL is remembered; the provider uses five. */
const MAX_REMEMBERED_URLS = 32;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The key of a request whose headers are the same every time, or null when the SDK's own path must build it:
 * per-call headers, timeout, query, idempotency key or fetch options, a retry, or a body that is not plain JSON.
 */
function repeatableHeadersKey(options: RequestOptions, retryCount: number): string | null {
  if (retryCount !== 0 || options.headers !== undefined || options.timeout !== undefined) return null;
  if (options.query != null || options.idempotencyKey !== undefined || options.fetchOptions !== undefined) return null;
  const security = options.__security;
  if (security !== undefined && !(security.bearerAuth === true && Object.keys(security).length === 1)) return null;
  if (options.method === 'get' && !('body' in options)) return 'get';
  if (options.method === 'post' && isPlainObject(options.body)) return 'post-json';
  return null;
}

export class TogetherSdkClient extends OpenAI {
  private readonly transport: FetchFn;
  private readonly repeatableHeaders = new Map<string, FlatHeaders>();
  private readonly urls = new Map<string, string>();

  constructor(options: ClientOptions & { fetch: FetchFn }) {
    super(options);
    this.transport = options.fetch;
  }

  override async buildRequest(options: RequestOptions, { retryCount = 0 }: { retryCount?: number } = {}): Promise<BuiltRequest> {
    // Only an API key's headers are the same on every request (workload-identity auth sets a token per request).
    const key = typeof this.apiKey !== 'string' || this.idempotencyHeader || this.fetchOptions ? null : repeatableHeadersKey(options, retryCount);
    if (key === null) return super.buildRequest(options, { retryCount });
    let headers = this.repeatableHeaders.get(key);
    if (!headers) {
      // The SDK's own headers for this kind of request (body `{}` stands for any JSON body: only its type counts).
      const template = await super.buildRequest({ ...options, ...(key === 'post-json' ? { body: {} } : {}), signal: undefined }, { retryCount });
      const pairs: string[] = [];
      template.req.headers.forEach((value, name) => void pairs.push(name, value));
      headers = new FlatHeaders(pairs);
      this.repeatableHeaders.set(key, headers);
    }
    const body = key === 'post-json' ? JSON.stringify(options.body) : undefined;
    const req = {
      method: options.method,
      // FlatHeaders where the SDK types a `Headers`: past this point the SDK only hands them to its debug-log
      // detail (which takes any object) and to the transport (which reads name/value pairs); only workload-identity
      // auth would call `.get`/`.set` on them, and this client authenticates with an API key.
      headers: headers as unknown as Headers,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(body !== undefined ? { body } : {}),
    };
    return { req, url: this.urlOf(options.path, options.defaultBaseURL), timeout: this.timeout };
  }

  override async fetchWithTimeout(url: Parameters<FetchFn>[0], init: RequestInit | undefined, ms: number, controller: AbortController): Promise<Response> {
    // A finite timeout is the SDK's to keep (nothing here sets one); without one its timer never fires and its
    // controller is read only by its own Stream class, which this provider never uses (it reads SSE itself).
    if (ms < NO_SDK_TIMEOUT_MS || !init) return super.fetchWithTimeout(url, init, ms, controller);
    const { method, ...rest } = init;
    return this.transport(url, { ...rest, method: method ? method.toUpperCase() : 'GET' });
  }

  private urlOf(path: string, defaultBaseURL: string | undefined): string {
    const key = defaultBaseURL === undefined ? path : `${defaultBaseURL} ${path}`;
    let url = this.urls.get(key);
    if (url === undefined) {
      url = this.buildURL(path, undefined, defaultBaseURL);
      if (this.urls.size < MAX_REMEMBERED_URLS) this.urls.set(key, url);
    }
    return url;
  }
}

// The SDK derives its User-Agent from the class's name (`OpenAI/JS 6.x`): Together sees the stock client's.
Object.defineProperty(TogetherSdkClient, 'name', { value: OpenAI.name });
