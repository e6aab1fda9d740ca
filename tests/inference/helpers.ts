import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from '../helpers/stack.ts';

/** Catalog models of each kind (fixtures/together/models.json) and their listed input prices (USD per 1M tokens). */
export const EMBED = 'BAAI/bge-base-en-v1.5';
export const EMBED_PRICE = 0.008;
export const EMBED_LARGE = 'BAAI/bge-large-en-v1.5';
export const RERANK = 'Salesforce/Llama-Rank-V1';
export const RERANK_PRICE = 0.1;
export const RERANK_OTHER = 'mixedbread-ai/Mxbai-Rerank-Large-V2';
/** Listed at 0/0 by Together and left so: unpriced. */
export const IMAGE_UNPRICED = 'black-forest-labs/FLUX.1-dev';
/** Priced by the operator's file below. */
export const IMAGE = 'black-forest-labs/FLUX.1-schnell';
export const IMAGE_PER_MEGAPIXEL = 0.0027;
export const IMAGE_PER_IMAGE_MODEL = 'black-forest-labs/FLUX.1.1-pro';
export const IMAGE_PER_IMAGE = 0.04;

/** A PRICE_OVERRIDES_FILE pricing two image models, as an operator would. */
export function priceFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gw-prices-')), 'prices.json');
  writeFileSync(file, JSON.stringify({ [IMAGE]: { perMegapixel: IMAGE_PER_MEGAPIXEL }, [IMAGE_PER_IMAGE_MODEL]: { perImage: IMAGE_PER_IMAGE } }));
  return file;
}

let counter = 0;

/** A fresh key (its own rows and limits). */
export async function freshKey(stack: Stack, extra: { budgetUsd?: number; rpm?: number } = {}) {
  const { key, record } = await stack.gateway.services.keys.create({ name: `inference-${++counter}-${Date.now()}`, ...extra });
  return { key, id: record.id, headers: stack.auth(key) };
}

/** The key's rows, oldest first, once the batch writer has flushed. */
export async function rowsOf(stack: Stack, keyId: string) {
  await stack.gateway.services.recorder.flush();
  return (await stack.gateway.services.store.listActivity({ keyId, limit: 1000 })).reverse();
}

/** Upstream calls on the three routes so far (the simulator's counters): a test compares before and after. */
export const upstreamCalls = (stack: Stack): number => stack.sim.stats.embeddingCalls + stack.sim.stats.rerankCalls + stack.sim.stats.imageCalls;

/** The body of the last request the simulator received on a path (`/v1/embeddings`, …). */
export const lastBody = (stack: Stack, path: string): any => stack.sim.stats.requests.filter((r) => r.path === path).at(-1)?.body;

/** little-endian float32 base64 → numbers. */
export function decodeFloat32(base64: string): number[] {
  const bytes = Buffer.from(base64, 'base64');
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
}
