import type { ApolloServerPlugin } from '@apollo/server';
import { RepeatedLog, repeatedLogOf } from '../core/log-repeats.ts';
import type { GraphQLFormattedError } from 'graphql';
import type { Logger } from 'pino';
import { scrubSecrets } from '../core/secrets.ts';
import { CancelledError, type GatewayError, findGatewayError } from '../core/errors.ts';
import { isTokenLimitMessage, limitError } from '../security/armor.ts';

/** Codes that graphql-js / Apollo attach to malformed operations: the caller's mistake, safe to show. */
const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * One error policy for HTTP and websockets: our GatewayErrors and GraphQL's own client errors go out as they
 * are; anything else is a bug, logged with the request id and shown as INTERNAL_SERVER_ERROR without detail.
 */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown, logger: Logger, requestId?: string): GraphQLFormattedError {
  const out = formatForClient(formatted, error, logger, requestId);
  // Messages may quote Together or the caller: never let a credential through (the one scrubber, core/secrets.ts).
  return { ...out, message: scrubSecrets(out.message) };
}

/**
 * graphql-js's messages for variable values that fail coercion (execute's getVariableValues). Validation errors
 * about variables ("is never used", "is not defined", "used in position expecting") are not among them.
 */
const VARIABLE_COERCION = /^Variable "\$[^"]+" (got invalid value|of required type "[^"]+" was not provided|of non-null type "[^"]+" must not be null)/;
const isVariableCoercionError = (message: string): boolean => VARIABLE_COERCION.test(message);

/** The client went away (HTTP hang-up, socket closed): not a failure of ours, and nobody reads the answer. */
export function isCancellation(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof CancelledError) return true;
    current = (current as { originalError?: unknown; cause?: unknown }).originalError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

function formatForClient(formatted: GraphQLFormattedError, error: unknown, logger: Logger, requestId?: string): GraphQLFormattedError {
  if (isCancellation(error)) {
    // The call's row says CANCELLED and its summary line is at info; this is only the GraphQL side of it.
    logger.debug({ requestId, path: formatted.path }, 'operation cancelled by the client');
    return { message: 'The client cancelled the request', path: formatted.path, extensions: { code: 'CANCELLED' } };
  }
  const gatewayError = findGatewayError(error);
  if (gatewayError) {
    return { message: gatewayError.message, locations: formatted.locations, path: formatted.path, extensions: gatewayErrorExtensions(gatewayError) };
  }
  const code = formatted.extensions?.code;
  if (code === 'GRAPHQL_PARSE_FAILED' && isTokenLimitMessage(formatted.message)) {
    // graphql-js's maxTokens parse option aborts with a syntax error; to clients it is a document limit.
    const limited = limitError(formatted.message, 'maxTokens');
    return { message: limited.message, extensions: { ...limited.extensions } };
  }
  if (typeof code === 'string' && CLIENT_CODES.has(code)) {
    const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  if (code === undefined && !formatted.path && isVariableCoercionError(formatted.message)) {
    // Variables that do not fit their types (over graphql-ws and the HTTP stream transports, which run graphql-js
    // directly; Apollo tags the same errors BAD_USER_INPUT over HTTP): the caller's input, not our bug.
    return { message: formatted.message, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT' } };
  }
  if (code === undefined && !(error as { originalError?: unknown })?.originalError && formatted.locations && !formatted.path) {
    // graphql-js validation errors without a code (e.g. over graphql-ws, where Apollo does not tag them).
    return { ...formatted, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
  }
  const original = (error as { originalError?: unknown })?.originalError ?? error;
  // One line per cause per interval: a dead store fails every request the same way (issue 16.8).
  repeatedLogOf(logger).error(logger, RepeatedLog.causeOf(original), { err: original, requestId, path: formatted.path }, 'unexpected error in an operation');
  return {
    message: `Internal server error (request id ${requestId ?? 'unknown'})`,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', requestId },
  };
}

/** The GraphQL face of a GatewayError: `extensions.code`, its details beside it, and `retryAfterSeconds` when set. */
export function gatewayErrorExtensions(e: GatewayError): Record<string, unknown> {
  const extensions: Record<string, unknown> = { code: e.code, ...e.details };
  if (e.retryAfterSeconds !== undefined) extensions.retryAfterSeconds = e.retryAfterSeconds;
  return extensions;
}

const requestIds = new WeakMap<object, string>();

/**
 * Apollo's formatError sees no context: this plugin remembers each error's request id so that an internal
 * error's message and log line carry the same id (the id a client reports is the one in the logs).
 */
export const rememberRequestIds: ApolloServerPlugin<{ requestId: string }> = {
  async requestDidStart({ contextValue }) {
    return {
      async didEncounterErrors({ errors }) {
        for (const error of errors) requestIds.set(error, contextValue.requestId);
      },
    };
  },
};

export const requestIdOf = (error: unknown): string | undefined => (error && typeof error === 'object' ? requestIds.get(error) : undefined);
