/** Public types of the Together AI simulator (see index.ts). */

export type UsageStyle = 'finish' | 'separate';

export interface SimulatorOptions {
  /** Model list file inside fixturesDir (or an absolute path). Default 'models.json'. */
  modelsFile?: string;
  /** Fixed delay before every response's first byte (models, chat, errors). Default 0. */
  latencyMs?: number;
  /** Delay between streamed chunks. Default 0. */
  chunkDelayMs?: number;
  /**
   * When set, requests must carry `Authorization: Bearer <apiKey>`. When unset any non-empty
   * bearer token is accepted. A missing Authorization header is always 401.
   */
  apiKey?: string;
  /** Directory holding the recorded fixtures. Default: <repo>/fixtures/together/. */
  fixturesDir?: string;
  /** Force a usage placement for every synthetic stream (default: chosen per model). */
  usageStyle?: UsageStyle;
}

export interface Fault {
  /**
   * Which route the fault matches (never the /__sim control routes). Default 'any', except
   * 'chat' when scenario, usageStyle, malformedAtChunk or chunkDelayMs is set.
   */
  route?: 'models' | 'chat' | 'embeddings' | 'rerank' | 'images' | 'any';
  /**
   * Only requests for this model (the body's `model`): one model failing while the others answer, for the
   * gateway's per-model breakers and fallbacks. Unset: any model.
   */
  model?: string;
  /** How many matching requests it applies to. Default 1; Infinity allowed. */
  times?: number;
  /** Respond with this status and Together's recorded error body for it. */
  status?: number;
  /** Override the response body (string = sent verbatim, otherwise JSON-serialised). */
  body?: unknown;
  /** Extra/override response headers. For 429 they replace the default rate-limit headers. */
  headers?: Record<string, string>;
  /** Wait this long before writing status/headers. */
  firstByteDelayMs?: number;
  /** Per-chunk delay for this request. */
  chunkDelayMs?: number;
  /** Stream: the headers go out at once, the first chunk this much later (a long prefill before the first token). */
  firstChunkDelayMs?: number;
  /** Stream: send N chunks then go silent until the client aborts. Non-stream (and every other route): never respond. */
  stallAfterChunks?: number;
  /** Stream: send N chunks then destroy the socket (no [DONE]). Non-stream: destroy without a response. */
  cutAfterChunks?: number;
  /** Stream: chunk number N (0-based) is sent as `data: {"id":"broken",` (invalid JSON). */
  malformedAtChunk?: number;
  /**
   * Chat: replay a recorded fixture by base name. Stream requests use `stream-<x>.sse`,
   * non-stream requests use `chat-<x>.json`; a `chat-` name on a stream request (or `stream-`
   * on a non-stream request) is swapped to the counterpart prefix. A missing fixture yields a
   * 500 `simulator_error`. Model validation is skipped when a scenario is forced.
   */
  scenario?: string;
  /** Synthetic stream usage placement for this request. */
  usageStyle?: UsageStyle;
  /**
   * Chat (synthetic replies): these fields replace the computed ones in the answer's `usage` object, streamed or
   * not (Together's field names, as in chat-llama32-3b-text.json: prompt_tokens, completion_tokens, total_tokens,
   * cached_tokens). For counts no real model sends, e.g. above 2^31 (issue 25.1).
   */
  usage?: Record<string, number>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  at: number;
}

export interface SimulatorStats {
  modelsCalls: number;
  chatCalls: number;
  streamCalls: number;
  /** POST /v1/embeddings, /v1/rerank, /v1/images/generations requests. */
  embeddingCalls: number;
  rerankCalls: number;
  imageCalls: number;
  /** Streams currently being written. */
  openStreams: number;
  /** Streams whose client closed before we finished. */
  abortedStreams: number;
  /**
   * Requests whose client closed before any response was sent (during a firstByteDelayMs wait, or a
   * non-stream stall). Streams closed after their headers count in abortedStreams instead.
   */
  abortedRequests: number;
  completedStreams: number;
  /** Streams the simulator cut on purpose (cutAfterChunks). Not counted as aborted. */
  cutStreams: number;
  /** Last 200 requests to /v1 routes. */
  requests: RecordedRequest[];
}

export interface TogetherSimulator {
  /** Base URL including /v1, e.g. http://127.0.0.1:43121/v1 (valid after start). */
  readonly url: string;
  readonly port: number;
  start(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  addFault(f: Fault): void;
  clearFaults(): void;
  reset(): void;
  readonly stats: SimulatorStats;
  waitFor(pred: (s: SimulatorStats) => boolean, timeoutMs?: number): Promise<void>;
}
