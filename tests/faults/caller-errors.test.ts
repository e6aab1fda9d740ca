/**
 * Issue 16 item 10: a caller's mistake is BAD_USER_INPUT on every transport, and is not logged as our bug.
 * Tried through each face a client may use: HTTP POST, HTTP GET, graphql-ws; and the raw websocket for the
 * messages only a server may send (graphql-ws protocol: close 4400, nothing logged beyond a line).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { isServerOnlyMessage } from '../../src/security/ws-messages.ts';
import { LLAMA, type Stack, startStack } from '../helpers/stack.ts';

const ENTITIES = `query E($r: [_Any!]!) { _entities(representations: $r) { ... on Model { id } } }`;
const STREAM_BAD_FIELD = `subscription S($input: ChatCompletionInput!) { chatStream(input: $input) { delta } }`;

describe('the caller’s mistakes are BAD_USER_INPUT everywhere, never INTERNAL_SERVER_ERROR', () => {
  let stack: Stack;
  const logLines: string[] = [];
  const bugLines = () => logLines.filter((l) => l.includes('unexpected error') || /"level":50/.test(l));
  beforeAll(async () => {
    stack = await startStack({ logLines });
  });
  afterAll(() => stack.close());

  it('_entities with an unknown __typename, a type that is not an entity, or no __typename (HTTP POST and GET)', async () => {
    const cases = [[{ __typename: 'Nope', id: 'x' }], [{ __typename: 'Query' }], [{ __typename: 'ChatMessage', id: 'x' }], [{ id: LLAMA }]];
    for (const representations of cases) {
      const post = await stack.gql(ENTITIES, { r: representations });
      expect(post.body.errors?.[0]?.extensions?.code, JSON.stringify(representations)).toBe('BAD_USER_INPUT');
      const get = await fetch(`${stack.url}/graphql?query=${encodeURIComponent(ENTITIES)}&variables=${encodeURIComponent(JSON.stringify({ r: representations }))}`, {
        headers: stack.auth(),
      });
      const body = (await get.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      expect(body.errors?.[0]?.extensions?.code, `GET ${JSON.stringify(representations)}`).toBe('BAD_USER_INPUT');
    }
    // A good representation still resolves beside them.
    const good = await stack.gql(ENTITIES, { r: [{ __typename: 'Model', id: LLAMA }] });
    expect(good.body.data?._entities).toEqual([{ id: LLAMA }]);
    expect(bugLines()).toEqual([]);
  });

  it('graphql-ws: variables that fail input coercion are BAD_USER_INPUT, as over HTTP', async () => {
    const input = { model: LLAMA, messages: [{ role: 'USER', content: 'hi' }], notAField: 1 };
    const http = await stack.gql(STREAM_BAD_FIELD.replace('subscription', 'mutation').replace('chatStream', 'chatCompletion').replace('{ delta }', '{ content }'), { input });
    expect(http.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const client = stack.wsClient();
    const errors = await new Promise<Array<{ message: string; extensions?: { code?: string } }>>((resolve, reject) => {
      client.subscribe({ query: STREAM_BAD_FIELD, variables: { input } }, {
        // graphql-ws sends a failed execution's result as `next` with errors (then `complete`); a refused one as `error`.
        next: (result) => (result.errors ? resolve(result.errors as never) : reject(new Error('no data expected'))),
        error: (e) => resolve(e as never),
        complete: () => reject(new Error('completed without an error')),
      });
    });
    expect(errors[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(errors[0]?.message).toMatch(/notAField/);
    expect(bugLines()).toEqual([]);
  });

  it('a huge client-chosen operationName is cut in the log line, not logged whole', async () => {
    const name = `Op${'x'.repeat(20_000)}`;
    const before = logLines.length;
    const res = await fetch(`${stack.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...stack.auth() },
      body: JSON.stringify({ query: `query ${name} { me { name } }`, operationName: name }),
    });
    expect(res.status).toBe(200);
    const lines = logLines.slice(before).filter((l) => l.includes('"operationName"'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.length).toBeLessThan(2_000);
    expect(lines.join('\n')).toContain('(20002 chars)');
  });

  it('a frame is server-only by its own type, not by a "type" inside its payload or its strings', () => {
    const frame = (value: unknown) => Buffer.from(JSON.stringify(value));
    expect(isServerOnlyMessage(Buffer.from('{"id":"1", "type" :\n "next","payload":{}}'))).toBe(true);
    expect(isServerOnlyMessage(frame({ type: 'subscribe', id: '1', payload: { query: '{ me { name } }', variables: { schema: { type: 'error' } } } }))).toBe(false);
    expect(isServerOnlyMessage(frame({ type: 'complete', id: '1', note: '"type":"next"' }))).toBe(false);
    expect(isServerOnlyMessage(Buffer.from('{"type":"next",'))).toBe(false); // not JSON: graphql-ws closes it itself
  });

  for (const message of [{ type: 'next', id: '1', payload: { data: {} } }, { type: 'connection_ack' }, { type: 'error', id: '1', payload: [] }]) {
    it(`graphql-ws: a client that sends the server-only "${message.type}" message is closed with 4400`, async () => {
      const socket = new WebSocket(stack.wsUrl, 'graphql-transport-ws');
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      socket.send(JSON.stringify({ type: 'connection_init', payload: stack.auth() }));
      await new Promise((resolve) => socket.once('message', resolve)); // connection_ack
      const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
      socket.send(JSON.stringify(message));
      const { code, reason } = await closed;
      expect(code).toBe(4400);
      expect(reason).not.toMatch(/\n\s+at /);
      expect(bugLines()).toEqual([]);
    });
  }
});
