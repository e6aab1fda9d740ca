/**
 * Embeddings, rerank and images: our requests → Together's bodies, Together's answers → ours. Shapes from
 * Together's API reference (the OpenAPI spec behind docs.together.ai/reference: EmbeddingsRequest/Response,
 * RerankRequest/Response, `/images/generations` and ImageResponse; see src/simulator/inference.ts).
 */
import type {
  EmbeddingRequest,
  GeneratedImage,
  ImageRequest,
  ProviderEmbeddings,
  ProviderImages,
  ProviderRerank,
  RerankHit,
  RerankRequest,
} from '../../domain.ts';
import { mapUsage } from './wire.ts';

const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Thrown for a 200 whose body is not what the reference promises (mapped to UPSTREAM_UNAVAILABLE by the caller). */
export class MalformedAnswer extends SyntaxError {}

export function toTogetherEmbeddingParams(request: EmbeddingRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, input: request.input };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  return body;
}

/** Vectors put back in input order by their `index`; one missing or malformed → the whole answer is refused. */
export function mapEmbeddings(raw: unknown, request: EmbeddingRequest): ProviderEmbeddings {
  const body = record(raw);
  const data = Array.isArray(body.data) ? body.data : null;
  if (!data) throw new MalformedAnswer('Together answered embeddings without a data list');
  const vectors: number[][] = new Array(request.input.length);
  data.forEach((entry, position) => {
    const item = record(entry);
    const index = typeof item.index === 'number' ? item.index : position;
    const vector = item.embedding;
    if (!Number.isInteger(index) || index < 0 || index >= vectors.length || !Array.isArray(vector) || !vector.every((x) => typeof x === 'number')) {
      throw new MalformedAnswer(`Together sent a malformed embedding at position ${position}`);
    }
    vectors[index] = vector as number[];
  });
  for (let i = 0; i < vectors.length; i++) {
    if (!vectors[i]) throw new MalformedAnswer(`Together sent no embedding for input ${i}`);
  }
  return { model: text(body.model) ?? request.model, vectors, usage: mapUsage(body.usage) };
}

export function toTogetherRerankParams(request: RerankRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, query: request.query, documents: request.documents };
  if (request.topN !== undefined) body.top_n = request.topN;
  if (request.returnDocuments !== undefined) body.return_documents = request.returnDocuments;
  if (request.rankFields !== undefined) body.rank_fields = request.rankFields;
  return body;
}

/** Results best first (sorted here too: the order is the contract, whatever Together sends). */
export function mapRerank(raw: unknown, request: RerankRequest): ProviderRerank {
  const body = record(raw);
  if (!Array.isArray(body.results)) throw new MalformedAnswer('Together answered rerank without a results list');
  const results: RerankHit[] = body.results.map((entry, position) => {
    const item = record(entry);
    const index = item.index;
    const score = item.relevance_score;
    if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= request.documents.length || typeof score !== 'number' || !Number.isFinite(score)) {
      throw new MalformedAnswer(`Together sent a malformed rerank result at position ${position}`);
    }
    const doc = record(item.document).text;
    return { index: index as number, relevanceScore: score, document: typeof doc === 'string' ? doc : null };
  });
  results.sort((a, b) => b.relevanceScore - a.relevanceScore || a.index - b.index);
  return { id: text(body.id) ?? '', model: text(body.model) ?? request.model, results, usage: mapUsage(body.usage) };
}

export function toTogetherImageParams(request: ImageRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, prompt: request.prompt, response_format: request.format === 'BASE64' ? 'base64' : 'url' };
  if (request.n !== undefined) body.n = request.n;
  if (request.width !== undefined) body.width = request.width;
  if (request.height !== undefined) body.height = request.height;
  if (request.steps !== undefined) body.steps = request.steps;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.negativePrompt !== undefined) body.negative_prompt = request.negativePrompt;
  return body;
}

export function mapImages(raw: unknown, request: ImageRequest): ProviderImages {
  const body = record(raw);
  if (!Array.isArray(body.data)) throw new MalformedAnswer('Together answered an image request without a data list');
  const images: GeneratedImage[] = body.data.map((entry, position) => {
    const item = record(entry);
    const url = text(item.url);
    const base64 = text(item.b64_json);
    if (url === null && base64 === null) throw new MalformedAnswer(`Together sent an image without url or b64_json at position ${position}`);
    return { index: typeof item.index === 'number' && Number.isInteger(item.index) ? item.index : position, url, base64 };
  });
  images.sort((a, b) => a.index - b.index);
  return { id: text(body.id) ?? '', model: text(body.model) ?? request.model, images };
}
