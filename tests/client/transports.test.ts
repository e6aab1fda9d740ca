/** The typed client streams where websockets cannot: SSE when there is no WebSocket, or when the upgrade is blocked. */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatStreamDocument, GatewayError, createGatewayClient } from '../../client/index.ts';
import { startNoUpgradeProxy } from '../helpers/no-upgrade-proxy.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';

let stack: Stack;
let proxy: Awaited<ReturnType<typeof startNoUpgradeProxy>>;
beforeAll(async () => {
  stack = await startStack();
  proxy = await startNoUpgradeProxy(stack.url);
});
afterAll(async () => {
  await proxy?.close();
  await stack?.close();
});

const input = (content: string) => ({ input: { model: LLAMA, messages: [{ role: 'USER' as const, content }] } });

async function collect(gw: ReturnType<typeof createGatewayClient>, content: string): Promise<string> {
  let text = '';
  for await (const { chatStream } of gw.subscribe(ChatStreamDocument, input(content))) text += chatStream.delta;
  return text;
}

describe('client subscriptions without websockets', () => {
  it('Node 20 with no WebSocket: streams over SSE', async () => {
    const streams = stack.sim.stats.completedStreams;
    const gw = createGatewayClient({ url: stack.url, key: stack.key });
    expect(gw.subscriptionTransport).toBe('sse');
    expect(await collect(gw, 'over sse')).toBe('Echo: over sse');
    expect(stack.sim.stats.completedStreams).toBe(streams + 1);
    await gw.close();
  });

  it('behind a proxy that refuses upgrades: the first stream falls back to SSE, and so do the next ones', async () => {
    const gw = createGatewayClient({ url: proxy.url, key: stack.key, webSocketImpl: WebSocket });
    expect(gw.subscriptionTransport).toBe('ws');
    expect(await collect(gw, 'first try')).toBe('Echo: first try');
    expect(proxy.upgradesRefused()).toBe(1);
    expect(gw.subscriptionTransport).toBe('sse');
    expect(await collect(gw, 'second')).toBe('Echo: second');
    expect(proxy.upgradesRefused()).toBe(1);
    await gw.close();
  });

  it('GraphQL errors are not a reason to change transport: a bad key stays an UNAUTHENTICATED error on graphql-ws', async () => {
    const gw = createGatewayClient({ url: stack.url, key: 'gw_not_a_key', webSocketImpl: WebSocket });
    const error = await collect(gw, 'hi').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).code).toBe('UNAUTHENTICATED');
    expect(gw.subscriptionTransport).toBe('ws');
    await gw.close();
  });

  it('`subscriptionTransport: "ws"` keeps the websocket failure instead of falling back', async () => {
    const gw = createGatewayClient({ url: proxy.url, key: stack.key, webSocketImpl: WebSocket, subscriptionTransport: 'ws' });
    await expect(collect(gw, 'hi')).rejects.toBeInstanceOf(Error);
    await gw.close();
  });
});
