import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findImportCycles } from '../../scripts/import-cycles.ts';

describe('layering', () => {
  it('has no import circle in src/ (type-only imports included)', () => {
    expect(findImportCycles(resolve('src'))).toEqual([]);
  });

  it('the check finds a circle when there is one', () => {
    // Two fixture files that import each other: the check must not pass vacuously.
    const cycles = findImportCycles(resolve('tests/architecture/fixtures'));
    expect(cycles).toEqual([['tests/architecture/fixtures/a.ts', 'tests/architecture/fixtures/b.ts']]);
  });
});
