import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PriceOverrides } from '../../src/catalog/price-overrides.ts';
import { CHAT_MUTATION, type Stack, startStack, userMessage } from '../helpers/stack.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const MOA = 'togethercomputer/MoA-1';
const FLUX = 'black-forest-labs/FLUX.1-schnell';
const LLAMA = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';

const dir = mkdtempSync(join(tmpdir(), 'price-overrides-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('PRICE_OVERRIDES_FILE: what a bad file says', () => {
  const problem = (content: string) => {
    try {
      PriceOverrides.parse(content, 'prices.json');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the file to be refused');
  };

  it.each([
    ['{', /^PRICE_OVERRIDES_FILE \(prices\.json\): not valid JSON/],
    ['[]', /must be a JSON object of model id → prices/],
    ['{"a/b": 3}', /"a\/b" must be an object of prices/],
    ['{"a/b": {"perImge": 0.1}}', /"a\/b"\.perImge is not a price field \(known: inputPerMillion, outputPerMillion/],
    ['{"a/b": {"perImage": -1}}', /"a\/b"\.perImage must be a number ≥ 0 \(got -1\)/],
    ['{"a/b": {"perImage": "0.1"}}', /"a\/b"\.perImage must be a number ≥ 0 \(got "0\.1"\)/],
    ['{"a/b": {}}', /"a\/b" names no price/],
    ['{"a/b": {"perImage": 0.1, "perMegapixel": 0.01}}', /both perImage and perMegapixel/],
    ['{" ": {"perImage": 0.1}}', /a model id is empty/],
  ])('%s is refused with one line naming the problem', (content, message) => {
    const text = problem(content);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('a process with a bad file exits non-zero with that one line and no stack trace', async () => {
    const path = file('bad.json', { [FLUX]: { perImage: 'cheap' } });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'info', PRICE_OVERRIDES_FILE: path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toContain(`PRICE_OVERRIDES_FILE (${path}): \\"${FLUX}\\".perImage must be a number ≥ 0 (got \\"cheap\\")`);
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain('listening');
  }, 30_000);
});

describe('PRICE_OVERRIDES_FILE in a running gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    const path = file('prices.json', {
      [MOA]: { inputPerMillion: 0.6, outputPerMillion: 1.2 },
      [FLUX.toLowerCase()]: { perMegapixel: 0.0027 },
      [LLAMA]: { cachedInputPerMillion: 0.1 },
    });
    stack = await startStack({ env: { PRICE_OVERRIDES_FILE: path } });
  });
  afterAll(() => stack.close());

  const PRICING = 'pricing { perToken: inputPerMillion outputPerMillion cachedInputPerMillion perImage perMegapixel source }';

  it('the catalog shows the operator`s prices over Together`s, and says where they come from', async () => {
    const res = await stack.gql(`{ moa: model(id: "${MOA}") { ${PRICING} } flux: model(id: "${FLUX}") { ${PRICING} } llama: model(id: "${LLAMA}") { ${PRICING} } bge: model(id: "BAAI/bge-base-en-v1.5") { ${PRICING} } }`);
    expect(res.body.data).toEqual({
      moa: { pricing: { perToken: 0.6, outputPerMillion: 1.2, cachedInputPerMillion: null, perImage: null, perMegapixel: null, source: 'OPERATOR' } },
      flux: { pricing: { perToken: 0, outputPerMillion: 0, cachedInputPerMillion: null, perImage: null, perMegapixel: 0.0027, source: 'OPERATOR' } },
      // An entry naming one field keeps Together's others.
      llama: { pricing: { perToken: 0.88, outputPerMillion: 0.88, cachedInputPerMillion: 0.1, perImage: null, perMegapixel: null, source: 'OPERATOR' } },
      bge: { pricing: { perToken: 0.008, outputPerMillion: 0.008, cachedInputPerMillion: null, perImage: null, perMegapixel: null, source: 'TOGETHER' } },
    });
  });

  it('a chat model Together lists at 0/0 is priced by the override (it had costUsd null)', async () => {
    const res = await stack.gql(CHAT_MUTATION, { input: { model: MOA, messages: userMessage('price me please') } });
    const { usage, costUsd } = res.body.data.chatCompletion;
    expect(costUsd).toBe((usage.promptTokens * 0.6 + usage.completionTokens * 1.2) / 1e6);
    expect(costUsd).toBeGreaterThan(0);
  });
});
