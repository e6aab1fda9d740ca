import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, LLAMA, type Stack, startStack, userMessage } from '../helpers/stack.ts';
import { jsonOf, newKey, openai, postChat } from './helpers.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const MODEL_FIELDS = 'id name gateway organization type contextLength license link createdAt pricing { inputPerMillion outputPerMillion inputPerToken outputPerToken cachedInputPerMillion hourly perImage perMegapixel source }';
const get = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.url}${path}`, { headers });

describe('GET /v1/models (OpenAI list shape)', () => {
  it('the openai client lists every catalog model with OpenAI\'s fields and the catalog\'s extras', async () => {
    const models = [];
    for await (const m of openai(stack).models.list()) models.push(m);
    const catalog = await stack.gateway.services.gateways.get('together').catalog.list();
    expect(models).toHaveLength(catalog.length);
    expect(models.find((m) => m.id === LLAMA)).toEqual({
      id: LLAMA,
      object: 'model',
      created: 1733466629,
      owned_by: 'Meta',
      name: 'Meta Llama 3.3 70B Instruct Turbo',
      gateway: 'together',
      type: 'chat',
      context_length: 131072,
      license: 'Llama-3.3 (Other)',
      link: 'https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct',
      pricing: { input_per_million: 0.88, output_per_million: 0.88, input_per_token: 0.88 / 1e6, output_per_token: 0.88 / 1e6, cached_input_per_million: null, hourly: null, per_image: null, per_megapixel: null, source: 'together' },
    });
    expect(models.every((m) => m.object === 'model' && typeof m.created === 'number' && typeof m.owned_by === 'string')).toBe(true);
  });

  it('retrieves one model by its id (which contains a slash); unknown ids are 404 MODEL_NOT_FOUND', async () => {
    expect(await openai(stack).models.retrieve(LLAMA)).toMatchObject({ id: LLAMA, object: 'model' });
    expect((await jsonOf(await get(`/v1/models/${LLAMA}`))).id).toBe(LLAMA);
    await expect(openai(stack).models.retrieve('nobody/nothing')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('is public', async () => {
    expect((await get('/v1/models')).status).toBe(200);
  });
});

describe('the seed\'s /catalog routes (public, same data as the GraphQL fields)', () => {
  it('/catalog/models?gateway=together is the GraphQL models field', async () => {
    const res = await get('/catalog/models?gateway=together');
    expect(res.status).toBe(200);
    const body = await jsonOf(res);
    const gql = await stack.gql(`{ models { ${MODEL_FIELDS} } }`, undefined, { authorization: '' });
    expect(body).toEqual({ gateway: 'together', count: gql.body.data.models.length, data: gql.body.data.models });
  });

  it('type and search filter like the GraphQL arguments; the gateway defaults to together', async () => {
    const body = await jsonOf(await get('/catalog/models?type=chat&search=LLAMA'));
    const gql = await stack.gql(`{ models(type: CHAT, search: "LLAMA") { ${MODEL_FIELDS} } }`);
    expect(body.data).toEqual(gql.body.data.models);
    expect(body.count).toBeGreaterThan(0);
  });

  it('a bad type or an unknown gateway is 400 BAD_USER_INPUT', async () => {
    for (const path of ['/catalog/models?type=hologram', '/catalog/models?gateway=openrouter', `/catalog/model/${LLAMA}?gateway=nope`]) {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect((await jsonOf(res)).error).toMatchObject({ code: 'BAD_USER_INPUT', type: 'invalid_request_error' });
    }
  });

  it('/catalog/model/{id} takes ids with slashes (raw or %2F-encoded, any case) and is the GraphQL model field', async () => {
    const gql = await stack.gql(`query($id: ID!) { model(id: $id) { ${MODEL_FIELDS} } }`, { id: LLAMA });
    for (const path of [`/catalog/model/${LLAMA}?gateway=together`, `/catalog/model/${encodeURIComponent(LLAMA)}`, `/catalog/model/${LLAMA.toLowerCase()}`]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(await jsonOf(res)).toEqual(gql.body.data.model);
    }
  });

  it('an unknown model is 404 MODEL_NOT_FOUND', async () => {
    const res = await get('/catalog/model/nobody/nothing-7B?gateway=together');
    expect(res.status).toBe(404);
    expect((await jsonOf(res)).error).toMatchObject({ code: 'MODEL_NOT_FOUND', type: 'not_found_error' });
  });
});

describe('GET /catalog/gateway/{gateway}/stats', () => {
  const STATS = `query($range: TimeRange) { gatewayStats(timeRange: $range) {
    gateway timeRange scope totalRequests totalTokens promptTokens completionTokens totalCostUsd uniqueModels uniqueKeys
    avgTokensPerSecond avgLatencyMs latencyP50Ms latencyP95Ms ttftP50Ms ttftP95Ms errorRate cancelledRequests fallbackAttempts bucketSeconds
    byModel { model requests totalTokens costUsd avgLatencyMs errorRate } byKind { kind requests totalTokens costUsd avgLatencyMs errorRate }
    series { start requests totalTokens costUsd errors } } }`;

  it('is the GraphQL gatewayStats for the caller\'s key', async () => {
    const k = await newKey(stack, 'rest-stats');
    await postChat(stack, { model: LLAMA, messages: [{ role: 'user', content: 'one two' }] }, k.headers);
    await stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('three') } }, k.headers);
    await postChat(stack, { model: LLAMA, messages: [] }, k.headers);
    const res = await get('/catalog/gateway/together/stats?time_range=1h', k.headers);
    expect(res.status).toBe(200);
    const rest = await jsonOf(res);
    const gql = await stack.gql(STATS, { range: 'LAST_1H' }, k.headers);
    expect(rest).toEqual(gql.body.data.gatewayStats);
    expect(rest).toMatchObject({ gateway: 'together', timeRange: 'LAST_1H', scope: 'OWN_KEY', totalRequests: 3, errorRate: 1 / 3 });
  });

  it('every time_range the seed knows; 24h by default; admins see all keys', async () => {
    const expected = { '1h': 'LAST_1H', '24h': 'LAST_24H', '7d': 'LAST_7D', '30d': 'LAST_30D', all: 'ALL' };
    for (const [param, range] of Object.entries(expected)) {
      expect((await jsonOf(await get(`/catalog/gateway/together/stats?time_range=${param}`, stack.auth()))).timeRange).toBe(range);
    }
    expect((await jsonOf(await get('/catalog/gateway/together/stats', stack.auth()))).timeRange).toBe('LAST_24H');
    expect((await jsonOf(await get('/catalog/gateway/together/stats', stack.auth(stack.adminKey)))).scope).toBe('ALL_KEYS');
  });

  it('needs a key (401); a bad time_range or gateway is 400 BAD_USER_INPUT', async () => {
    const anonymous = await get('/catalog/gateway/together/stats?time_range=24h');
    expect(anonymous.status).toBe(401);
    expect((await jsonOf(anonymous)).error.code).toBe('UNAUTHENTICATED');
    for (const path of ['/catalog/gateway/together/stats?time_range=2w', '/catalog/gateway/nope/stats']) {
      const res = await get(path, stack.auth());
      expect(res.status).toBe(400);
      expect((await jsonOf(res)).error.code).toBe('BAD_USER_INPUT');
    }
  });
});

describe('when Together cannot serve the catalog', () => {
  it('no TOGETHER_API_KEY → 503 PROVIDER_NOT_CONFIGURED "Together API key not configured" on catalog and chat', async () => {
    const bare = await startStack({ env: { TOGETHER_API_KEY: undefined } });
    try {
      for (const res of [await fetch(`${bare.url}/catalog/models?gateway=together`), await fetch(`${bare.url}/v1/models`), await postChat(bare, { model: LLAMA, messages: [{ role: 'user', content: 'hi' }] })]) {
        expect(res.status).toBe(503);
        expect((await jsonOf(res)).error).toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED', message: 'Together API key not configured' });
      }
    } finally {
      await bare.close();
    }
  });

  it('Together failing with no cached copy → 503 UPSTREAM_UNAVAILABLE "Models data unavailable"', async () => {
    const down = await startStack({ env: { UPSTREAM_MAX_RETRIES: '0' } });
    try {
      down.sim.addFault({ route: 'models', status: 500, times: Infinity });
      const res = await fetch(`${down.url}/catalog/models?gateway=together`);
      expect(res.status).toBe(503);
      expect((await jsonOf(res)).error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', message: 'Models data unavailable', type: 'api_error' });
    } finally {
      await down.close();
    }
  });
});
