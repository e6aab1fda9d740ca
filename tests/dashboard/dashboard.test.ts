// The functions given to page.evaluate run in the browser: they use the DOM's globals (document, sessionStorage…).
/// <reference lib="dom" />
/**
 * End to end: GET /dashboard in headless Chromium (Debian's `chromium`, driven by playwright-core, as the
 * playground's test does) against a real gateway + Together simulator. After real traffic the page shows the
 * same totals as `gatewayStats`, draws its charts, updates without a reload, shows a non-admin key only its
 * own usage, keeps the key out of the URL and localStorage, works from the keyboard, and fetches nothing from
 * another origin. Screenshots (light and dark) go to the temp dir, or to docs/ with UPDATE_SCREENSHOTS=1.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIST } from '../../src/dashboard/build.ts';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.ts';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';

const shot = (name: string): string =>
  process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL(`../../docs/${name}`, import.meta.url)) : join(tmpdir(), `gateway-${name}`);
if (!hasChromium) console.warn(`tests/dashboard: skipped, ${CHROMIUM} is absent (apt-get install -y chromium; .ci/run installs it)`);

const QWEN = 'Qwen/Qwen2.5-7B-Instruct-Turbo';
const STATS = `query($r: TimeRange) { gatewayStats(timeRange: $r) {
  totalRequests totalCostUsd totalTokens errorRate latencyP50Ms latencyP95Ms ttftP50Ms ttftP95Ms
  byModel { model requests } byKey { requests key { name } } series { requests } } }`;
const TOTALS = ['requests', 'cost', 'tokens', 'error-rate', 'latency-p50', 'latency-p95', 'ttft-p50', 'ttft-p95'] as const;
const FIELD: Record<(typeof TOTALS)[number], string> = {
  requests: 'totalRequests', cost: 'totalCostUsd', tokens: 'totalTokens', 'error-rate': 'errorRate',
  'latency-p50': 'latencyP50Ms', 'latency-p95': 'latencyP95Ms', 'ttft-p50': 'ttftP50Ms', 'ttft-p95': 'ttftP95Ms',
};

describe.skipIf(!hasChromium)('usage dashboard (headless Chromium)', { timeout: 120_000 }, () => {
  let stack: Stack;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let teamKey: string;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  const graphqlBodies: string[] = [];
  let navigations = 0;

  const chat = async (key: string, content: string, model = LLAMA) => {
    const res = await stack.gql(CHAT_MUTATION, { input: { model, messages: userMessage(content) } }, stack.auth(key));
    expect(res.body.errors).toBeUndefined();
  };
  const stream = async (key: string, content: string) => {
    const run = runStream(stack.wsClient(stack.auth(key)), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage(content) } });
    await run.finished;
    expect(run.errors).toBeNull();
  };
  const apiStats = async (key: string, range = 'LAST_24H') => {
    const res = await stack.gql(STATS, { r: range }, stack.auth(key));
    expect(res.body.errors).toBeUndefined();
    return res.body.data.gatewayStats;
  };
  /** The page's totals as the raw numbers it was given (`data-value`). */
  const pageTotals = async (): Promise<Record<string, number | null>> => {
    const out: Record<string, number | null> = {};
    for (const id of TOTALS) {
      const raw = await page.getByTestId(`total-${id}`).getAttribute('data-value');
      out[FIELD[id]] = raw === '' || raw === null ? null : Number(raw);
    }
    return out;
  };
  const pick = (s: Record<string, unknown>) => Object.fromEntries(Object.values(FIELD).map((f) => [f, s[f]]));
  const signIn = async (key: string) => {
    await page.locator('input[type=password]').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  beforeAll(async () => {
    // `npm ci` builds the bundle (package.json `prepare` → `npm run build`); serving.test.ts checks that it did.
    if (!existsSync(join(DASHBOARD_DIST, 'app.js'))) throw new Error("no dashboard bundle: run 'npm run build:dashboard'");
    stack = await startStack({ sim: { chunkDelayMs: 10 } });
    teamKey = (await stack.gateway.services.keys.create({ name: 'team-b', budgetUsd: 0.01 })).key;
    // Real traffic: two models, completions and streams (TTFT), two keys.
    await chat(stack.key, 'Say hello in five words');
    await chat(stack.key, 'Name three rivers', QWEN);
    await stream(stack.key, 'Write a haiku about gateways');
    await chat(teamKey, 'Summarise the water cycle');
    await stream(teamKey, 'Count to five');

    userDataDir = await mkdtemp(join(tmpdir(), 'gw-dashboard-chromium-'));
    context = await launchChromium(userDataDir, { viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    page = context.pages()[0] ?? (await context.newPage());
    const origin = new URL(stack.url).origin;
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
      if (url === `${origin}/graphql` && req.method() === 'POST') graphqlBodies.push(req.postData() ?? '');
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await stack?.close();
  });

  it('asks for a key in a password field; a wrong key is refused with a message', async () => {
    const res = await page.goto(`${stack.url}/dashboard`);
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.locator('input[type=password]').count()).toBe(1);
    await signIn('gw_not_a_real_key_0000000000');
    await expect.poll(() => page.getByTestId('signin-error').textContent(), { timeout: 15_000 }).toContain('UNAUTHENTICATED');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('an admin key: the totals are gatewayStats exactly, and every key is listed with its budget', async () => {
    await signIn(stack.adminKey);
    const expected = pick(await apiStats(stack.adminKey));
    expect(expected.totalRequests).toBe(5);
    await expect.poll(pageTotals, { timeout: 15_000 }).toEqual(expected);
    expect(await page.getByTestId('who').innerText()).toContain('admin: every key');
    // The key: in this tab's sessionStorage only, never in the URL or localStorage.
    expect(page.url()).not.toContain(stack.adminKey);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => Object.values({ ...sessionStorage }))).toEqual([stack.adminKey]);
    // Per model and per key.
    const models = await page.getByTestId('model-row').locator('th').allInnerTexts();
    expect(models.sort()).toEqual([LLAMA, QWEN].sort());
    const keys = page.getByTestId('key-row');
    expect((await keys.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key-name')))).sort()).toEqual(['team-b', 'test-user']);
    const team = page.locator('[data-testid=key-row][data-key-name=team-b]');
    expect(await team.locator('meter').getAttribute('max')).toBe('0.01');
    expect(await team.innerText()).toMatch(/\$[\d.]+ of \$0\.01 \(\d/);
  });

  it('draws every chart: bars and lines in the series colours, a data table with the API numbers', async () => {
    for (const id of ['requests', 'cost', 'latency', 'ttft', 'models']) {
      const canvas = page.getByTestId(`chart-${id}`).locator('canvas');
      await expect.poll(() => canvas.count()).toBe(1);
    }
    // Pixels of each chart's first series colour (exact for bar fills, most of a 2 px line's pixels).
    // uPlot draws after layout (a ResizeObserver and an animation frame): on a loaded machine the canvas exists a
    // moment before its pixels do, so wait until every chart is painted rather than reading it once.
    const paintedNow = () => page.evaluate(() => {
      const rgb = (css: string): number[] => {
        const probe = document.createElement('span');
        probe.style.color = css;
        document.body.append(probe);
        const m = getComputedStyle(probe).color.match(/\d+/g)!.map(Number);
        probe.remove();
        return m;
      };
      const root = getComputedStyle(document.documentElement);
      const count = (id: string, prop: string): number => {
        const canvas = document.querySelector(`[data-testid=chart-${id}] canvas`) as HTMLCanvasElement;
        const [r, g, b] = rgb(root.getPropertyValue(prop).trim());
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (Math.abs(data[i]! - r!) < 12 && Math.abs(data[i + 1]! - g!) < 12 && Math.abs(data[i + 2]! - b!) < 12 && data[i + 3]! > 200) n++;
        }
        return n;
      };
      return { requests: count('requests', '--c-requests'), cost: count('cost', '--c-cost'), latency: count('latency', '--c-p50'), ttft: count('ttft', '--c-p50'), models: count('models', '--c-cost') };
    });
    let last: Record<string, number> = {};
    await expect
      .poll(async () => Math.min(...Object.values((last = await paintedNow()))), { timeout: 15_000, message: 'every chart painted in its series colour' })
      .toBeGreaterThan(20)
      .catch((err: Error) => {
        throw new Error(`${err.message}; pixels per chart at the last look: ${JSON.stringify(last)}`);
      });
    const painted = await paintedNow();
    for (const [id, n] of Object.entries(painted)) expect(n, `${id} chart pixels`).toBeGreaterThan(20);
    // The requests chart's table: its buckets add up to the API's series.
    const table = page.getByTestId('chart-requests').locator('details');
    await table.locator('summary').click();
    const cells = await table.locator('tbody tr td:first-of-type').allInnerTexts();
    const api = await apiStats(stack.adminKey);
    expect(cells.reduce((n, c) => n + Number(c.replace(/,/g, '')), 0)).toBe(api.series.reduce((n: number, p: { requests: number }) => n + p.requests, 0));
    await table.locator('summary').click();
  });

  it('is keyboard-usable: arrow keys read a chart out, and move the range', async () => {
    const chart = page.getByTestId('chart-requests').locator('.chart-canvas');
    await chart.focus();
    await page.keyboard.press('End');
    await expect.poll(() => page.getByTestId('chart-requests-readout').innerText()).toMatch(/Requests \d+, Errors \d+/);
    // The range radios: focus the checked one, ← moves to the previous range (native radio-group keys).
    await page.locator('input[name=range]:checked').focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('LAST_1H');
    await expect.poll(() => graphqlBodies.some((b) => b.includes('"timeRange":"LAST_1H"'))).toBe(true);
    await expect.poll(pageTotals, { timeout: 15_000 }).toEqual(pick(await apiStats(stack.adminKey, 'LAST_1H')));
  });

  it('new calls appear without a reload (polling, with the time of the last refresh shown)', async () => {
    const before = (await pageTotals()).totalRequests as number;
    const updated = await page.getByTestId('updated').innerText();
    expect(updated).toMatch(/^Updated /);
    const navigationsBefore = navigations;
    await chat(teamKey, 'One more, please');
    await expect.poll(async () => (await pageTotals()).totalRequests, { timeout: 20_000, interval: 250 }).toBe(before + 1);
    expect(await page.getByTestId('updated').innerText()).not.toBe(updated);
    await expect.poll(pageTotals).toEqual(pick(await apiStats(stack.adminKey, 'LAST_1H')));
    expect(navigations).toBe(navigationsBefore);
  });

  it('a screenshot reads well in light and dark', async () => {
    await seedHistory(stack);
    await page.locator('input[name=range][value=LAST_24H]').check();
    await expect.poll(pageTotals, { timeout: 15_000 }).toEqual(pick(await apiStats(stack.adminKey)));
    await page.mouse.move(0, 0);
    await page.screenshot({ path: shot('dashboard.png'), fullPage: true, animations: 'disabled' });
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(13, 17, 23)');
    await page.screenshot({ path: shot('dashboard-dark.png'), fullPage: true, animations: 'disabled' });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('a non-admin key sees only its own usage; signing out forgets the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await signIn(stack.key);
    const own = await apiStats(stack.key);
    await expect.poll(pageTotals, { timeout: 15_000 }).toEqual(pick(own));
    expect(own.totalRequests).toBe(3);
    expect(await page.getByTestId('who').innerText()).toContain('your key only');
    expect(await page.getByTestId('key-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key-name')))).toEqual(['test-user']);
    expect(await page.locator('body').innerText()).not.toContain('team-b');
    expect((await page.getByTestId('model-row').locator('th').allInnerTexts()).sort()).toEqual(own.byModel.map((m: { model: string }) => m.model).sort());
  });

  it('fetched nothing from another origin and threw no page errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

/**
 * For the screenshot only: a day of calls written straight to the activity log (as the recorder would), so the
 * charts have a shape. The assertions before it run on real traffic alone.
 */
async function seedHistory(stack: Stack): Promise<void> {
  // Not the regular test key: the non-admin test after this one counts that key's real calls.
  const ids = (await stack.gateway.services.store.listKeys()).filter((k) => k.id !== stack.keyId).map((k) => k.id);
  const now = Date.now();
  const rows: ActivityEntry[] = [];
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 900; i++) {
    const at = now - Math.floor(Math.pow(rand(), 0.8) * 23.5 * 3_600_000);
    const hour = new Date(at).getUTCHours();
    const slow = hour % 7 === 3 ? 2.5 : 1;
    const model = rand() < 0.65 ? LLAMA : 'Qwen/Qwen2.5-7B-Instruct-Turbo';
    const stream = rand() < 0.6;
    const prompt = 50 + Math.floor(rand() * 900);
    const completion = 20 + Math.floor(rand() * 400);
    const latencyMs = (300 + rand() * 900) * slow;
    const failed = rand() < 0.03;
    rows.push({
      id: `seed-${i}-${now}`, requestId: `seed-${i}`, at, keyId: ids[i % ids.length] ?? null, gateway: 'together', provider: 'together', kind: 'chat', attempt: 0, model, stream,
      promptTokens: prompt, completionTokens: failed ? 0 : completion, totalTokens: prompt + (failed ? 0 : completion), cachedTokens: 0, reasoningTokens: 0,
      costUsd: ((prompt + completion) * (model === LLAMA ? 0.88 : 0.3)) / 1e6, latencyMs, ttftMs: stream ? latencyMs * (0.15 + rand() * 0.2) : null,
      tokensPerSecond: failed ? null : completion / (latencyMs / 1000), finishReason: failed ? 'ERROR' : 'STOP', errorCode: failed ? 'UPSTREAM_TIMEOUT' : null,
      cancelled: false, usageEstimated: false,
    });
  }
  await stack.gateway.services.store.insertActivity(rows);
}
