/**
 * How `npm run keys` finds the database of a running `npm run demo` in the same folder, with no extra setting:
 * the demo writes `data/demo.json` (its pid and database URL) when it starts and removes it when it stops; the
 * keys CLI reads it when no DATABASE_URL is set and the pid is alive.
 *
 * The demo keeps its own SQLite file (`data/demo.db`), not the default `data/gateway.db`: the demo's admin key
 * works against the simulator only and must never open a real gateway later started in the same folder.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export const DEMO_DATABASE_URL = 'file:./data/demo.db';
const MARKER = 'data/demo.json';

export interface DemoMarker {
  pid: number;
  databaseUrl: string;
  url: string;
}

const markerPath = (cwd: string): string => resolve(cwd, MARKER);

export function writeDemoMarker(marker: DemoMarker, cwd = process.cwd()): () => void {
  const path = markerPath(cwd);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(marker)}\n`);
  return () => {
    // Only our own marker: a second demo started in the same folder may have replaced it.
    if (readDemoMarker(cwd, false)?.pid === marker.pid) rmSync(path, { force: true });
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running demo's marker in `cwd`, or null (none, unreadable, or its process is gone). */
export function readDemoMarker(cwd = process.cwd(), requireAlive = true): DemoMarker | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(markerPath(cwd), 'utf8'));
  } catch {
    return null;
  }
  const m = parsed as Partial<DemoMarker>;
  if (typeof m.pid !== 'number' || typeof m.databaseUrl !== 'string' || typeof m.url !== 'string') return null;
  if (requireAlive && !alive(m.pid)) return null;
  return { pid: m.pid, databaseUrl: m.databaseUrl, url: m.url };
}
