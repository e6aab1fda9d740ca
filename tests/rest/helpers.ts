import OpenAI from 'openai';
import type { ActivityEntry } from '../../src/usage/activity.ts';
import type { Stack } from '../helpers/stack.ts';

/** The official openai client pointed at the gateway; no SDK retries, so every status is seen as sent. */
export const openai = (stack: Stack, apiKey = stack.key): OpenAI => new OpenAI({ baseURL: `${stack.url}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });

/** A fresh key, so a test can find exactly its own activity rows. */
export async function newKey(stack: Stack, name: string, extra: { budgetUsd?: number; rpm?: number; isAdmin?: boolean } = {}) {
  const { key, record } = await stack.gateway.services.keys.create({ name, ...extra });
  return { key, id: record.id, headers: stack.auth(key) };
}

/** The key's rows, oldest first, once the batch writer has flushed. */
export async function rowsOf(stack: Stack, keyId: string): Promise<ActivityEntry[]> {
  await stack.gateway.services.recorder.flush();
  return (await stack.gateway.services.store.listActivity({ keyId, limit: 1000 })).reverse();
}

/** Polls until the key has `count` rows (rows of cancelled calls land a moment after the client left). */
export async function waitForRows(stack: Stack, keyId: string, count: number, timeoutMs = 3000): Promise<ActivityEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await rowsOf(stack, keyId);
    if (rows.length >= count || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** POST /v1/chat/completions with fetch: JSON body (or a raw string), the stack's key unless headers say otherwise. */
export function postChat(stack: Stack, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...stack.auth(), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

/** An SSE body → its `data:` payloads, in order, checking the framing on the way (every event is one data line). */
export function sseData(text: string): string[] {
  const events = text.split('\n\n');
  if (events.at(-1) !== '') throw new Error(`stream does not end with a blank line: ${JSON.stringify(text.slice(-40))}`);
  return events.slice(0, -1).map((event) => {
    if (!event.startsWith('data: ') || event.includes('\n')) throw new Error(`not a single data line: ${JSON.stringify(event)}`);
    return event.slice('data: '.length);
  });
}

/** A response's JSON body, untyped (fetch types it as unknown). */
export const jsonOf = (res: Response): Promise<any> => res.json();
