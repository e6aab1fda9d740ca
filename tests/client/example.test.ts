import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CatalogDocument,
  ChatDocument,
  ChatStreamDocument,
  GatewayError,
  ModelByIdDocument,
  createGatewayClient,
  graphqlEndpoint,
} from '../../client/index.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

/** Runs examples/terminal-chat.ts the way a user does (`tsx`), in a child process. */
function runExample(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/terminal-chat.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, GATEWAY_URL: '', GATEWAY_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('examples/terminal-chat.ts', () => {
  it('browses the catalog and streams the reply to stdout', async () => {
    const prompt = 'Write a haiku about gateways';
    const { code, stdout, stderr } = await runExample(['--url', stack.url, '--key', stack.key, prompt]);
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    // The simulator answers "Echo: " + the prompt, one word per streamed token.
    expect(stdout).toBe(`Echo: ${prompt}\n`);
    expect(stderr).toMatch(/^Catalog: \d+ chat models at http:\/\/127\.0\.0\.1:\d+\/graphql$/m);
    expect(stderr).toContain(`(${LLAMA})`);
    expect(stderr).toMatch(/\[finish STOP · \d+ prompt \+ 6 completion tokens · \$[\d.e-]+\]/);
    expect(stack.sim.stats.requests.some((r) => r.path.endsWith('/chat/completions') && r.body?.stream === true)).toBe(true);
  });

  it('passes --model and --max-tokens through', async () => {
    const { code, stdout, stderr } = await runExample(['--url', stack.url, '--key', stack.key, '--model', LLAMA, '--max-tokens', '2', 'one two three']);
    expect(code).toBe(0);
    expect(stdout).toBe('Echo: one\n');
    expect(stderr).toContain('[finish LENGTH');
  });

  it('exits 1 with the error code for an unknown model', async () => {
    const { code, stdout, stderr } = await runExample(['--url', stack.url, '--key', stack.key, '--model', 'nobody/no-such-model', 'hi']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('Error [MODEL_NOT_FOUND]');
  });

  it('prints usage and exits 2 without a prompt', async () => {
    const { code, stderr } = await runExample(['--url', stack.url]);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: npx tsx examples/terminal-chat.ts');
  });
});

describe('client/ (typed documents + createGatewayClient)', () => {
  it('runs every generated document against the gateway, typed', async () => {
    const gw = createGatewayClient({ url: stack.url, key: stack.key, webSocketImpl: WebSocket });
    try {
      const { models } = await gw.request(CatalogDocument, { search: 'llama' });
      expect(models.length).toBeGreaterThan(0);
      expect(models.every((m) => m.type === 'CHAT')).toBe(true);

      const { model } = await gw.request(ModelByIdDocument, { id: LLAMA });
      expect(model).toMatchObject({ id: LLAMA, gateway: 'together', pricing: { inputPerMillion: 0.88 } });
      expect((await gw.request(ModelByIdDocument, { id: 'nobody/nothing' })).model).toBeNull();

      const input = { model: LLAMA, messages: [{ role: 'USER' as const, content: 'alpha beta' }] };
      const { chatCompletion } = await gw.request(ChatDocument, { input });
      expect(chatCompletion).toMatchObject({ content: 'Echo: alpha beta', finishReason: 'STOP', provider: 'together' });

      const deltas: string[] = [];
      let done = false;
      for await (const { chatStream } of gw.subscribe(ChatStreamDocument, { input })) {
        deltas.push(chatStream.delta);
        done = chatStream.done;
      }
      expect(deltas.join('')).toBe('Echo: alpha beta');
      expect(done).toBe(true);
    } finally {
      await gw.close();
    }
  });

  it('rejects with a GatewayError carrying extensions.code, over HTTP and over graphql-ws', async () => {
    const gw = createGatewayClient({ url: `${stack.url}/graphql/`, key: stack.key, webSocketImpl: WebSocket });
    const input = { model: 'nobody/no-such-model', messages: [{ role: 'USER' as const, content: 'hi' }] };
    try {
      await expect(gw.request(ChatDocument, { input })).rejects.toMatchObject({ name: 'GatewayError', code: 'MODEL_NOT_FOUND' });
      const consume = async () => {
        for await (const _ of gw.subscribe(ChatStreamDocument, { input })) void _;
      };
      const err = await consume().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe('MODEL_NOT_FOUND');
    } finally {
      await gw.close();
    }
  });

  it('with keepSocketOpenMs, streams one after another share one websocket (by default each opens its own)', async () => {
    let upgrades = 0;
    const onUpgrade = (): void => void upgrades++;
    stack.gateway.httpServer.on('upgrade', onUpgrade);
    const input = { model: LLAMA, messages: [{ role: 'USER' as const, content: 'one turn' }] };
    const turns = async (gw: ReturnType<typeof createGatewayClient>) => {
      for (let turn = 0; turn < 3; turn++) for await (const _ of gw.subscribe(ChatStreamDocument, { input })) void _;
      await new Promise((r) => setTimeout(r, 50)); // a socket closing after a turn would be gone by now
    };
    const kept = createGatewayClient({ url: stack.url, key: stack.key, webSocketImpl: WebSocket, keepSocketOpenMs: 1000 });
    const reconnecting = createGatewayClient({ url: stack.url, key: stack.key, webSocketImpl: WebSocket });
    try {
      await turns(kept);
      expect(upgrades).toBe(1);
      await turns(reconnecting);
      expect(upgrades).toBe(4);
    } finally {
      stack.gateway.httpServer.off('upgrade', onUpgrade);
      await Promise.all([kept.close(), reconnecting.close()]);
    }
  });

  it('breaking out of a stream unsubscribes, which cancels the upstream request', async () => {
    stack.sim.addFault({ route: 'chat', stallAfterChunks: 2 });
    const before = stack.sim.stats.abortedStreams;
    const gw = createGatewayClient({ url: stack.url, key: stack.key, webSocketImpl: WebSocket });
    try {
      const input = { model: LLAMA, messages: [{ role: 'USER' as const, content: 'one two three four' }] };
      for await (const { chatStream } of gw.subscribe(ChatStreamDocument, { input })) {
        expect(chatStream.delta).toBe('Echo:');
        break;
      }
      await stack.sim.waitFor((s) => s.abortedStreams === before + 1, 2000);
      expect(stack.sim.stats.openStreams).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('normalises the endpoint URL', () => {
    expect(graphqlEndpoint('http://h:1')).toBe('http://h:1/graphql');
    expect(graphqlEndpoint('http://h:1/')).toBe('http://h:1/graphql');
    expect(graphqlEndpoint('https://h/api/graphql/')).toBe('https://h/api/graphql');
  });
});
