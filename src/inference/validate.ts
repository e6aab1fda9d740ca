import { badInput } from '../core/errors.ts';
import { modelIdProblem } from '../usage/activity.ts';
import type { EmbeddingRequest, ImageFormat, ImageRequest, RerankDocument, RerankRequest } from '../domain.ts';

type Opt<T> = T | null | undefined;

/** What a face hands in for embeddings (GraphQL's EmbedInput; REST's body with `input` as a string or a list). */
export interface EmbedInput {
  model: string;
  input: string | string[];
  provider?: Opt<string>;
  dimensions?: Opt<number>;
  fallbackModels?: Opt<string[]>;
}

export interface RerankInput {
  model: string;
  query: string;
  /** Strings (GraphQL and REST) or objects (REST: Together ranks their JSON, or `rankFields` of it). */
  documents: RerankDocument[];
  topN?: Opt<number>;
  returnDocuments?: Opt<boolean>;
  rankFields?: Opt<string[]>;
  provider?: Opt<string>;
  fallbackModels?: Opt<string[]>;
}

export interface ImageInput {
  model: string;
  prompt: string;
  n?: Opt<number>;
  width?: Opt<number>;
  height?: Opt<number>;
  steps?: Opt<number>;
  seed?: Opt<number>;
  negativePrompt?: Opt<string>;
  format?: Opt<ImageFormat>;
  provider?: Opt<string>;
  fallbackModels?: Opt<string[]>;
}

/** The size caps of every kind of call (MAX_MESSAGE_CHARS bounds one text, as for a chat message). */
export interface InferenceLimits {
  maxTextChars: number;
}

/** OpenAI's cap on inputs per embeddings request; Together's models accept batches that size. */
export const MAX_EMBED_INPUTS = 2048;
/** Cohere's cap on documents per rerank request. */
export const MAX_RERANK_DOCUMENTS = 1000;
/** Together's `n` range for images. */
export const MAX_IMAGES = 10;
/** Pixels per side we accept before Together checks its own (narrower) range: keeps the budget estimate bounded. */
const MAX_SIDE = 8192;
const MAX_STEPS = 500;

const present = <T>(v: Opt<T>): v is T => v !== null && v !== undefined;

function model(value: unknown): string {
  const id = typeof value === 'string' ? value.trim() : '';
  const problem = modelIdProblem(id);
  if (problem) throw badInput(`model ${problem}`, 'model');
  return id;
}

function text(value: unknown, field: string, limits: InferenceLimits): string {
  if (typeof value !== 'string' || value.trim() === '') throw badInput(`${field} must be a non-empty string`, field);
  if (value.length > limits.maxTextChars) throw badInput(`${field} is longer than ${limits.maxTextChars} characters`, field);
  return value;
}

function int(value: unknown, field: string, min: number, max: number): number | undefined {
  if (!present(value)) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw badInput(`${field} must be an integer from ${min} to ${max}`, field);
  }
  return value;
}

export function validateEmbedInput(input: EmbedInput, limits: InferenceLimits): EmbeddingRequest {
  const raw = typeof input.input === 'string' ? [input.input] : input.input;
  if (!Array.isArray(raw) || raw.length === 0) throw badInput('input must be a non-empty string or a non-empty list of strings', 'input');
  if (raw.length > MAX_EMBED_INPUTS) throw badInput(`input may hold at most ${MAX_EMBED_INPUTS} texts`, 'input');
  const texts = raw.map((t, i) => text(t, `input.${i}`, limits));
  const dimensions = int(input.dimensions, 'dimensions', 1, 65_536);
  return { model: model(input.model), input: texts, ...(dimensions !== undefined ? { dimensions } : {}) };
}

export function validateRerankInput(input: RerankInput, limits: InferenceLimits): RerankRequest {
  const query = text(input.query, 'query', limits);
  const docs = input.documents;
  if (!Array.isArray(docs) || docs.length === 0) throw badInput('documents must be a non-empty list', 'documents');
  if (docs.length > MAX_RERANK_DOCUMENTS) throw badInput(`documents may hold at most ${MAX_RERANK_DOCUMENTS} documents`, 'documents');
  const strings = docs.every((d) => typeof d === 'string');
  const objects = docs.every((d) => d !== null && typeof d === 'object' && !Array.isArray(d));
  if (!strings && !objects) throw badInput('documents must be all strings or all objects', 'documents');
  if (strings) docs.forEach((d, i) => text(d, `documents.${i}`, limits));
  else docs.forEach((d, i) => {
    if (JSON.stringify(d).length > limits.maxTextChars) throw badInput(`documents.${i} is longer than ${limits.maxTextChars} characters`, `documents.${i}`);
  });
  const topN = int(input.topN, 'topN', 1, MAX_RERANK_DOCUMENTS);
  let rankFields: string[] | undefined;
  if (present(input.rankFields)) {
    if (strings) throw badInput('rankFields only applies to documents given as objects', 'rankFields');
    if (!Array.isArray(input.rankFields) || input.rankFields.length === 0 || !input.rankFields.every((f) => typeof f === 'string' && f !== '')) {
      throw badInput('rankFields must be a non-empty list of field names', 'rankFields');
    }
    rankFields = input.rankFields;
  }
  if (present(input.returnDocuments) && typeof input.returnDocuments !== 'boolean') throw badInput('returnDocuments must be a boolean', 'returnDocuments');
  return {
    model: model(input.model),
    query,
    documents: docs,
    ...(topN !== undefined ? { topN } : {}),
    ...(present(input.returnDocuments) ? { returnDocuments: input.returnDocuments } : {}),
    ...(rankFields ? { rankFields } : {}),
  };
}

export function validateImageInput(input: ImageInput, limits: InferenceLimits): ImageRequest {
  const prompt = text(input.prompt, 'prompt', limits);
  const format = input.format ?? 'URL';
  if (format !== 'URL' && format !== 'BASE64') throw badInput('format must be URL or BASE64', 'format');
  const optional = {
    n: int(input.n, 'n', 1, MAX_IMAGES),
    width: int(input.width, 'width', 1, MAX_SIDE),
    height: int(input.height, 'height', 1, MAX_SIDE),
    steps: int(input.steps, 'steps', 1, MAX_STEPS),
    seed: int(input.seed, 'seed', -(2 ** 31), 2 ** 31 - 1),
    negativePrompt: present(input.negativePrompt) ? text(input.negativePrompt, 'negativePrompt', limits) : undefined,
  };
  const request: ImageRequest = { model: model(input.model), prompt, format };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (request as unknown as Record<string, unknown>)[k] = v;
  return request;
}
