/**
 * Embeddings, rerank and images at the REST edge: the wire formats their clients already speak ↔ the inference
 * service's inputs and results. Translation only: what is valid and what a call costs is decided in
 * src/inference/.
 *  - `POST /v1/embeddings`: OpenAI's (`input` a string or a list of strings, `encoding_format` float or base64,
 *    `dimensions`); the `openai` SDK asks for base64 by default.
 *  - `POST /v1/rerank`: Together's, which is Cohere's (`query`, `documents` as strings or objects, `top_n`,
 *    `return_documents`, `rank_fields`) → `{object: "rerank", id, model, results: [{index, relevance_score,
 *    document?: {text}}], usage}`.
 *  - `POST /v1/images/generations`: OpenAI's and Together's (`n`, OpenAI's `size: "WxH"` or Together's `width` /
 *    `height`, `steps`, `seed`, `negative_prompt`, `response_format` url | b64_json | base64) → `{created, data:
 *    [{url} | {b64_json}]}` with Together's `id`, `model`, `object` and each image's `index` beside it.
 * Every answer also carries `cost_usd`, as chat's does.
 */
import { badInput } from '../core/errors.ts';
import type { RerankDocument } from '../domain.ts';
import { vectorToBase64 } from '../inference/encoding.ts';
import type { EmbedResult, ImageResult, RerankResult } from '../inference/service.ts';
import type { EmbedInput, ImageInput, RerankInput } from '../inference/validate.ts';
import { type Json, absent, isObject } from './json.ts';

/** The service's field names → the wire's, so an error names the field the client sent. */
export const INFERENCE_FIELDS: Readonly<Record<string, string>> = {
  topN: 'top_n',
  returnDocuments: 'return_documents',
  rankFields: 'rank_fields',
  negativePrompt: 'negative_prompt',
  format: 'response_format',
  fallbackModels: 'models',
};

function object(body: unknown): Json {
  if (!isObject(body)) throw badInput('The request body must be a JSON object');
  return body;
}

/** Passed on as given (the service checks types and ranges), only null turned into "absent". */
const opt = <T>(v: unknown): T | undefined => (absent(v) ? undefined : (v as T));

/** OpenRouter's `models` beside `model` (as chat takes it): the models after the first are the fallbacks. */
function fallbacks(body: Json): string[] | undefined {
  if (absent(body.models)) return undefined;
  if (!Array.isArray(body.models)) throw badInput('models must be a list of model ids', 'fallbackModels');
  return (body.models as string[]).filter((m) => m !== body.model);
}

export type EncodingFormat = 'float' | 'base64';

export function fromOpenAIEmbeddings(raw: unknown): { input: EmbedInput; encoding: EncodingFormat } {
  const body = object(raw);
  const input = body.input;
  if (Array.isArray(input) && input.some((x) => typeof x !== 'string')) {
    throw badInput('input must be a string or a list of strings (token arrays are not supported)', 'input');
  }
  const encoding = body.encoding_format ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64') throw badInput('encoding_format must be "float" or "base64"', 'encoding_format');
  return {
    input: {
      model: body.model as string,
      input: input as string | string[],
      provider: opt(body.provider),
      dimensions: opt(body.dimensions),
      fallbackModels: fallbacks(body),
    },
    encoding,
  };
}

export function toOpenAIEmbeddings(result: EmbedResult, encoding: EncodingFormat): unknown {
  return {
    object: 'list',
    data: result.embeddings.map((e) => ({ object: 'embedding', index: e.index, embedding: encoding === 'base64' ? vectorToBase64(e.vector) : e.vector })),
    model: result.model,
    usage: { prompt_tokens: result.usage.promptTokens, total_tokens: result.usage.totalTokens },
    cost_usd: result.costUsd,
  };
}

export function fromRerankRequest(raw: unknown): RerankInput {
  const body = object(raw);
  return {
    model: body.model as string,
    query: body.query as string,
    documents: body.documents as RerankDocument[],
    topN: opt(body.top_n),
    returnDocuments: opt(body.return_documents),
    rankFields: opt(body.rank_fields),
    provider: opt(body.provider),
    fallbackModels: fallbacks(body),
  };
}

export function toRerankResponse(result: RerankResult): unknown {
  return {
    object: 'rerank',
    id: result.id,
    model: result.model,
    results: result.results.map((r) => ({ index: r.index, relevance_score: r.relevanceScore, ...(r.document !== null ? { document: { text: r.document } } : {}) })),
    usage: { prompt_tokens: result.usage.promptTokens, completion_tokens: result.usage.completionTokens, total_tokens: result.usage.totalTokens },
    cost_usd: result.costUsd,
  };
}

/** OpenAI's `size` ("1024x1024"; "auto" = the model's default) → width and height. */
function size(value: unknown): { width?: number; height?: number } {
  if (absent(value) || value === 'auto') return {};
  const match = typeof value === 'string' ? /^(\d{1,5})x(\d{1,5})$/.exec(value) : null;
  if (!match) throw badInput('size must be "WIDTHxHEIGHT" in pixels, e.g. "1024x1024"', 'size');
  return { width: Number(match[1]), height: Number(match[2]) };
}

export function fromImageRequest(raw: unknown): ImageInput {
  const body = object(raw);
  const format = body.response_format ?? 'url';
  if (format !== 'url' && format !== 'b64_json' && format !== 'base64') throw badInput('response_format must be "url", "b64_json" or "base64"', 'format');
  const fromSize = size(body.size);
  return {
    model: body.model as string,
    prompt: body.prompt as string,
    n: opt(body.n),
    width: opt(body.width) ?? fromSize.width,
    height: opt(body.height) ?? fromSize.height,
    steps: opt(body.steps),
    seed: opt(body.seed),
    negativePrompt: opt(body.negative_prompt),
    format: format === 'url' ? 'URL' : 'BASE64',
    provider: opt(body.provider),
    fallbackModels: fallbacks(body),
  };
}

export function toImageResponse(result: ImageResult): unknown {
  return {
    id: result.id,
    object: 'list',
    created: Math.floor(Date.now() / 1000),
    model: result.model,
    data: result.images.map((i) => (i.url !== null ? { index: i.index, url: i.url } : { index: i.index, b64_json: i.base64 })),
    cost_usd: result.costUsd,
  };
}
