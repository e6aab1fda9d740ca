import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import { findGatewayError } from '../core/errors.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { GatewayContext } from './context.ts';
import { isCancellation } from './errors.ts';

/**
 * A summary line and metrics for every GraphQL operation over HTTP: name, type, duration, outcome (the first
 * error's code). Never logs variables or headers: they may carry prompts and keys.
 */
export function operationLogPlugin(logger: Logger, metrics: GatewayMetrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, operation, errors }) {
          // A cancelled operation is an outcome, not an error a client was given.
          const cancelled = (errors ?? []).some(isCancellation);
          const codes = cancelled ? [] : (errors ?? []).map((e) => findGatewayError(e)?.code ?? (e.extensions?.code as string | undefined) ?? 'INTERNAL_SERVER_ERROR');
          const outcome = cancelled ? 'cancelled' : (codes[0] ?? 'ok');
          for (const code of codes) metrics.errors.inc({ code, face: 'graphql' });
          const kind = operation?.operation ?? 'unknown';
          metrics.countOperation(kind, operationName, outcome);
          logger.info(
            { requestId: contextValue.requestId, operationName: loggedName(operationName), kind, durationMs: Math.round((performance.now() - started) * 10) / 10, outcome },
            'graphql operation',
          );
        },
      };
    },
  };
}

/** Client-chosen: a 200 KB operationName must not become a 200 KB log line (metrics labels are bounded apart). */
const MAX_LOGGED_NAME = 128;
function loggedName(name: string | null | undefined): string | null {
  if (name == null) return null;
  return name.length <= MAX_LOGGED_NAME ? name : `${name.slice(0, MAX_LOGGED_NAME)}… (${name.length} chars)`;
}
