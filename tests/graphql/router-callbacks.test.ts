/**
 * Apollo Router's HTTP callback protocol, against a minimal router stand-in: a real HTTP server that sends the
 * subscription the way the router does (extensions.subscription, the client's Authorization forwarded) and
 * answers the gateway's `check` / `next` / `complete` callbacks as the router would (204 / 200 / 202, or 404
 * once it has dropped the subscription).
 */
import { randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatInput, newKey, waitForRows } from '../faults/helpers.ts';
import { CHAT_STREAM, type Stack, startStack } from '../helpers/stack.ts';

interface Callback {
  action: 'check' | 'next' | 'complete';
  id: string;
  verifier: string;
  payload?: any;
  errors?: Array<{ message: string; extensions?: Record<string, any> }>;
  protocol: string | undefined;
}

/** The router's side: records callbacks per subscription id; `drop(id)` makes it answer 404 from then on. */
class RouterStandIn {
  readonly received = new Map<string, Callback[]>();
  private readonly dropped = new Set<string>();
  private readonly verifiers = new Map<string, string>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        const id = req.url!.split('/').pop()!;
        const message = JSON.parse(body) as Callback;
        const list = this.received.get(id) ?? [];
        list.push({ ...message, protocol: req.headers['subscription-protocol'] as string | undefined });
        this.received.set(id, list);
        if (this.dropped.has(id) || this.verifiers.get(id) !== message.verifier || message.id !== id) return void res.writeHead(404).end();
        res.writeHead(message.action === 'check' ? 204 : message.action === 'next' ? 200 : 202, { 'subscription-protocol': 'callback/1.0' }).end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Sends a subscription to the subgraph as the router does. */
  async subscribe(gatewayUrl: string, key: string | undefined, variables: Record<string, unknown>, options: { heartbeatIntervalMs?: number; callbackUrl?: string } = {}) {
    const id = randomUUID();
    const verifier = randomUUID();
    this.verifiers.set(id, verifier);
    const res = await fetch(`${gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({
        query: CHAT_STREAM,
        variables,
        extensions: {
          subscription: { callbackUrl: options.callbackUrl ?? `${this.url}/callback/${id}`, subscriptionId: id, verifier, heartbeatIntervalMs: options.heartbeatIntervalMs ?? 0 },
        },
      }),
    });
    return { id, status: res.status, headers: res.headers, body: (await res.json()) as any };
  }

  messages(id: string): Callback[] {
    return this.received.get(id) ?? [];
  }

  drop(id: string): void {
    this.dropped.add(id);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let stack: Stack;
const router = new RouterStandIn();
beforeAll(async () => {
  await router.start();
  stack = await startStack({ env: { UPSTREAM_MAX_RETRIES: '0', SUBSCRIPTION_CALLBACK_URLS: `${router.url}/callback` } });
});
afterAll(async () => {
  await stack.close();
  await router.close();
});
beforeEach(() => stack.sim.clearFaults());

const waitFor = async (condition: () => boolean, timeoutMs = 5_000): Promise<void> => {
  await expect.poll(condition, { timeout: timeoutMs, interval: 10 }).toBe(true);
};

describe('Apollo Router callback protocol', () => {
  it('check first, then each event as `next`, then `complete`: the recorded fixture streams, with its row', async () => {
    const k = await newKey(stack, 'callback');
    stack.sim.addFault({ route: 'chat', scenario: 'stream-llama32-3b-text' });
    const sub = await router.subscribe(stack.url, k.key, chatInput('hi'));
    expect(sub.status).toBe(200);
    expect(sub.body).toEqual({ data: null });
    expect(sub.headers.get('subscription-protocol')).toBe('callback/1.0');
    await waitFor(() => router.messages(sub.id).some((m) => m.action === 'complete'));
    const messages = router.messages(sub.id);
    expect(messages[0]!.action).toBe('check');
    expect(messages.every((m) => m.protocol === 'callback/1.0' || m.action !== 'check')).toBe(true);
    const events = messages.filter((m) => m.action === 'next').map((m) => m.payload.data.chatStream);
    expect(events.map((e) => e.delta).join('')).toBe('Hello.');
    expect(events.at(-1)).toMatchObject({ done: true, finishReason: 'STOP', usage: { promptTokens: 43, completionTokens: 3 } });
    expect(messages.at(-1)).toMatchObject({ action: 'complete' });
    expect(messages.at(-1)!.errors).toBeUndefined();
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows[0]).toMatchObject({ stream: true, cancelled: false, finishReason: 'STOP' });
  });

  it('a 404 from the router ends the subscription and aborts Together\'s request; the row says cancelled', async () => {
    const k = await newKey(stack, 'callback-404');
    const aborted = stack.sim.stats.abortedStreams;
    stack.sim.addFault({ route: 'chat', chunkDelayMs: 100 });
    const sub = await router.subscribe(stack.url, k.key, chatInput('one two three four five six seven eight nine ten'));
    await waitFor(() => router.messages(sub.id).filter((m) => m.action === 'next').length >= 1);
    router.drop(sub.id);
    // The next event hears 404: the subscription is over on the router's side.
    await stack.sim.waitFor((s) => s.abortedStreams === aborted + 1, 5_000);
    expect(router.messages(sub.id).some((m) => m.action === 'complete')).toBe(false);
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows[0]).toMatchObject({ stream: true, cancelled: true, finishReason: 'CANCELLED' });
  });

  it('sends a `check` heartbeat every heartbeatIntervalMs while the stream is quiet; 404 there ends it too', async () => {
    const k = await newKey(stack, 'callback-heartbeat');
    const aborted = stack.sim.stats.abortedStreams;
    stack.sim.addFault({ route: 'chat', stallAfterChunks: 1 });
    const sub = await router.subscribe(stack.url, k.key, chatInput('one two three'), { heartbeatIntervalMs: 100 });
    await waitFor(() => router.messages(sub.id).filter((m) => m.action === 'check').length >= 3);
    router.drop(sub.id);
    await stack.sim.waitFor((s) => s.abortedStreams === aborted + 1, 5_000);
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows[0]).toMatchObject({ cancelled: true });
  });

  it('a failure mid-stream is `complete` with the error and its code', async () => {
    stack.sim.addFault({ route: 'chat', cutAfterChunks: 2 });
    const sub = await router.subscribe(stack.url, stack.key, chatInput('one two three four five'));
    await waitFor(() => router.messages(sub.id).some((m) => m.action === 'complete'));
    const complete = router.messages(sub.id).at(-1)!;
    expect(complete.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('needs the forwarded key before anything is sent: none → 401 UNAUTHENTICATED and no callback', async () => {
    const sub = await router.subscribe(stack.url, undefined, chatInput('hi'));
    expect(sub.status).toBe(401);
    expect(sub.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(router.messages(sub.id)).toEqual([]);
  });

  it('refused at once (unknown model): the errors come in the answer, with no callback but the check', async () => {
    const sub = await router.subscribe(stack.url, stack.key, { input: { model: 'no/such', messages: [{ role: 'USER', content: 'hi' }] } });
    expect(sub.status).toBe(200);
    expect(sub.body.errors[0].extensions.code).toBe('MODEL_NOT_FOUND');
    expect(router.messages(sub.id).map((m) => m.action)).toEqual(['check']);
  });

  it('calls back only to the router the operator named: another callbackUrl → 403, nothing sent', async () => {
    const calls = stack.sim.stats.streamCalls;
    const sub = await router.subscribe(stack.url, stack.key, chatInput('hi'), { callbackUrl: `${router.url}/elsewhere/x` });
    expect(sub.status).toBe(403);
    expect(sub.body.errors[0].message).toContain('SUBSCRIPTION_CALLBACK_URLS');
    expect(router.received.size).toBeGreaterThan(0);
    expect([...router.received.keys()]).not.toContain('x');
    expect(stack.sim.stats.streamCalls).toBe(calls);
  });
});

describe('without SUBSCRIPTION_CALLBACK_URLS', () => {
  it('callbacks are off, and the refusal says which setting turns them on', async () => {
    const plain = await startStack();
    try {
      const sub = await router.subscribe(plain.url, plain.key, chatInput('hi'));
      expect(sub.status).toBe(403);
      expect(sub.body.errors[0].message).toContain('SUBSCRIPTION_CALLBACK_URLS');
      expect(router.messages(sub.id)).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
