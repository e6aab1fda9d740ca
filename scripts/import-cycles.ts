/**
 * Finds import circles among the TypeScript files under a folder (default `src/`), type-only imports included:
 * a circle of types is still two modules that cannot be understood (or moved) one without the other.
 * `node --import tsx/esm scripts/import-cycles.ts [dir]` prints each circle and exits 1 when there is one;
 * tests/architecture/import-cycles.test.ts runs the same check in the suite.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Relative imports (static, dynamic, `export … from`) of one file, resolved to files that exist. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => {
      const base = resolve(dirname(file), spec);
      const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
      return candidates.find((c) => existsSync(c) && statSync(c).isFile());
    })
    .filter((p): p is string => p !== undefined);
}

/** Every strongly connected group of more than one file (or a file importing itself), Tarjan's algorithm. */
export function findImportCycles(dir: string): string[][] {
  const files = sourceFiles(dir);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    if (group.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(group.map((f) => relative(process.cwd(), f)).sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cycles = findImportCycles(resolve(process.argv[2] ?? 'src'));
  for (const c of cycles) console.log(`import circle: ${c.join(' ↔ ')}`);
  process.exit(cycles.length > 0 ? 1 : 0);
}
