import { type Request, type Response, Router } from 'express';
import type { CatalogModel, ModelType } from '../domain.ts';
import { GatewayError, badInput } from '../core/errors.ts';
import type { Services } from '../services.ts';
import type { TimeRange } from '../usage/stats-types.ts';
import { gatewayStats } from '../usage/stats.ts';

/**
 * The seed's own routes, same paths: `/catalog/models`, `/catalog/model/{id}`, `/catalog/gateway/{g}/stats`.
 * Bodies are the GraphQL fields' data with the same names (`models`, `model`, `gatewayStats`), from the same
 * domain calls.
 */

const MODEL_TYPES = new Set<ModelType>(['CHAT', 'LANGUAGE', 'CODE', 'IMAGE', 'VIDEO', 'AUDIO', 'TRANSCRIBE', 'EMBEDDING', 'MODERATION', 'RERANK', 'OTHER']);
const TIME_RANGES: Record<string, TimeRange> = { '1h': 'LAST_1H', '24h': 'LAST_24H', '7d': 'LAST_7D', '30d': 'LAST_30D', all: 'ALL' };

/** A query parameter as one string (the first when repeated); undefined when absent or empty. */
function param(req: Request, name: string): string | undefined {
  const raw: unknown = req.query[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A model as GraphQL's `Model` type serialises it. */
export function toModelJson(m: CatalogModel): Record<string, unknown> {
  return {
    id: m.id,
    name: m.name,
    gateway: m.gateway,
    organization: m.organization,
    type: m.type,
    contextLength: m.contextLength,
    license: m.license,
    link: m.link,
    createdAt: m.created ? new Date(m.created * 1000).toISOString() : null,
    pricing: m.pricing && {
      inputPerMillion: m.pricing.inputPerMillion,
      outputPerMillion: m.pricing.outputPerMillion,
      inputPerToken: m.pricing.inputPerToken,
      outputPerToken: m.pricing.outputPerToken,
      cachedInputPerMillion: m.pricing.cachedInputPerMillion,
      hourly: m.pricing.hourly,
      perImage: m.pricing.perImage,
      perMegapixel: m.pricing.perMegapixel,
      source: m.pricing.source,
    },
  };
}

function modelType(req: Request): ModelType | undefined {
  const raw = param(req, 'type');
  if (raw === undefined) return undefined;
  const type = raw.toUpperCase() as ModelType;
  if (!MODEL_TYPES.has(type)) throw badInput(`Unknown type "${raw}". Known: ${[...MODEL_TYPES].map((t) => t.toLowerCase()).join(', ')}`, 'type');
  return type;
}

function timeRange(req: Request): TimeRange {
  const raw = param(req, 'time_range') ?? '24h';
  const range = TIME_RANGES[raw.toLowerCase()];
  if (!range) throw badInput(`time_range must be one of ${Object.keys(TIME_RANGES).join(', ')} (got "${raw}")`, 'time_range');
  return range;
}

export function catalogRouter(services: Services): Router {
  const router = Router();

  // Public, like the GraphQL `models` field; `gateway` defaults to together, unknown ones are 400.
  router.get('/models', async (req: Request, res: Response) => {
    const gateway = services.gateways.get(param(req, 'gateway') ?? 'together');
    const models = await gateway.catalog.list({ type: modelType(req), search: param(req, 'search') });
    res.json({ gateway: gateway.provider.name, count: models.length, data: models.map(toModelJson) });
  });

  // Ids contain `/`: `/catalog/model/meta-llama/Llama-3.3-70B-Instruct-Turbo`.
  router.get('/model/*id', async (req: Request, res: Response) => {
    const gateway = services.gateways.get(param(req, 'gateway') ?? 'together');
    const id = ([] as string[]).concat(req.params.id ?? []).join('/');
    const model = await gateway.catalog.get(id);
    if (!model) throw new GatewayError('MODEL_NOT_FOUND', `Model "${id}" is not in the ${gateway.provider.name} catalog`, { details: { model: id } });
    res.json(toModelJson(model));
  });

  // Needs a key, like `gatewayStats`: admins see every key's usage, others their own.
  router.get('/gateway/:gateway/stats', async (req: Request, res: Response) => {
    const key = await services.keys.authenticate(req.headers.authorization);
    const range = timeRange(req);
    const stats = await gatewayStats(services, key, String(req.params.gateway), range);
    // The GraphQL field's data: series starts as ISO times, kinds as the CallKind enum's names.
    res.json({
      ...stats,
      byKind: stats.byKind.map((k) => ({ ...k, kind: k.kind.toUpperCase() })),
      series: stats.series.map(({ bucketStart, ...point }) => ({ start: new Date(bucketStart).toISOString(), ...point })),
    });
  });

  return router;
}
