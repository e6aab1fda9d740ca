import { expect } from 'vitest';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import { CHAT_MUTATION, LLAMA, type Stack, userMessage } from '../helpers/stack.ts';

/** Small deadlines so the whole fault suite stays fast; retries on, breaker out of the way unless a test wants it. */
export const FAULT_ENV = {
  UPSTREAM_TIMEOUT_MS: '1500',
  STREAM_IDLE_TIMEOUT_MS: '400',
  UPSTREAM_MAX_RETRIES: '2',
  BREAKER_FAILURE_THRESHOLD: '1000',
};

export const chatInput = (content = 'hello there world', extra: Record<string, unknown> = {}) => ({
  input: { model: LLAMA, messages: userMessage(content), ...extra },
});

let keyCounter = 0;

/** A fresh gateway key, so each scenario's activity rows are its own. */
export async function newKey(stack: Stack, prefix = 'fault') {
  const { key, record } = await stack.gateway.services.keys.create({ name: `${prefix}-${++keyCounter}-${Date.now()}` });
  return { key, id: record.id, headers: stack.auth(key) };
}

/** The key's activity rows, oldest first, after the batch writer flushed. */
export async function rowsOf(stack: Stack, keyId: string): Promise<ActivityEntry[]> {
  await stack.gateway.services.recorder.flush();
  return (await stack.gateway.services.store.listActivity({ keyId, limit: 10_000 })).reverse();
}

/** Waits until the key has at least `count` rows (rows of cancelled streams land a moment after the client left). */
export async function waitForRows(stack: Stack, keyId: string, count: number, timeoutMs = 5_000): Promise<ActivityEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await rowsOf(stack, keyId);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** After a fault the process still serves: /healthz is 200 and a normal chat (on its own key) succeeds. */
export async function expectHealthy(stack: Stack): Promise<void> {
  const health = await fetch(`${stack.url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  const probe = await newKey(stack, 'health');
  const res = await stack.gql(CHAT_MUTATION, chatInput('are you still there'), probe.headers);
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  expect(res.body.data.chatCompletion.finishReason).toBe('STOP');
}

export const codeOf = (body: { errors?: Array<{ extensions?: Record<string, any> }> }) => body.errors?.[0]?.extensions?.code;

/** A deterministic PRNG (mulberry32), so a "random" scenario replays identically. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
