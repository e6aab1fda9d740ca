import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, TEST_UPSTREAM_KEY, runStream, startStack } from '../helpers/stack.ts';
import { postChat, sseData } from '../rest/helpers.ts';
import { FAULT_ENV, chatInput } from './helpers.ts';

/**
 * Issue 16 item 1: one scrubber (src/core/secrets.ts) on every surface. Together's messages are passed on to
 * callers when they say what to fix, so a message quoting a key must be masked on REST (JSON and SSE error
 * lines) exactly as on GraphQL (HTTP and graphql-ws) and in the logs, while our own help text stays intact.
 */

// Not registered anywhere: caught by their shape only.
const FOREIGN_KEY = 'sk-proj-Zx81xxQ0bB7Lr2KqpWmN';
const URL_PASSWORD = 'hunter2-correct-horse';
const LEAKY_MESSAGE = `Incorrect API key provided: ${TEST_UPSTREAM_KEY}; also tried Incorrect API key provided: ${FOREIGN_KEY} via postgres://gw:${URL_PASSWORD}@db.internal:5432/gw`;
const SECRETS = [TEST_UPSTREAM_KEY, FOREIGN_KEY, URL_PASSWORD];

let stack: Stack;
const logLines: string[] = [];

beforeAll(async () => {
  stack = await startStack({ env: { ...FAULT_ENV, UPSTREAM_MAX_RETRIES: '0' }, logLines });
});
afterAll(() => stack.close());

const leakyFault = () => ({ route: 'chat' as const, status: 400, body: { error: { message: LEAKY_MESSAGE, type: 'invalid_request_error' } } });

/** Together answers 200 and fails inside the stream: the SSE `error` event quotes the key. */
const leakyStreamFault = () => ({
  route: 'chat' as const,
  status: 200,
  headers: { 'content-type': 'text/event-stream' },
  body:
    `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: LLAMA, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] })}\n\n` +
    `data: ${JSON.stringify({ error: { message: LEAKY_MESSAGE, type: 'server_error' } })}\n\n`,
});

function expectScrubbed(text: string, where: string): void {
  for (const secret of SECRETS) expect(text, `${where} leaked ${secret.slice(0, 6)}…`).not.toContain(secret);
  expect(text, where).toContain('[redacted]');
}

describe('one scrubber on every surface', () => {
  it('REST JSON errors mask a key Together quotes', async () => {
    stack.sim.addFault(leakyFault());
    const res = await postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('BAD_USER_INPUT');
    expectScrubbed(text, 'a REST error body');
  });

  it('REST streams: an error before the first byte and an SSE error line are both masked', async () => {
    stack.sim.addFault(leakyFault());
    const early = await postChat(stack, { model: LLAMA, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(early.status).toBe(400);
    expectScrubbed(await early.text(), 'a REST stream error body');

    stack.sim.addFault(leakyStreamFault());
    const late = await postChat(stack, { model: LLAMA, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(late.status).toBe(200);
    const events = sseData(await late.text());
    const errorLine = events.find((e) => e.includes('"error"'));
    expect(errorLine).toBeDefined();
    expect(JSON.parse(errorLine!).error.code).toBe('UPSTREAM_UNAVAILABLE');
    expectScrubbed(errorLine!, 'an SSE error line');
  });

  it('GraphQL over HTTP and graphql-ws frames mask it the same way', async () => {
    stack.sim.addFault(leakyFault());
    const res = await stack.gql(CHAT_MUTATION, chatInput());
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expectScrubbed(JSON.stringify(res.body), 'a GraphQL HTTP error');

    stack.sim.addFault(leakyStreamFault());
    const run = runStream(stack.wsClient(), CHAT_STREAM, chatInput());
    await run.finished;
    expect(run.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expectScrubbed(JSON.stringify(run.errors), 'a graphql-ws error frame');
  });

  it('logs never hold them, whichever field carries them', async () => {
    await stack.gateway.services.recorder.flush();
    const logger = stack.gateway.services.logger;
    logger.warn({ err: new Error(LEAKY_MESSAGE), upstream: { detail: LEAKY_MESSAGE } }, LEAKY_MESSAGE);
    const line = logLines.find((l) => l.includes('Incorrect API key provided'));
    expect(line).toBeDefined();
    for (const secret of SECRETS) expect(logLines.find((l) => l.includes(secret))).toBeUndefined();
  });

  it('our own help text is not taken for a secret: "send Authorization: Bearer <key>" reaches the caller intact', async () => {
    const gql = await stack.gql(CHAT_MUTATION, chatInput(), { authorization: '' });
    expect(gql.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(gql.body.errors?.[0]?.message).toContain('Authorization: Bearer <key>');

    const rest = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: LLAMA, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(rest.status).toBe(401);
    expect(((await rest.json()) as any).error.message).toContain('Authorization: Bearer <key>');
  });
});
