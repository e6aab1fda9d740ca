import type { Logger } from 'pino';
import type { ActivityEntry, ActivityRecorder } from '../usage/activity.ts';

/**
 * One summary line per upstream attempt (from its activity row), its kind as the message (`chat`, `embedding`, …):
 * what an operator greps for. With tracing on it carries the attempt's `trace_id` and `span_id`.
 */
export function callSummaryLogger(logger: Logger): ActivityRecorder {
  return {
    record(e: ActivityEntry) {
      const outcome = e.cancelled ? 'cancelled' : (e.errorCode ?? 'ok');
      logger[e.errorCode ? 'warn' : 'info'](
        {
          // OpenTelemetry's log correlation names (absent while tracing is off): the line opens its span.
          ...(e.traceId ? { trace_id: e.traceId, span_id: e.spanId } : undefined),
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
