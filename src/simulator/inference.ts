/**
 * POST /v1/embeddings, /v1/rerank and /v1/images/generations in Together's wire shapes.
 *
 * Shapes from Together's API reference: the OpenAPI spec behind docs.together.ai/reference
 * (github.com/togethercomputer/openapi, openapi.yaml @ 090263aa0fde006d9cd958bef52719958079bbc4, 2026-04-28):
 *  - EmbeddingsRequest `{model, input: string | string[]}` → EmbeddingsResponse
 *    `{object: "list", model, data: [{object: "embedding", embedding: number[], index}]}` (the spec lists no
 *    `usage` and no `dimensions` or `encoding_format`: the simulator sends none and ignores both);
 *  - RerankRequest `{model, query, documents: string[] | object[], top_n?, return_documents?, rank_fields?}` →
 *    RerankResponse `{object: "rerank", id, model, results: [{index, relevance_score, document?: {text}}],
 *    usage: {prompt_tokens, completion_tokens, total_tokens}}` (object documents come back as their JSON text);
 *  - `/images/generations` `{prompt, model, n?, width?, height?, steps?, seed?, negative_prompt?,
 *    response_format?: "base64" | "url"}` → ImageResponse `{id, model, object: "list",
 *    data: [{index, type: "url", url} | {index, type: "b64_json", b64_json}]}`.
 * Errors: unknown model → the recorded 404 `model_not_available`; an out-of-range width → the recorded images 400
 * (errors.json); a model of another type, an empty input → synthetic 400s in Together's error shape (no recording).
 * Vectors, scores and pictures are deterministic (hashes of the input), not meaningful.
 */
import { deflateSync } from 'node:zlib';
import { errorBody, JSON_CT, modelNotAvailable, simId, type CannedResponse } from './errors.ts';
import type { Fixtures } from './fixtures.ts';

export type InferenceRoute = 'embeddings' | 'rerank' | 'images';

const ok = (body: unknown): CannedResponse => ({ status: 200, headers: { 'content-type': JSON_CT }, body: JSON.stringify(body) });
const invalid = (message: string): CannedResponse => ({ status: 400, headers: { 'content-type': JSON_CT }, body: errorBody(message, 'invalid_request_error') });

/** Together's `type` each endpoint serves. */
const SERVES: Record<InferenceRoute, string> = { embeddings: 'embedding', rerank: 'rerank', images: 'image' };

/** Vector sizes of the catalog's embedding models (their model cards); anything else gets 768. */
const DIMENSIONS: Record<string, number> = {
  'BAAI/bge-large-en-v1.5': 1024,
  'intfloat/multilingual-e5-large-instruct': 1024,
};

function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** mulberry32: a tiny seeded PRNG, so one text always gets one vector. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const words = (text: string): string[] => text.toLowerCase().split(/\W+/).filter((w) => w !== '');

/** A unit vector for (model, text). */
export function simulatedEmbedding(model: string, text: string): number[] {
  const next = random(fnv(`${model}\u0000${text}`));
  const v = Array.from({ length: DIMENSIONS[model] ?? 768 }, () => next() * 2 - 1);
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** Shared checks: the model exists and is of the endpoint's type. */
function checkModel(fixtures: Fixtures, route: InferenceRoute, model: unknown): CannedResponse | null {
  const id = typeof model === 'string' ? model : String(model ?? '');
  if (!fixtures.modelIds.has(id)) return modelNotAvailable(fixtures.errors, id);
  const type = fixtures.modelTypes.get(id);
  if (type !== SERVES[route]) return invalid(`Model ${id} is of type ${type || 'unknown'}; this endpoint serves ${SERVES[route]} models`);
  return null;
}

function embeddings(body: Record<string, unknown>): CannedResponse {
  const input = typeof body.input === 'string' ? [body.input] : body.input;
  if (!Array.isArray(input) || input.length === 0 || !input.every((x) => typeof x === 'string')) {
    return invalid('input must be a non-empty string or a non-empty list of strings');
  }
  const model = body.model as string;
  return ok({
    object: 'list',
    model,
    data: (input as string[]).map((text, index) => ({ object: 'embedding', embedding: simulatedEmbedding(model, text), index })),
  });
}

function documentText(doc: unknown, rankFields: unknown): string {
  if (typeof doc === 'string') return doc;
  const fields = Array.isArray(rankFields) ? rankFields.filter((f): f is string => typeof f === 'string') : null;
  const picked = fields ? Object.fromEntries(fields.map((f) => [f, (doc as Record<string, unknown>)[f]])) : doc;
  return JSON.stringify(picked);
}

function rerank(body: Record<string, unknown>): CannedResponse {
  const { query, documents } = body;
  if (typeof query !== 'string' || query.trim() === '') return invalid('query must be a non-empty string');
  const valid = Array.isArray(documents) && documents.length > 0 &&
    (documents.every((d) => typeof d === 'string') || documents.every((d) => d !== null && typeof d === 'object' && !Array.isArray(d)));
  if (!valid) return invalid('documents must be a non-empty list of strings or a non-empty list of objects');
  const topN = body.top_n;
  if (topN !== undefined && topN !== null && !(Number.isInteger(topN) && (topN as number) > 0)) return invalid('top_n must be a positive integer');
  const queryWords = new Set(words(query));
  const docs = documents as unknown[];
  let promptTokens = 0;
  const scored = docs.map((doc, index) => {
    const text = documentText(doc, body.rank_fields);
    const docWords = words(text);
    promptTokens += queryWords.size + docWords.length;
    const overlap = docWords.filter((w) => queryWords.has(w)).length;
    // Overlap decides the order; the hash only breaks ties, always below one shared word's weight.
    const relevance_score = Math.min(0.999, (overlap + random(fnv(text))() * 0.5) / (queryWords.size + 1));
    return { index, relevance_score, text: typeof doc === 'string' ? doc : JSON.stringify(doc) };
  });
  scored.sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
  const kept = scored.slice(0, typeof topN === 'number' ? topN : scored.length);
  return ok({
    object: 'rerank',
    id: simId(),
    model: body.model,
    results: kept.map((r) => ({ index: r.index, relevance_score: r.relevance_score, ...(body.return_documents === true ? { document: { text: r.text } } : {}) })),
    usage: { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens },
  });
}

/** The recorded images 400 (width out of range), or the same message for height. */
function sizeError(fixtures: Fixtures, side: 'width' | 'height'): CannedResponse {
  const recorded = fixtures.errors.find((e) => e.status === 400 && e.request?.url.endsWith('/images/generations') === true);
  if (side === 'width' && recorded) return { status: 400, headers: { 'content-type': JSON_CT }, body: recorded.raw };
  return invalid(`Invalid value for '${side}' parameter. Image ${side} must be an integer value between 512 and 2048, in multiples of '16'.`);
}

function images(fixtures: Fixtures, body: Record<string, unknown>, origin: string): CannedResponse {
  if (typeof body.prompt !== 'string' || body.prompt.trim() === '') return invalid('prompt must be a non-empty string');
  for (const side of ['width', 'height'] as const) {
    const v = body[side];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 512 && (v as number) <= 2048 && (v as number) % 16 === 0)) return sizeError(fixtures, side);
  }
  const n = body.n ?? 1;
  if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 10) return invalid('n must be an integer between 1 and 10');
  const format = body.response_format ?? 'url';
  if (format !== 'url' && format !== 'base64') return invalid(`response_format must be one of "url", "base64" (got ${JSON.stringify(format)})`);
  const id = simId();
  const data = Array.from({ length: n as number }, (_, index) => {
    const seed = fnv(`${body.prompt}\u0000${String(body.seed ?? '')}\u0000${index}`);
    return format === 'url'
      ? { index, type: 'url', url: `${origin}/__sim/images/${seed.toString(16)}.png` }
      : { index, type: 'b64_json', b64_json: picture(seed).toString('base64') };
  });
  return ok({ id, model: body.model, object: 'list', data });
}

/** Handles one of the three routes for a parsed JSON object body (auth and faults are the caller's). */
export function handleInference(fixtures: Fixtures, route: InferenceRoute, body: unknown, origin: string): CannedResponse {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return invalid('request body must be a JSON object');
  const req = body as Record<string, unknown>;
  const modelError = checkModel(fixtures, route, req.model);
  if (modelError) return modelError;
  if (route === 'embeddings') return embeddings(req);
  if (route === 'rerank') return rerank(req);
  return images(fixtures, req, origin);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A 64×64 PNG, a diagonal gradient between two colours picked by `seed`: small, valid, different per image. */
export function picture(seed: number): Buffer {
  const size = 64;
  const next = random(seed);
  const a = [next(), next(), next()].map((x) => Math.floor(x * 255));
  const b = [next(), next(), next()].map((x) => Math.floor(x * 255));
  const raw = Buffer.alloc(size * (size * 3 + 1));
  for (let y = 0; y < size; y++) {
    const row = y * (size * 3 + 1);
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * size - 2);
      for (let c = 0; c < 3; c++) raw[row + 1 + x * 3 + c] = Math.round(a[c]! * (1 - t) + b[c]! * t);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
