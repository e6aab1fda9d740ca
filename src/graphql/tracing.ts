import type { ApolloServerPlugin } from '@apollo/server';
import type { Context, Span } from '@opentelemetry/api';
import type { GraphQLError } from 'graphql';
import { findGatewayError } from '../core/errors.ts';
import { extractTraceContext, failSpan, startOperationSpan, tracingEnabled } from '../observability/tracing.ts';
import type { GatewayContext } from './context.ts';

/** Our code for an error, else GraphQL's own (`GRAPHQL_VALIDATION_FAILED`…), else INTERNAL_SERVER_ERROR. */
const codeOf = (e: GraphQLError | { extensions?: Record<string, unknown> }): string =>
  findGatewayError(e)?.code ?? (typeof e.extensions?.code === 'string' ? e.extensions.code : 'INTERNAL_SERVER_ERROR');

/**
 * A span per GraphQL operation over HTTP (`mutation ChatOnce`, child of the HTTP request's span). Its context
 * replaces `contextValue.traceContext` before execution, so the model calls the resolvers make are its children.
 * Costs one boolean test per request while tracing is off.
 */
export function tracingPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      if (!tracingEnabled()) return;
      let span: Span | undefined;
      return {
        async didResolveOperation({ operation, operationName }) {
          const op = startOperationSpan(contextValue.traceContext, operation?.operation ?? 'query', operationName);
          if (!op) return;
          span = op.span;
          contextValue.traceContext = op.context;
        },
        async willSendResponse({ errors }) {
          if (!span) return;
          if (errors?.length) failSpan(span, codeOf(errors[0]!));
          else span.end();
        },
      };
    },
  };
}

interface WsTraceState {
  operationSpans?: Map<string, Span>;
}

/**
 * The same over graphql-ws. The caller's trace context comes from the subscribe message's `extensions`
 * (`traceparent`, `tracestate`) or, for the whole socket, from `connectionParams`.
 */
export const wsTracing = {
  begin(extra: WsTraceState, id: string, connectionParams: Record<string, unknown> | null | undefined, extensions: Record<string, unknown> | undefined, type: string, name: string | null | undefined): Context | undefined {
    if (!tracingEnabled()) return undefined;
    const parent = extensions?.traceparent ? extractTraceContext(extensions) : extractTraceContext(connectionParams);
    const op = startOperationSpan(parent, type, name);
    if (!op) return undefined;
    (extra.operationSpans ??= new Map()).set(id, op.span);
    return op.context;
  },
  fail(extra: WsTraceState, id: string, errors: readonly GraphQLError[]): void {
    const span = extra.operationSpans?.get(id);
    if (!span) return;
    extra.operationSpans!.delete(id);
    failSpan(span, errors[0] ? codeOf(errors[0]) : 'INTERNAL_SERVER_ERROR');
  },
  /** The operation ended: completed by either side, or its socket closed. */
  end(extra: WsTraceState, id?: string): void {
    const spans = extra.operationSpans;
    if (!spans) return;
    for (const [key, span] of spans) {
      if (id !== undefined && key !== id) continue;
      spans.delete(key);
      span.end();
    }
  },
};
