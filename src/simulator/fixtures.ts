/** Loading of the recorded Together fixtures (models, errors, chat/stream scenarios). */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fromRoot } from '../core/paths.ts';

/** fixtures/together/ at the package root (not copied into dist/). */
export const DEFAULT_FIXTURES_DIR = fromRoot('fixtures', 'together');

export interface RecordedError {
  status: number;
  body: unknown;
  raw: string;
  content_type: string | null;
  note?: string;
  request?: { method: string; url: string; body: string | null } | null;
}

export interface Fixtures {
  dir: string;
  /** Exact bytes of the models file (served as-is). */
  modelsBody: Buffer;
  modelIds: Set<string>;
  /** Together's `type` of each model (`chat`, `embedding`, `rerank`, `image`, …), for the non-chat endpoints. */
  modelTypes: Map<string, string>;
  errors: RecordedError[];
}

export function loadFixtures(dir: string = DEFAULT_FIXTURES_DIR, modelsFile = 'models.json'): Fixtures {
  const modelsPath = isAbsolute(modelsFile) ? modelsFile : join(dir, modelsFile);
  const modelsBody = readFileSync(modelsPath);
  const parsed: unknown = JSON.parse(modelsBody.toString('utf8'));
  if (!Array.isArray(parsed)) throw new Error(`simulator: ${modelsPath} is not a bare JSON array`);
  const modelIds = new Set<string>();
  const modelTypes = new Map<string, string>();
  for (const m of parsed) {
    if (m && typeof m === 'object' && typeof (m as { id?: unknown }).id === 'string') {
      const { id, type } = m as { id: string; type?: unknown };
      modelIds.add(id);
      modelTypes.set(id, typeof type === 'string' ? type.toLowerCase() : '');
    }
  }
  const errors = JSON.parse(readFileSync(join(dir, 'errors.json'), 'utf8')) as RecordedError[];
  return { dir, modelsBody, modelIds, modelTypes, errors };
}

export type Scenario =
  | { kind: 'stream'; name: string; events: string[] }
  | { kind: 'json'; name: string; body: Buffer };

const scenarioCache = new Map<string, Scenario>();

/** Resolve the fixture base name for the request kind (swapping the chat-/stream- prefix). */
export function scenarioFileName(name: string, stream: boolean): string {
  let base = name.replace(/\.(sse|json)$/, '');
  if (stream && base.startsWith('chat-')) base = 'stream-' + base.slice(5);
  if (!stream && base.startsWith('stream-')) base = 'chat-' + base.slice(7);
  return base + (stream ? '.sse' : '.json');
}

/**
 * Load a recorded scenario. Stream fixtures are split into SSE events; each event keeps its
 * recorded bytes (without the trailing blank line) so seeds > 2^53 survive untouched.
 * The final `data: [DONE]` event is kept as the last element. Returns undefined when missing.
 */
export function loadScenario(dir: string, name: string, stream: boolean): Scenario | undefined {
  const file = scenarioFileName(name, stream);
  if (!/^[A-Za-z0-9_.-]+$/.test(file) || file.includes('..')) return undefined;
  const path = join(dir, file);
  const cached = scenarioCache.get(path);
  if (cached) return cached;
  if (!existsSync(path)) return undefined;
  const buf = readFileSync(path);
  let sc: Scenario;
  if (stream) {
    const events = buf.toString('utf8').split('\n\n').filter((e) => e.trim() !== '');
    sc = { kind: 'stream', name: file, events };
  } else {
    sc = { kind: 'json', name: file, body: buf };
  }
  scenarioCache.set(path, sc);
  return sc;
}
