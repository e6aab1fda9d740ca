import WebSocket from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import { FAULT_ENV, chatInput, newKey, waitForRows } from './helpers.ts';

/**
 * Issue 16 item 5: a cancellation is not a crash. On every transport a client that leaves gets a CANCELLED
 * row, an info/debug line and, over graphql-ws, no frame for the operation it completed (the protocol forbids
 * any); nothing is logged at warn or error, and nothing says "unexpected error".
 */
let stack: Stack;
const logLines: string[] = [];
beforeAll(async () => {
  stack = await startStack({ env: { ...FAULT_ENV, UPSTREAM_TIMEOUT_MS: '10000', STREAM_IDLE_TIMEOUT_MS: '10000' }, sim: { chunkDelayMs: 40 }, logLines });
});
afterAll(() => stack.close());
beforeEach(() => {
  stack.sim.clearFaults();
  logLines.length = 0;
});

/** After each scenario: no warning or error line, no "unexpected error", and the cancelled call's info line. */
function expectQuietLogs(): void {
  const loud = logLines.filter((l) => JSON.parse(l).level >= 40 || l.includes('unexpected error'));
  expect(loud, loud.join('\n')).toEqual([]);
  expect(logLines.some((l) => JSON.parse(l).msg === 'chat' && l.includes('"outcome":"cancelled"'))).toBe(true);
}

/** A graphql-ws socket past connection_ack; `frames` collects every message the server sends. */
async function socketFor(key: Record<string, string>) {
  const socket = new WebSocket(stack.wsUrl, 'graphql-transport-ws');
  const frames: Array<{ id?: string; type: string; payload?: any }> = [];
  await new Promise((r) => socket.once('open', r));
  socket.on('message', (data) => frames.push(JSON.parse(String(data))));
  socket.send(JSON.stringify({ type: 'connection_init', payload: key }));
  await until(() => frames.some((f) => f.type === 'connection_ack'));
  return { socket, frames };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('cancellation is quiet on every transport', () => {
  it('graphql-ws `complete` during a chatStream: no frame for that id afterwards, a CANCELLED row, nothing logged as an error', async () => {
    const k = await newKey(stack);
    const { socket, frames } = await socketFor(k.headers);
    socket.send(JSON.stringify({ id: 's1', type: 'subscribe', payload: { query: CHAT_STREAM, variables: chatInput('one two three four five six seven eight') } }));
    await until(() => frames.some((f) => f.id === 's1' && f.type === 'next'));
    socket.send(JSON.stringify({ id: 's1', type: 'complete' }));
    const afterComplete = frames.length;
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows[0]).toMatchObject({ stream: true, cancelled: true, finishReason: 'CANCELLED', errorCode: null });
    // A later operation on the same socket: its answer comes after anything the server sent for s1.
    socket.send(JSON.stringify({ id: 'q2', type: 'subscribe', payload: { query: '{ __typename }' } }));
    await until(() => frames.some((f) => f.id === 'q2' && f.type === 'complete'));
    const late = frames.slice(afterComplete).filter((f) => f.id === 's1' && f.type !== 'next');
    expect(late).toEqual([]);
    expect(socket.readyState).toBe(socket.OPEN);
    socket.close();
    expectQuietLogs();
  });

  it('graphql-ws socket closed during a chatStream and during a mutation: CANCELLED rows, nothing logged as an error', async () => {
    const k = await newKey(stack);
    const stream = await socketFor(k.headers);
    stream.socket.send(JSON.stringify({ id: 's1', type: 'subscribe', payload: { query: CHAT_STREAM, variables: chatInput('one two three four five six seven eight') } }));
    await until(() => stream.frames.some((f) => f.id === 's1' && f.type === 'next'));
    stream.socket.close();

    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 20_000 });
    const mutation = await socketFor(k.headers);
    mutation.socket.send(JSON.stringify({ id: 'm1', type: 'subscribe', payload: { query: CHAT_MUTATION, variables: chatInput() } }));
    await stack.sim.waitFor((s) => s.chatCalls > calls, 3_000);
    mutation.socket.terminate();

    const rows = await waitForRows(stack, k.id, 2);
    expect(rows.map((r) => [r.stream, r.finishReason, r.errorCode])).toEqual([
      [true, 'CANCELLED', null],
      [false, 'CANCELLED', null],
    ]);
    expectQuietLogs();
  });

  it('an HTTP chatCompletion mutation whose client hangs up: a CANCELLED row, nothing logged as an error', async () => {
    const k = await newKey(stack);
    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 20_000 });
    const controller = new AbortController();
    const request = fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...k.headers },
      body: JSON.stringify({ query: CHAT_MUTATION, variables: chatInput() }),
      signal: controller.signal,
    }).catch((err: Error) => err);
    await stack.sim.waitFor((s) => s.chatCalls > calls, 3_000);
    controller.abort();
    await request;
    const rows = await waitForRows(stack, k.id, 1);
    expect(rows[0]).toMatchObject({ stream: false, cancelled: true, finishReason: 'CANCELLED' });
    // The operation's own summary line comes after the row: wait for it, then check.
    await until(() => logLines.some((l) => l.includes('"graphql operation"') || l.includes('"msg":"graphql operation"')));
    expectQuietLogs();
  });

  it('REST: an aborted completion and an aborted stream: CANCELLED rows, nothing logged as an error', async () => {
    const k = await newKey(stack);
    const post = (body: unknown, signal: AbortSignal) =>
      fetch(`${stack.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...k.headers }, body: JSON.stringify(body), signal });

    const calls = stack.sim.stats.chatCalls;
    stack.sim.addFault({ route: 'chat', firstByteDelayMs: 20_000 });
    const plain = new AbortController();
    const completion = post({ model: LLAMA, messages: [{ role: 'user', content: 'hi' }] }, plain.signal).catch((err: Error) => err);
    await stack.sim.waitFor((s) => s.chatCalls > calls, 3_000);
    plain.abort();
    await completion;
    await waitForRows(stack, k.id, 1);

    const streaming = new AbortController();
    const res = await post({ model: LLAMA, stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight' }] }, streaming.signal);
    const reader = res.body!.getReader();
    await reader.read();
    streaming.abort();
    await reader.read().catch(() => undefined);

    const rows = await waitForRows(stack, k.id, 2);
    expect(rows.map((r) => [r.stream, r.finishReason, r.errorCode])).toEqual([
      [false, 'CANCELLED', null],
      [true, 'CANCELLED', null],
    ]);
    expectQuietLogs();
  });
});
