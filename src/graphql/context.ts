import type { Context as TraceContext } from '@opentelemetry/api';
import type DataLoader from 'dataloader';
import type { RequestAuth } from '../auth/request-auth.ts';
import type { CancelSignal } from '../core/cancellation.ts';
import type { CatalogModel } from '../domain.ts';
import type { Services } from '../services.ts';

/** Per-operation state: built fresh for every HTTP request and every graphql-ws subscription. */
export interface GatewayContext {
  requestId: string;
  services: Services;
  /** The caller's gateway key, looked up on first use (chat operations, stats, `me`). */
  auth: RequestAuth;
  /** Models by `gateway\u0000id`; one catalog read per batch. */
  modelLoader: DataLoader<string, CatalogModel | null>;
  /** Aborted when the client goes away (HTTP connection closed, subscription ended). */
  signal: CancelSignal;
  /** The operation's trace context (parent of its model-call spans); undefined while tracing is off. */
  traceContext?: TraceContext;
}
