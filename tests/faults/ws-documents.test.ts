import type { ExecutionArgs } from 'graphql';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/core/config.ts';
import { buildSchema } from '../../src/graphql/schema.ts';
import { OriginPolicy } from '../../src/security/cors.ts';
import { WsGuard } from '../../src/security/ws-limits.ts';

/** graphql-ws operations: validated documents are reused by their text; refused ones are checked every time. */
describe('WsGuard document cache', () => {
  const config = configFromEnv({ TOGETHER_API_KEY: 'x', DATABASE_URL: ':memory:' });
  const guard = new WsGuard(config.security, new OriginPolicy([]), buildSchema(), false);
  const ctx = { subscriptions: { one: null } } as never;
  const subscribe = (query: string) => guard.onSubscribe(ctx, 'one', { query });

  it('a valid document is parsed and validated once, then reused', () => {
    const query = 'subscription S($input: ChatCompletionInput!) { chatStream(input: $input) { delta done } }';
    const first = subscribe(query) as ExecutionArgs;
    const second = subscribe(query) as ExecutionArgs;
    expect(first.document).toBeDefined();
    expect(second.document).toBe(first.document);
  });

  it('a refused document is refused again (nothing cached), with the same errors', () => {
    const broken = '{ models { id }'; // a syntax error: a brace missing
    const introspection = '{ __schema { types { name } } }'; // introspection is off here
    for (const query of [broken, introspection]) {
      const first = subscribe(query);
      const second = subscribe(query);
      expect(Array.isArray(first)).toBe(true);
      expect(Array.isArray(second)).toBe(true);
      expect((second as readonly Error[]).map((e) => e.message)).toEqual((first as readonly Error[]).map((e) => e.message));
    }
  });
});
