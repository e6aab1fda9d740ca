import type { GatewayRegistry } from '../catalog/registry.ts';
import type { AttemptReport, CallKind, CallOwner, Caller, Candidate } from '../chat/call.ts';
import { findCandidate, refusalGateway } from '../chat/route.ts';
import { validateFallbackModels } from '../chat/validate.ts';
import type { CancelSignal } from '../core/cancellation.ts';
import { badInput } from '../core/errors.ts';
import type {
  AttemptOptions,
  CatalogModel,
  ChatProvider,
  EmbeddingRequest,
  GeneratedImage,
  ImageRequest,
  ModelType,
  ProviderEmbeddings,
  ProviderImages,
  ProviderRerank,
  RerankDocument,
  RerankHit,
  RerankRequest,
  Usage,
} from '../domain.ts';
import { computeCostUsd, worstCaseCostUsd } from '../usage/cost.ts';
import { estimateTokens } from '../usage/estimate.ts';
import {
  type EmbedInput,
  type ImageInput,
  type InferenceLimits,
  type RerankInput,
  validateEmbedInput,
  validateImageInput,
  validateRerankInput,
} from './validate.ts';

/** What every answer of these operations carries, beside its own data. */
interface Answered {
  model: string;
  provider: string;
  costUsd: number | null;
  latencyMs: number;
  /** Every model tried, in order, the one that answered last (code null): as ChatResult.attempts. */
  attempts: AttemptReport[];
}

/** One input's vector (faces encode it as they need: floats, or base64 with ./encoding.ts). */
export interface EmbeddingVector {
  index: number;
  vector: number[];
}

export interface EmbedResult extends Answered {
  /** One per input, in input order. */
  embeddings: EmbeddingVector[];
  usage: Usage;
  /** Together's embeddings answer lists no usage: the prompt is then counted from the text (~4 characters a token). */
  usageEstimated: boolean;
}

export interface RerankResult extends Answered {
  id: string;
  /** Best first. */
  results: RerankHit[];
  usage: Usage;
  usageEstimated: boolean;
}

export interface ImageResult extends Answered {
  id: string;
  images: GeneratedImage[];
}

/** Together's default image size, used for per-megapixel prices when the caller names none. */
export const DEFAULT_IMAGE_SIDE = 1024;
/** Tokens a model's tokenizer may add around each text (BOS/CLS, SEP/EOS, a rerank template's separators). */
const TEXT_ALLOWANCE_TOKENS = 16;

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');
const documentText = (d: RerankDocument): string => (typeof d === 'string' ? d : JSON.stringify(d));
const promptOnly = (promptTokens: number): Usage => ({ promptTokens, completionTokens: 0, totalTokens: promptTokens });
const NO_USAGE: Usage = promptOnly(0);

/**
 * Prompt tokens at the model's input price: embeddings and rerank bill the text they read, nothing else.
 * Null when the model has no per-token price (unknown, not free).
 */
const promptCost = (promptTokens: number, model: CatalogModel | null): number | null => computeCostUsd(promptOnly(promptTokens), model?.pricing ?? null);
/** The same for admission's worst case: an overflow stays Infinity, which admission refuses (issue 25.7). */
const worstPromptCost = (promptTokens: number, model: CatalogModel | null): number | null =>
  worstCaseCostUsd(promptOnly(promptTokens), model?.pricing ?? null);

/** How one operation differs from the others; everything else (routing, admission, attempts, rows) is shared. */
interface Operation<Req extends { model: string }, Answer> {
  kind: CallKind;
  /** The catalog type the operation needs. */
  type: ModelType;
  /** The GraphQL field's name, for messages. */
  name: string;
  send(provider: ChatProvider, request: Req, signal: AbortSignal, options: AttemptOptions): Promise<Answer>;
  has(provider: ChatProvider): boolean;
  /** The most the call can cost at one model's prices (budget reservation); null when it has no price for it. */
  worstCase(request: Req, model: CatalogModel | null): number | null;
  /** What a model without a usable price lacks, for the FORBIDDEN message. */
  unpriced: string;
}

/**
 * Embeddings, rerank and images for every face, on the same call owner as chat (src/chat/call.ts): the model
 * and its fallbacks routed through the catalog, a model of the wrong type refused before any upstream call,
 * admission (key, rpm, a budget reservation at the model's prices: a budgeted key may not call a model the
 * gateway cannot price), one deadline split among the attempts, per-model breakers, one activity row per
 * attempt with its kind, and the answer priced by the one pricing function.
 */
export class InferenceService {
  constructor(
    private readonly gateways: GatewayRegistry,
    private readonly calls: CallOwner,
    private readonly limits: InferenceLimits,
  ) {}

  async embed(input: EmbedInput, caller: Caller, signal?: CancelSignal): Promise<EmbedResult> {
    const request = () => validateEmbedInput(input, this.limits);
    return this.run(input, caller, signal, request, EMBED, (answer, candidate, sent) => {
      const usageEstimated = answer.usage === null;
      const usage = answer.usage ?? promptOnly(estimateTokens(sent.input.reduce((n, t) => n + t.length, 0)));
      const costUsd = promptCost(usage.promptTokens, candidate.catalogModel);
      return {
        outcome: { usage, usageEstimated, costUsd },
        result: { model: answer.model, embeddings: answer.vectors.map((vector, index) => ({ index, vector })), usage, usageEstimated, costUsd },
      };
    });
  }

  async rerank(input: RerankInput, caller: Caller, signal?: CancelSignal): Promise<RerankResult> {
    const request = () => validateRerankInput(input, this.limits);
    return this.run(input, caller, signal, request, RERANK, (answer, candidate, sent) => {
      const usageEstimated = answer.usage === null;
      const chars = sent.documents.reduce((n, d) => n + sent.query.length + documentText(d).length, 0);
      const usage = answer.usage ?? promptOnly(estimateTokens(chars));
      const costUsd = promptCost(usage.promptTokens, candidate.catalogModel);
      return { outcome: { usage, usageEstimated, costUsd }, result: { id: answer.id, model: answer.model, results: answer.results, usage, usageEstimated, costUsd } };
    });
  }

  async generateImage(input: ImageInput, caller: Caller, signal?: CancelSignal): Promise<ImageResult> {
    const request = () => validateImageInput(input, this.limits);
    return this.run(input, caller, signal, request, IMAGE, (answer, candidate, sent) => {
      const costUsd = computeCostUsd(NO_USAGE, candidate.catalogModel?.pricing ?? null, imageOutput(sent, answer.images.length));
      return { outcome: { usage: NO_USAGE, usageEstimated: false, costUsd }, result: { id: answer.id, model: answer.model, images: answer.images, costUsd } };
    });
  }

  /** One call of any of the three: validate, route, admit, attempt, price, row; `finish` turns the answer into the result. */
  private async run<Req extends { model: string }, Answer, Result extends Pick<Answered, 'model' | 'costUsd'>>(
    input: { model: string; provider?: string | null | undefined; fallbackModels?: string[] | null | undefined },
    caller: Caller,
    signal: CancelSignal | undefined,
    validate: () => Req,
    op: Operation<Req, Answer>,
    finish: (answer: Answer, candidate: Candidate, sent: Req) => { outcome: { usage: Usage; usageEstimated: boolean; costUsd: number | null }; result: Result },
  ): Promise<Result & Answered> {
    const call = this.calls.open(caller, { kind: op.kind, stream: false, model: String(input.model ?? ''), gateway: refusalGateway(this.gateways, input.provider) }, signal);
    try {
      const request = validate();
      const candidates: Candidate[] = [];
      for (const model of [request.model, ...validateFallbackModels(input.fallbackModels, request.model)]) {
        candidates.push(this.check(await findCandidate(this.gateways, model, input.provider), op));
      }
      call.route(candidates);
      await call.admit((admission, key, models) => admission.admitPriced(key, request.model, models, (model) => op.worstCase(request, model), op.unpriced));
      const { value, attempt } = await call.attempt((c, options) => op.send(c.gateway.provider, { ...request, model: c.model }, call.signal, options));
      const { outcome, result } = finish(value, attempt.candidate, { ...request, model: attempt.candidate.model });
      attempt.succeed({ ...outcome, ttftMs: null, finishReason: null });
      return { ...result, provider: attempt.candidate.gateway.provider.name, latencyMs: performance.now() - call.started, attempts: call.attempts };
    } catch (err) {
      call.fail(err);
      throw err;
    }
  }

  /**
   * A model the catalog lists under another type is the caller's mistake: BAD_USER_INPUT before any upstream
   * call (Together would answer 400, which is mapped the same way, but only after a round trip and a row).
   */
  private check<Req extends { model: string }>(candidate: Candidate, op: Operation<Req, unknown>): Candidate {
    const listed = candidate.catalogModel?.type;
    if (listed !== undefined && listed !== op.type) {
      throw badInput(`Model "${candidate.model}" is a ${listed} model: ${op.name} needs a model of type ${op.type} (see models(type: ${op.type}))`, 'model');
    }
    if (!op.has(candidate.gateway.provider)) throw badInput(`Provider "${candidate.gateway.provider.name}" does not serve ${op.name}`, 'provider');
    return candidate;
  }
}

/** Per-image and per-megapixel prices count what was made, at the requested (or Together's default) size. */
function imageOutput(request: { width?: number | undefined; height?: number | undefined }, count: number) {
  return { count, width: request.width ?? DEFAULT_IMAGE_SIDE, height: request.height ?? DEFAULT_IMAGE_SIDE };
}

const EMBED: Operation<EmbeddingRequest, ProviderEmbeddings> = {
  kind: 'embedding',
  type: 'EMBEDDING',
  name: 'embed',
  has: (p) => typeof p.embed === 'function',
  send: (p, request, signal, options) => p.embed!(request, signal, options),
  // Every tokenizer Together serves is byte-level (or byte fallback): n bytes are at most n tokens.
  worstCase: (request, model) => worstPromptCost(request.input.reduce((n, t) => n + utf8(t) + TEXT_ALLOWANCE_TOKENS, 0), model),
  unpriced: 'has no per-token price in the catalog',
};

const RERANK: Operation<RerankRequest, ProviderRerank> = {
  kind: 'rerank',
  type: 'RERANK',
  name: 'rerank',
  has: (p) => typeof p.rerank === 'function',
  send: (p, request, signal, options) => p.rerank!(request, signal, options),
  // The query is read once with each document.
  worstCase: (request, model) =>
    worstPromptCost(request.documents.reduce((n, d) => n + utf8(request.query) + utf8(documentText(d)) + TEXT_ALLOWANCE_TOKENS, 0), model),
  unpriced: 'has no per-token price in the catalog',
};

const IMAGE: Operation<ImageRequest, ProviderImages> = {
  kind: 'image',
  type: 'IMAGE',
  name: 'generateImage',
  has: (p) => typeof p.generateImages === 'function',
  send: (p, request, signal, options) => p.generateImages!(request, signal, options),
  worstCase: (request, model) => worstCaseCostUsd(NO_USAGE, model?.pricing ?? null, imageOutput(request, request.n ?? 1)),
  unpriced: 'has no price per image or per megapixel (Together lists image models at 0/0)',
};
