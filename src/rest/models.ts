import { type Request, type Response, Router } from 'express';
import type { CatalogModel } from '../domain.ts';
import { GatewayError } from '../core/errors.ts';
import type { Services } from '../services.ts';

/**
 * `GET /v1/models` in OpenAI's list shape, so SDKs and tools that list models first (LangChain, IDE plugins)
 * work as-is; `id`/`object`/`created`/`owned_by` are OpenAI's, the rest are the catalog's normalised fields.
 */
export function toOpenAIModel(m: CatalogModel): Record<string, unknown> {
  return {
    id: m.id,
    object: 'model',
    // OpenAI's field is a required number: 0 when Together gave none (the catalog keeps it null).
    created: m.created ?? 0,
    owned_by: m.organization ?? m.gateway,
    name: m.name,
    gateway: m.gateway,
    type: m.type.toLowerCase(),
    context_length: m.contextLength,
    license: m.license,
    link: m.link,
    pricing: m.pricing && {
      input_per_million: m.pricing.inputPerMillion,
      output_per_million: m.pricing.outputPerMillion,
      input_per_token: m.pricing.inputPerToken,
      output_per_token: m.pricing.outputPerToken,
      cached_input_per_million: m.pricing.cachedInputPerMillion,
      hourly: m.pricing.hourly,
      per_image: m.pricing.perImage,
      per_megapixel: m.pricing.perMegapixel,
      source: m.pricing.source.toLowerCase(),
    },
  };
}

/** The catalog model behind an id in any gateway (exact, then case-insensitive), as the chat auto-detection finds it. */
async function findModel(services: Services, id: string): Promise<CatalogModel | null> {
  for (const gateway of services.gateways.all()) {
    const model = await gateway.catalog.get(id);
    if (model) return model;
  }
  return null;
}

export function modelsRouter(services: Services): Router {
  const router = Router();
  router.get('/models', async (_req: Request, res: Response) => {
    const lists = await Promise.all(services.gateways.all().map((g) => g.catalog.list()));
    res.json({ object: 'list', data: lists.flat().map(toOpenAIModel) });
  });
  // Ids contain `/` (and the openai SDK sends them %2F-encoded): a wildcard takes both.
  router.get('/models/*id', async (req: Request, res: Response) => {
    const id = ([] as string[]).concat(req.params.id ?? []).join('/');
    const model = await findModel(services, id);
    if (!model) throw new GatewayError('MODEL_NOT_FOUND', `Model "${id}" is not in the catalog`, { details: { model: id } });
    res.json(toOpenAIModel(model));
  });
  return router;
}
