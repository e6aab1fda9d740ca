import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import type { GatewayContext } from '../graphql/context.ts';
import { findGatewayError } from '../core/errors.ts';
import { isCancellation } from '../graphql/errors.ts';
import type { ActivityEntry, ActivityRecorder } from '../usage/activity.ts';
import type { GatewayMetrics } from './metrics.ts';

/** One summary line per model call (from its activity row), its kind as the message (`chat`, `embedding`, …). */
export function chatSummaryLogger(logger: Logger): ActivityRecorder {
  return {
    record(e: ActivityEntry) {
      const outcome = e.cancelled ? 'cancelled' : (e.errorCode ?? 'ok');
      logger[e.errorCode ? 'warn' : 'info'](
        {
          requestId: e.requestId,
          keyId: e.keyId,
          gateway: e.gateway,
          model: e.model,
          kind: e.kind,
          stream: e.stream,
          promptTokens: e.promptTokens,
          completionTokens: e.completionTokens,
          costUsd: e.costUsd,
          latencyMs: Math.round(e.latencyMs * 10) / 10,
          ttftMs: e.ttftMs === null ? null : Math.round(e.ttftMs * 10) / 10,
          finishReason: e.finishReason,
          outcome,
        },
        e.kind,
      );
    },
  };
}

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
          metrics.operations.inc({ kind, operation: operationName ?? 'anonymous', outcome });
          logger.info(
            { requestId: contextValue.requestId, operationName: operationName ?? null, kind, durationMs: Math.round((performance.now() - started) * 10) / 10, outcome },
            'graphql operation',
          );
        },
      };
    },
  };
}
