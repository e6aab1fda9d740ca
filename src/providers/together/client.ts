import OpenAI from 'openai';
import type { CatalogModel, ChatProvider, ChatRequest, ProviderCompletion, ProviderStreamChunk } from '../../domain.ts';
import { GatewayError, providerNotConfigured } from '../../errors.ts';
import { type RetryPolicy, type UpstreamCall, withRetries } from './call.ts';
import { normalizeTogetherModelList } from './models.ts';
import { mapTogetherError } from './errors.ts';
import { readTogetherSse } from './sse.ts';
import { mapCompletion, mapStreamChunk, parseTogetherJson, toTogetherParams } from './wire.ts';

export interface TogetherProviderOptions {
  apiKey: string | undefined;
  baseURL: string;
  upstreamTimeoutMs: number;
  streamIdleTimeoutMs: number;
  maxRetries?: number;
  retryBaseDelayMs?: number;
  onRetry?: RetryPolicy['onRetry'];
}

/**
 * Together through the `openai` SDK (OpenAI-compatible API at TOGETHER_BASE_URL). The only module that sends
 * requests to Together. The SDK's own retries and timeout are off: `withRetries` owns both, so they never stack.
 */
export class TogetherProvider implements ChatProvider {
  readonly name = 'together';
  private readonly client: OpenAI | null;
  private readonly policy: RetryPolicy;

  constructor(private readonly options: TogetherProviderOptions) {
    this.client = options.apiKey
      ? new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0, timeout: 2 ** 31 - 1, logLevel: 'off' })
      : null;
    this.policy = {
      maxRetries: options.maxRetries ?? 2,
      baseDelayMs: options.retryBaseDelayMs ?? 200,
      maxDelayMs: 4000,
      deadlineMs: options.upstreamTimeoutMs,
      onRetry: options.onRetry,
    };
  }

  get configured(): boolean {
    return this.client !== null;
  }

  private requireClient(): OpenAI {
    if (!this.client) throw providerNotConfigured();
    return this.client;
  }

  async listModels(signal: AbortSignal = new AbortController().signal): Promise<CatalogModel[]> {
    const client = this.requireClient();
    // Raw GET: the SDK's models.list() expects {data: [...]} and comes back empty on Together's bare array.
    const { value, call } = await withRetries(signal, this.policy, (s) => client.get<unknown>('/models', { signal: s }));
    call.dispose(false); // the body is read
    try {
      return normalizeTogetherModelList(value, this.name);
    } catch (err) {
      throw new GatewayError('UPSTREAM_UNAVAILABLE', 'Models data unavailable', { cause: err });
    }
  }

  async complete(request: ChatRequest, signal: AbortSignal): Promise<ProviderCompletion> {
    const client = this.requireClient();
    const params = { ...toTogetherParams(request), stream: false as const };
    // The raw body, not the SDK's parse: JSON.parse would round the 64-bit seed (see parseTogetherJson).
    // Reading it inside the attempt keeps the body under the same deadline.
    const { value, call } = await withRetries(signal, this.policy, async (s) => {
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

  async stream(request: ChatRequest, signal: AbortSignal): Promise<AsyncIterable<ProviderStreamChunk>> {
    const client = this.requireClient();
    // Always ask for usage: some models only send it on a trailing `choices: []` chunk when asked.
    const params = { ...toTogetherParams(request), stream: true as const, stream_options: { include_usage: true } };
    const { value, call } = await withRetries(signal, this.policy, (s) => client.chat.completions.create(params, { signal: s }).asResponse());
    return iterateStream(readTogetherSse(value), call, this.options.streamIdleTimeoutMs);
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
    if (err instanceof GatewayError && !call.signal.aborted) throw err;
    throw call.failure(err, idleMessage);
  } finally {
    // Left early (client gone, error): close Together's response so its socket does not stream on.
    call.dispose(!readToEnd);
  }
}
