import DataLoader from 'dataloader';
import type { CatalogModel } from '../domain.ts';
import { Catalog } from './catalog.ts';
import type { GatewayRegistry } from './registry.ts';

/** Any gateway: federation references carry only an id. */
export const ANY_GATEWAY = '*';

export const modelKey = (gateway: string, id: string): string => `${gateway.toLowerCase()}\u0000${id}`;

/**
 * Per-request loader of models by (gateway, id). A batch reads each gateway's catalog snapshot once, so
 * 20 aliased `model(id:)` fields or 100 federation `_entities` references cost one catalog read.
 */
export function createModelLoader(gateways: GatewayRegistry): DataLoader<string, CatalogModel | null> {
  return new DataLoader<string, CatalogModel | null>(async (keys) => {
    const snapshots = new Map<string, Awaited<ReturnType<Catalog['snapshot']>>>();
    const snapshotOf = async (name: string) => {
      let snap = snapshots.get(name);
      if (!snap) {
        snap = await gateways.get(name).catalog.snapshot();
        snapshots.set(name, snap);
      }
      return snap;
    };
    const results: Array<CatalogModel | null | Error> = [];
    for (const key of keys) {
      const [gateway = '', id = ''] = key.split('\u0000');
      try {
        if (gateway === ANY_GATEWAY) {
          let found: CatalogModel | null = null;
          for (const name of gateways.names) {
            found = Catalog.find(await snapshotOf(name), id);
            if (found) break;
          }
          results.push(found);
        } else {
          results.push(Catalog.find(await snapshotOf(gateway), id));
        }
      } catch (err) {
        results.push(err as Error);
      }
    }
    return results;
  });
}
