import type { ChatProvider } from '../domain.ts';
import { badInput } from '../core/errors.ts';
import type { Catalog } from './catalog.ts';

export interface Gateway {
  provider: ChatProvider;
  catalog: Catalog;
}

/** The gateways (providers) this deployment serves, by the name clients use. Today: `together`. */
export class GatewayRegistry {
  private readonly byName = new Map<string, Gateway>();

  constructor(gateways: Gateway[]) {
    for (const g of gateways) this.byName.set(g.provider.name.toLowerCase(), g);
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  all(): Gateway[] {
    return [...this.byName.values()];
  }

  /** Unknown names are the caller's mistake: BAD_USER_INPUT naming the ones that exist. */
  get(name: string | null | undefined, field = 'gateway'): Gateway {
    const gateway = this.byName.get((name ?? '').trim().toLowerCase());
    if (!gateway) throw badInput(`Unknown ${field} "${name}". Known: ${this.names.join(', ')}`, field);
    return gateway;
  }
}
