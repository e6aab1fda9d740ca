/**
 * The GraphQL-over-HTTP spec's own audit suite (graphql-http's serverAudits) against a real gateway: every MUST
 * passes; the SHOULDs and MAYs we do not meet are listed here and in docs/api.md ("GraphQL over HTTP"), each a
 * deliberate choice. A new failure, or one of these passing again, fails the test so the list stays true.
 */
import { readFileSync } from 'node:fs';
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../helpers/stack.ts';

/** Audit id → why we differ. Apollo Server answers a request GraphQL cannot run with 400 under either media type. */
const DOCUMENTED_MISSES: Record<string, string> = {
  '572B': 'SHOULD use 200 on document parsing failure when accepting application/json: we answer 400',
  FDE2: 'SHOULD use 200 on document validation failure when accepting application/json: we answer 400',
  '7B9B': 'SHOULD use 200 on variable coercion failure when accepting application/json: we answer 400',
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('GraphQL over HTTP audit (graphql-http serverAudits)', () => {
  it('passes every MUST; each SHOULD/MAY it misses is a documented choice', async () => {
    const audits = serverAudits({ url: `${stack.url}/graphql` });
    const results = [];
    for (const audit of audits) results.push({ audit, result: await audit.fn() });
    const failedMusts = results.filter(({ result }) => result.status === 'error');
    expect(
      failedMusts.map(({ audit, result }) => `${audit.id} ${audit.name}: ${result.status === 'error' ? result.reason : ''}`),
    ).toEqual([]);
    expect(results.filter(({ audit }) => audit.name.startsWith('MUST')).length).toBeGreaterThanOrEqual(13);
    const misses = results.filter(({ result }) => result.status !== 'ok').map(({ audit }) => audit.id);
    expect(misses.sort()).toEqual(Object.keys(DOCUMENTED_MISSES).sort());
    const docs = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    for (const id of misses) expect(docs, `docs/api.md should explain audit ${id}`).toContain(id);
  });
});
