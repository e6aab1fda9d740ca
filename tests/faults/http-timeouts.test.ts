import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';
import { postChat, sseData } from '../rest/helpers.ts';
import { FAULT_ENV, expectHealthy } from './helpers.ts';

/**
 * Issue 16 item 2: a slow client may not hold a connection for Node's default 300 s. Headers have
 * HTTP_HEADERS_TIMEOUT_MS, the whole request (body included) HTTP_REQUEST_TIMEOUT_MS; a response that takes
 * long (a stream) is not a slow request and is never cut.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { ...FAULT_ENV, HTTP_HEADERS_TIMEOUT_MS: '500', HTTP_REQUEST_TIMEOUT_MS: '1000' }, sim: { chunkDelayMs: 150 } });
});
afterAll(() => stack.close());

/** Writes `text` on a raw connection and never finishes the request; resolves with what came back and when the server closed it. */
function stall(text: string): Promise<{ answer: string; closedAfterMs: number }> {
  const { port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
  });
}

describe('slow clients cannot hold connections', () => {
  it('headers that never finish: 408 and closed after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { answer, closedAfterMs } = await stall('POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(450);
    expect(closedAfterMs).toBeLessThan(5_000);
  });

  it('a body that never finishes: 408 and closed after HTTP_REQUEST_TIMEOUT_MS', async () => {
    const head = 'POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const { answer, closedAfterMs } = await stall(`${head}{"model":"`);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(closedAfterMs).toBeGreaterThanOrEqual(950);
    expect(closedAfterMs).toBeLessThan(5_000);
    await expectHealthy(stack);
  });

  it('a stream answering for longer than HTTP_REQUEST_TIMEOUT_MS is not cut', async () => {
    const started = Date.now();
    const res = await postChat(stack, { model: LLAMA, stream: true, max_tokens: 12, messages: [{ role: 'user', content: 'count from one to twenty slowly please' }] });
    expect(res.status).toBe(200);
    const events = sseData(await res.text());
    expect(Date.now() - started).toBeGreaterThan(1_000);
    expect(events.at(-1)).toBe('[DONE]');
  });
});
