/**
 * End to end: the GraphiQL playground in headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against a real gateway + Together simulator. Runs the catalog query over HTTP and a chat stream over
 * graphql-ws, reads the results off the page, checks that the headers editor's key reaches the websocket's
 * connection_init, that nothing is fetched from another origin, and takes a screenshot: into the temp dir by
 * default (pixels differ between runs and machines, and a test run should not dirty the work tree), into
 * docs/playground.png with UPDATE_SCREENSHOTS=1.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAYGROUND_DIST } from '../../src/playground/build.ts';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';

const SCREENSHOT = process.env.UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/playground.png', import.meta.url))
  : join(tmpdir(), 'gateway-playground.png');
/** Sent from the headers editor. Today's gateway needs no key; once keys are enforced this must be a real one. */
if (!hasChromium) console.warn(`tests/playground: skipped, ${CHROMIUM} is absent (apt-get install -y chromium; .ci/run installs it)`);

/** Monaco renders spaces as U+00A0; compare plain text. */
const plain = (s: string | null): string => (s ?? '').replace(/\u00a0/g, ' ');

describe.skipIf(!hasChromium)('GraphiQL playground (headless Chromium)', { timeout: 90_000 }, () => {
  let stack: Stack;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const foreignRequests: string[] = [];
  const wsFramesSent: string[] = [];
  const httpAuthorization: Array<string | undefined> = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // `npm ci` builds the bundle (package.json `prepare`); tests/playground/serving.test.ts checks that it did.
    if (!existsSync(join(PLAYGROUND_DIST, 'app.js'))) throw new Error("no playground bundle: run 'npm run build:playground'");
    stack = await startStack({ sim: { chunkDelayMs: 15 } });
    userDataDir = await mkdtemp(join(tmpdir(), 'gw-playground-chromium-'));
    context = await launchChromium(userDataDir);
    page = context.pages()[0] ?? (await context.newPage());
    const origin = new URL(stack.url).origin;
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
      if (req.method() === 'POST' && url.startsWith(`${origin}/graphql`) && !req.postData()?.includes('IntrospectionQuery')) {
        httpAuthorization.push(req.headers().authorization);
      }
    });
    page.on('websocket', (ws) => ws.on('framesent', (frame) => wsFramesSent.push(String(frame.payload))));
    page.on('pageerror', (err) => pageErrors.push(err.message));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await stack?.close();
  });

  const responseText = async () => plain(await page.locator('.graphiql-response').innerText());

  it('loads GraphiQL from the gateway itself, with the example operations as tabs', async () => {
    const res = await page.goto(`${stack.url}/graphql`);
    expect(res?.status()).toBe(200);
    await page.locator('.graphiql-container').waitFor();
    const tabs = page.locator('.graphiql-tab');
    await expect.poll(() => tabs.allInnerTexts(), { timeout: 20_000 }).toEqual(['Catalog', 'ModelById', 'Chat', 'ChatStream', 'Embed', 'Rerank', 'GenerateImage']);
    // The operation editor shows the catalog query (Monaco finished loading, its workers came from /playground/).
    await expect.poll(async () => plain(await page.locator('.graphiql-query-editor').innerText()), { timeout: 20_000 }).toContain('query Catalog');
    await expect.poll(async () => plain(await page.getByTestId('key-hint').innerText())).toContain('Bearer <key>');
    expect(await page.getByTestId('dashboard-link').getAttribute('href')).toBe('/dashboard');
  });

  it('runs the catalog query and shows the models in the result pane', async () => {
    const expected = await stack.gql(`{ models(type: CHAT, search: "llama") { id } }`);
    const firstId: string = expected.body.data.models[0].id;
    await page.locator('.graphiql-tab', { hasText: 'Catalog' }).click();
    await page.locator('.graphiql-execute-button').click();
    await expect.poll(responseText, { timeout: 20_000 }).toContain(`"id": "${firstId}"`);
    expect(await responseText()).toContain('"models": [');
    // The headers editor holds only a commented-out hint, so no Authorization header was sent.
    expect(httpAuthorization).toEqual([undefined]);
  });

  it('streams a chat over graphql-ws, sending the headers editor key as connectionParams.authorization', async () => {
    await page.locator('.graphiql-tab', { hasText: 'ChatStream' }).click();
    await expect.poll(async () => plain(await page.locator('.graphiql-query-editor').innerText())).toContain('subscription ChatStream');
    // Put the key in the Headers tab the way a user would.
    await page.locator('.graphiql-editor-tools button[data-name="headers"]').click();
    const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor').first();
    await headersEditor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    // Typed key by key: Monaco auto-closes brackets and quotes, then types over its own closers.
    await page.keyboard.type(`{ "Authorization": "Bearer ${stack.key}" }`);
    await expect.poll(async () => plain(await headersEditor.innerText())).toContain(`{ "Authorization": "Bearer ${stack.key}" }`);

    await page.locator('.graphiql-execute-button').click();
    const transcript = page.getByTestId('stream-transcript');
    await expect.poll(() => transcript.getAttribute('data-status'), { timeout: 20_000 }).toBe('done');
    // The simulator echoes the prompt token by token; the page joins the deltas...
    expect(await page.getByTestId('stream-text').innerText()).toBe('Echo: Write a haiku about gateways');
    expect(await transcript.innerText()).toMatch(/ChatStream · 7 events · done · finish STOP · \d+ tokens · \$/);
    // ...and the result pane shows the last event.
    const result = await responseText();
    expect(result).toContain('"chatStream": {');
    expect(result).toContain('"done": true');
    expect(result).toContain('"finishReason": "STOP"');

    const init = wsFramesSent.map((f) => JSON.parse(f) as { type: string; payload?: unknown }).find((m) => m.type === 'connection_init');
    expect(init?.payload).toEqual({ authorization: `Bearer ${stack.key}` });
    const subscribe = wsFramesSent.map((f) => JSON.parse(f) as { type: string; payload?: { variables?: any } }).find((m) => m.type === 'subscribe');
    expect(subscribe?.payload?.variables?.input?.model).toBe(LLAMA);
    expect(stack.sim.stats.completedStreams).toBeGreaterThanOrEqual(1);

    // Focus out of the editors so no caret or hover scrollbar lands in the picture.
    await page.locator('.graphiql-logo').click();
    await page.screenshot({ path: SCREENSHOT, animations: 'disabled' });
  });

  it('opens a shared link (/graphql?query=…&variables=…) with its operation in the editor, then cleans the URL', async () => {
    const query = 'query Shared($search: String) { models(type: CHAT, search: $search) { id } }';
    await page.goto(`${stack.url}/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent('{"search":"qwen"}')}`);
    await page.locator('.graphiql-container').waitFor();
    // The browser has saved tabs by now: the link opens as a new, active tab beside them.
    await expect.poll(() => page.locator('.graphiql-tab-active').innerText(), { timeout: 20_000 }).toBe('Shared');
    await expect.poll(async () => plain(await page.locator('.graphiql-query-editor').innerText()), { timeout: 20_000 }).toContain('query Shared');
    await page.locator('.graphiql-editor-tools button[data-name="variables"]').click();
    const variablesEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor').first();
    await expect.poll(async () => plain(await variablesEditor.innerText())).toContain('"search": "qwen"');
    expect(page.url()).toBe(`${stack.url}/graphql`);
  });

  it('fetched nothing from another origin and threw no page errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
