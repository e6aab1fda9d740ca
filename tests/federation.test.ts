import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from './helpers/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

describe('federation subgraph', () => {
  it('publishes its SDL with Model as an entity keyed by id', async () => {
    const res = await stack.gql(`{ _service { sdl } }`);
    const sdl: string = res.body.data._service.sdl;
    expect(sdl).toMatch(/type Model\s+@key\(fields: "id"\)/);
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.3"');
    expect(sdl).toContain('chatStream(input: ChatCompletionInput!): ChatStreamEvent!');
  });

  it('resolves 100 entity references in one catalog read; unknown ids are null', async () => {
    const ids: string[] = (await stack.gql(`{ models { id } }`)).body.data.models.slice(0, 99).map((m: any) => m.id);
    const representations = [...ids.map((id) => ({ __typename: 'Model', id })), { __typename: 'Model', id: 'not/a-model' }];
    const catalog = stack.gateway.services.gateways.get('together').catalog;
    const before = catalog.stats.reads;
    const res = await stack.gql(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Model { id name type } } }`, { r: representations });
    expect(res.body.errors).toBeUndefined();
    const entities = res.body.data._entities;
    expect(entities).toHaveLength(100);
    expect(entities.slice(0, 99).map((e: any) => e.id)).toEqual(ids);
    expect(entities[99]).toBeNull();
    expect(catalog.stats.reads - before).toBe(1);
  });
});
