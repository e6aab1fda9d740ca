import { APIError } from 'openai';
import type {
  AttemptOptions,
  CatalogModel,
  ChatProvider,
  ChatRequest,
  EmbeddingRequest,
  ImageRequest,
  ProviderCompletion,
  ProviderEmbeddings,
  ProviderImages,
  ProviderRerank,
  ProviderStreamChunk,
  RerankRequest,
} from '../../domain.ts';
import { CancelledError, GatewayError, findGatewayError, providerNotConfigured } from '../../core/errors.ts';
import { closeUnstarted } from '../../core/iterators.ts';
import { type BreakerPermit, type BreakerSnapshot, type BreakerState, CircuitBreaker } from '../../resilience/breaker.ts';
import { type RetryPolicy, type UpstreamCall, withRetries } from './call.ts';
import { mapTogetherError } from './errors.ts';
import { normalizeTogetherModelList } from './models.ts';
import { createPooledFetch } from './http.ts';
import { NO_SDK_TIMEOUT_MS, TogetherSdkClient } from './sdk-client.ts';
import { readTogetherSse } from './sse.ts';
import { mapCompletion, mapStreamChunk, parseTogetherJson, toTogetherParams } from './wire.ts';
import { mapEmbeddings, mapImages, mapRerank, toTogetherEmbeddingParams, toTogetherImageParams, toTogetherRerankParams } from './inference-wire.ts';

export interface TogetherProviderOptions {
  apiKey: string | undefined;
  baseURL: string;
  upstreamTimeoutMs: number;
  streamIdleTimeoutMs: number;
  maxRetries?: number;
  retryBaseDelayMs?: number;
  onRetry?: RetryPolicy['onRetry'];
  /** Consecutive failures that open the circuit (default 5), and its cool-down before a probe (default 10 s). */
  breakerFailureThreshold?: number;
  breakerResetMs?: number;
  onBreakerChange?: (from: BreakerState, to: BreakerState, snapshot: BreakerSnapshot) => void;
}

type Verdict = 'success' | 'failure' | 'neutral';

/**
 * What a failed call says about Together's health. Only Together failing counts against it (5xx, unreachable,
 * deadlines, a broken stream); any HTTP answer below 500 proves it is up; a caller who left, a shutdown or a
 * missing key says nothing.
 */
function verdictOf(err: unknown, signal: AbortSignal): Verdict {
  if (signal.aborted || err instanceof CancelledError) return 'neutral';
  const known = findGatewayError(err);
  if (!known) return 'neutral';
  const status = known.cause instanceof APIError ? known.cause.status : undefined;
  if (typeof status === 'number' && status < 500) return 'success';
  if (known.code === 'UPSTREAM_UNAVAILABLE' || known.code === 'UPSTREAM_TIMEOUT') return 'failure';
  return known.code === 'PROVIDER_NOT_CONFIGURED' ? 'neutral' : 'success';
}

function settle(permit: BreakerPermit, verdict: Verdict): void {
  if (verdict === 'success') permit.success();
  else if (verdict === 'failure') permit.failure();
  else permit.release();
}

/**
 * Together through the `openai` SDK (OpenAI-compatible API at TOGETHER_BASE_URL). The only module that sends
 * requests to Together. The SDK's own retries and timeout are off: `withRetries` owns both, so they never stack.
 */
export class TogetherProvider implements ChatProvider {
  readonly name = 'together';
  private readonly client: TogetherSdkClient | null;
  private readonly policy: RetryPolicy;
  /** The circuit of Together's catalog endpoint (chat has one per model, in the call owner). `state` / `snapshot()` for metrics. */
  readonly breaker: CircuitBreaker;

  /** The SDK's transport: an undici keep-alive pool instead of the global fetch (see http.ts for the measured why). */
  private readonly transport = createPooledFetch();

  constructor(private readonly options: TogetherProviderOptions) {
    this.client = options.apiKey
      ? new TogetherSdkClient({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0, timeout: NO_SDK_TIMEOUT_MS, logLevel: 'off', fetch: this.transport.fetch })
      : null;
    this.policy = {
      maxRetries: options.maxRetries ?? 2,
      baseDelayMs: options.retryBaseDelayMs ?? 200,
      maxDelayMs: 4000,
      deadlineMs: options.upstreamTimeoutMs,
      onRetry: options.onRetry,
    };
    this.breaker = new CircuitBreaker({
      name: 'Together',
      failureThreshold: options.breakerFailureThreshold ?? 5,
      resetMs: options.breakerResetMs ?? 10_000,
      onStateChange: options.onBreakerChange,
    });
  }

  /** Closes the pooled keep-alive sockets (shutdown, after the last call). */
  close(): Promise<void> {
    return this.transport.close();
  }

  get configured(): boolean {
    return this.client !== null;
  }

  private requireClient(): TogetherSdkClient {
    if (!this.client) throw providerNotConfigured();
    return this.client;
  }

  async listModels(signal: AbortSignal = new AbortController().signal): Promise<CatalogModel[]> {
    const client = this.requireClient();
    // Raw GET: the SDK's models.list() expects {data: [...]} and comes back empty on Together's bare array.
    const { value, call } = await this.guarded(signal, {}, (s) => client.get<unknown>('/models', { signal: s }));
    call.dispose(false); // the body is read
    try {
      return normalizeTogetherModelList(value, this.name);
    } catch (err) {
      throw new GatewayError('UPSTREAM_UNAVAILABLE', 'Models data unavailable', { cause: err });
    }
  }

  async complete(request: ChatRequest, signal: AbortSignal, options: AttemptOptions = {}): Promise<ProviderCompletion> {
    const client = this.requireClient();
    const params = { ...toTogetherParams(request), stream: false as const };
    // The raw body, not the SDK's parse: JSON.parse would round the 64-bit seed (see parseTogetherJson).
    // Reading it inside the attempt keeps the body under the same deadline. No breaker here: the call owner
    // (src/chat/call.ts) keeps one per model around each attempt.
    const { value, call } = await withRetries(signal, this.policyFor(options), async (s) => {
      const response = await client.chat.completions.create(params, { signal: s }).asResponse();
      return response.text();
    });
    call.dispose(false); // the body is read
    let body: unknown;
    try {
      body = parseTogetherJson(value);
    } catch (err) {
      throw mapTogetherError(err);
    }
    return mapCompletion(body, request.model);
  }

  embed(request: EmbeddingRequest, signal: AbortSignal, options: AttemptOptions = {}): Promise<ProviderEmbeddings> {
    return this.postJson('/embeddings', toTogetherEmbeddingParams(request), signal, options, (body) => mapEmbeddings(body, request));
  }

  rerank(request: RerankRequest, signal: AbortSignal, options: AttemptOptions = {}): Promise<ProviderRerank> {
    return this.postJson('/rerank', toTogetherRerankParams(request), signal, options, (body) => mapRerank(body, request));
  }

  generateImages(request: ImageRequest, signal: AbortSignal, options: AttemptOptions = {}): Promise<ProviderImages> {
    return this.postJson('/images/generations', toTogetherImageParams(request), signal, options, (body) => mapImages(body, request));
  }

  /**
   * One JSON POST answered in one piece, as complete() makes it: retries and the attempt's share of the call's
   * deadline around the whole exchange (the body is read inside the attempt), then Together's answer mapped, or
   * its error. No breaker here: the call owner (src/chat/call.ts) keeps one per model around each attempt.
   */
  private async postJson<T>(path: string, body: Record<string, unknown>, signal: AbortSignal, options: AttemptOptions, map: (body: unknown) => T): Promise<T> {
    const client = this.requireClient();
    const { value, call } = await withRetries(signal, this.policyFor(options), async (s) => {
      const response = await client.post(path, { body, signal: s }).asResponse();
      return response.text();
    });
    call.dispose(false); // the body is read
    try {
      // Plain JSON.parse: these answers carry no 64-bit integers, and a vector's many long decimals would send
      // every embeddings body down parseTogetherJson's slow path for nothing.
      return map(JSON.parse(value));
    } catch (err) {
      throw mapTogetherError(err);
    }
  }

  async stream(request: ChatRequest, signal: AbortSignal, options: AttemptOptions = {}): Promise<AsyncIterable<ProviderStreamChunk>> {
    const client = this.requireClient();
    // Always ask for usage: some models only send it on a trailing `choices: []` chunk when asked.
    const params = { ...toTogetherParams(request), stream: true as const, stream_options: { include_usage: true } };
    const { value, call } = await withRetries(signal, this.policyFor(options), (s) => client.chat.completions.create(params, { signal: s }).asResponse());
    return closeUnstarted(iterateStream(readTogetherSse(value), call, this.options.streamIdleTimeoutMs), () => call.dispose());
  }

  /** The retry policy for one attempt: the call owner's remaining deadline and retry allowance, when given. */
  private policyFor(options: AttemptOptions): RetryPolicy {
    if (options.deadlineMs === undefined && options.maxRetries === undefined) return this.policy;
    return {
      ...this.policy,
      deadlineMs: options.deadlineMs ?? this.policy.deadlineMs,
      maxRetries: options.maxRetries ?? this.policy.maxRetries,
    };
  }

  /** A catalog call before its first byte: through the catalog's circuit breaker, then retries and the first-byte deadline. */
  private async guarded<T>(signal: AbortSignal, options: AttemptOptions, attempt: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; call: UpstreamCall }> {
    const permit = this.breaker.acquire();
    try {
      const result = await withRetries(signal, this.policyFor(options), attempt);
      permit.success();
      return result;
    } catch (err) {
      settle(permit, verdictOf(err, signal));
      throw err;
    }
  }
}

async function* iterateStream(source: AsyncIterable<unknown>, call: UpstreamCall, idleMs: number): AsyncGenerator<ProviderStreamChunk> {
  const idleMessage = `Together sent nothing for ${idleMs} ms mid-stream`;
  let readToEnd = false;
  try {
    call.arm(idleMs);
    for await (const raw of source) {
      // The timer runs only while we wait on Together, never while a slow client consumes a chunk.
      call.disarm();
      yield mapStreamChunk(raw);
      call.arm(idleMs);
    }
    // An abort may also end the body quietly: tell a timeout or a cancel apart from the end.
    if (call.signal.aborted) throw call.failure(undefined, idleMessage);
    readToEnd = true;
  } catch (err) {
    throw err instanceof GatewayError && !call.signal.aborted ? err : call.failure(err, idleMessage);
  } finally {
    // Left early (client gone, error): close Together's response so its socket does not stream on.
    call.dispose(!readToEnd);
  }
}
