/** Fault queue: first matching fault with times > 0 is used and decremented. */
import type { Fault } from './types.ts';

export type RouteName = 'models' | 'chat' | 'embeddings' | 'rerank' | 'images';
const ROUTES: ReadonlySet<string> = new Set(['models', 'chat', 'embeddings', 'rerank', 'images', 'any']);

const NUM_FIELDS = [
  'status',
  'firstByteDelayMs',
  'chunkDelayMs',
  'firstChunkDelayMs',
  'stallAfterChunks',
  'cutAfterChunks',
  'malformedAtChunk',
] as const;

/**
 * Validate/normalise a fault. `route` defaults to 'any', or to 'chat' when the fault uses a
 * chat-only field (scenario, usageStyle, usage, malformedAtChunk, chunkDelayMs, firstChunkDelayMs).
 * JSON from POST /__sim/faults cannot carry Infinity: `times` may be `"Infinity"`, `null` or a
 * negative number to mean Infinity.
 */
export function normalizeFault(input: unknown): Fault {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new Error('fault must be an object');
  const f = { ...(input as Record<string, unknown>) } as Fault & Record<string, unknown>;
  // Chat-only knobs default to route 'chat' so a GET /models call cannot swallow them.
  const chatOnly = f.scenario !== undefined || f.usageStyle !== undefined || f.usage !== undefined || f.malformedAtChunk !== undefined || f.chunkDelayMs !== undefined || f.firstChunkDelayMs !== undefined;
  const route = f.route ?? (chatOnly ? 'chat' : 'any');
  if (!ROUTES.has(route)) throw new Error(`bad fault route: ${String(route)}`);
  f.route = route;
  const t: unknown = (input as { times?: unknown }).times;
  if (t === undefined) f.times = 1;
  else if (t === null || t === 'Infinity' || (typeof t === 'number' && t < 0)) f.times = Infinity;
  else if (typeof t === 'number' && !Number.isNaN(t)) f.times = t;
  else throw new Error(`bad fault times: ${String(t)}`);
  for (const k of NUM_FIELDS) {
    const v = f[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new Error(`bad fault ${k}: ${String(v)}`);
    }
  }
  if (f.status !== undefined && (!Number.isInteger(f.status) || f.status < 100 || f.status > 599)) {
    throw new Error(`bad fault status: ${f.status}`);
  }
  if (f.model !== undefined && (typeof f.model !== 'string' || f.model === '')) throw new Error('bad fault model');
  if (f.headers !== undefined && (typeof f.headers !== 'object' || f.headers === null)) throw new Error('bad fault headers');
  if (f.scenario !== undefined && typeof f.scenario !== 'string') throw new Error('bad fault scenario');
  if (f.usageStyle !== undefined && f.usageStyle !== 'finish' && f.usageStyle !== 'separate') {
    throw new Error(`bad fault usageStyle: ${String(f.usageStyle)}`);
  }
  if (f.usage !== undefined) {
    const u = f.usage as unknown;
    if (!u || typeof u !== 'object' || Array.isArray(u) || Object.values(u).some((v) => typeof v !== 'number')) {
      throw new Error('bad fault usage: an object of numbers');
    }
  }
  return f;
}

export class FaultQueue {
  private faults: Fault[] = [];

  add(f: Fault): void {
    this.faults.push(normalizeFault(f));
  }

  clear(): void {
    this.faults = [];
  }

  get size(): number {
    return this.faults.length;
  }

  /** Take (consume one use of) the first fault matching `route` (and `model`, for a fault limited to one). */
  take(route: RouteName, model?: unknown): Fault | undefined {
    const i = this.faults.findIndex((f) => (f.times ?? 1) > 0 && (f.route === 'any' || f.route === route) && (f.model === undefined || f.model === model));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) this.faults.splice(i, 1);
    return f;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }
}
