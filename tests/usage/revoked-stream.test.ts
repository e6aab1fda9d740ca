import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_STREAM, LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';
import { newKey, waitForRows } from '../faults/helpers.ts';
import { openai } from '../rest/helpers.ts';

/**
 * Issue 25 item 9: revoking a key ends its streams already running (chosen over "running streams finish"): the
 * client gets FORBIDDEN "… was revoked", Together's stream is closed, and the row keeps what was streamed with
 * that code. Another key's stream is untouched.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { REVOCATION_CHECK_MS: '50' } });
});
afterAll(() => stack.close());

const LONG = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a revoked key', () => {
  it('its running stream ends with FORBIDDEN within the check interval; Together is released; another key streams on', async () => {
    const doomed = await newKey(stack, 'doomed');
    const other = await newKey(stack, 'other');
    // 400 words, 20 ms apart: ~8 s of stream, far longer than the revocation takes to arrive.
    stack.sim.addFault({ route: 'chat', chunkDelayMs: 20, times: 2 });
    const run = runStream(stack.wsClient(doomed.headers), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage(LONG) } });
    const bystander = runStream(stack.wsClient(other.headers), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('one two three four five') } });
    await until(() => run.events.length >= 3, 'the first events');

    const name = (await stack.gateway.services.keys.list()).find((k) => k.id === doomed.id)!.name;
    const revoked = await stack.gql(`mutation { revokeKey(name: "${name}") { name revokedAt } }`, undefined, stack.auth(stack.adminKey));
    expect(revoked.body.errors).toBeUndefined();

    await run.finished;
    expect(run.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(run.errors?.[0]?.message).toContain('was revoked');
    expect(run.events.some((e) => e.done)).toBe(false);
    expect(run.events.length).toBeLessThan(400);

    await bystander.finished;
    expect(bystander.errors).toBeNull();
    expect(bystander.events.at(-1)?.done).toBe(true);

    // Together's stream was closed, not left to run to its end.
    await until(() => stack.sim.stats.openStreams === 0, 'the upstream stream to close');
    const [row] = await waitForRows(stack, doomed.id, 1);
    expect(row).toMatchObject({ errorCode: 'FORBIDDEN', stream: true });
    expect(row!.completionTokens).toBeGreaterThan(0);
    expect(row!.completionTokens).toBeLessThan(400);
  }, 30_000);

  it('a REST (SSE) stream of a revoked key ends with an error event, not a normal end', async () => {
    const doomed = await newKey(stack, 'doomed-rest');
    stack.sim.addFault({ route: 'chat', chunkDelayMs: 20, times: 1 });
    const stream = await openai(stack, doomed.headers.authorization!.replace('Bearer ', '')).chat.completions.create({
      model: LLAMA,
      messages: [{ role: 'user', content: LONG }],
      stream: true,
    });
    let chunks = 0;
    let failure: unknown = null;
    let revoked = false;
    try {
      for await (const chunk of stream) {
        chunks++;
        if (chunks === 3 && !revoked) {
          revoked = true;
          const name = (await stack.gateway.services.keys.list()).find((k) => k.id === doomed.id)!.name;
          await stack.gateway.services.keys.revoke(name);
        }
        expect(chunk.choices[0]?.finish_reason ?? null).toBeNull();
      }
    } catch (err) {
      failure = err;
    }
    expect(String((failure as Error)?.message)).toContain('was revoked');
    expect(chunks).toBeLessThan(400);
    const [row] = await waitForRows(stack, doomed.id, 1);
    expect(row).toMatchObject({ errorCode: 'FORBIDDEN', stream: true });
  }, 30_000);
});
