import type { GatewayRegistry } from '../catalog/registry.ts';
import { GatewayError } from '../core/errors.ts';
import type { Candidate } from './call.ts';

/**
 * Routing shared by every kind of call (chat, embeddings, rerank, images): which gateway serves a model id, and
 * the catalog entry (price, type, context) that comes with it.
 */

/**
 * A model id → its candidate. A named provider passes the model through (the catalog may lag behind Together's
 * new models; its price is still used when the catalog knows it). Without one, the first gateway whose catalog
 * lists it; none → a candidate that is `unavailable` (MODEL_NOT_FOUND, recorded as a tried model without an
 * upstream call).
 */
export async function findCandidate(gateways: GatewayRegistry, requested: string, provider: string | null | undefined): Promise<Candidate> {
  if (provider !== null && provider !== undefined) {
    const gateway = gateways.get(provider, 'provider');
    const model = await gateway.catalog.get(requested).catch(() => null);
    return { gateway, model: model?.id ?? requested, catalogModel: model };
  }
  for (const gateway of gateways.all()) {
    const model = await gateway.catalog.get(requested);
    if (model) return { gateway, model: model.id, catalogModel: model };
  }
  const unavailable = new GatewayError('MODEL_NOT_FOUND', `Model "${requested}" is not in the catalog of ${gateways.names.join(', ')}`, {
    details: { model: requested },
  });
  return { gateway: gateways.all()[0]!, model: requested, catalogModel: null, unavailable };
}

/** The gateway a refusal row names when a call fails before routing: the named one, else the first. */
export function refusalGateway(gateways: GatewayRegistry, provider: unknown): string {
  const named = String(provider ?? '').toLowerCase();
  const gateway = gateways.all().find((g) => g.provider.name === named) ?? gateways.all()[0];
  return gateway?.provider.name ?? String(provider ?? '');
}
