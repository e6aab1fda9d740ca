import {
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  type OperationTypeNode,
  type ValidationRule,
  execute,
  getOperationAST,
  parse,
  specifiedRules,
  subscribe,
  validate,
} from 'graphql';
import type { SecurityConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import { documentLimitRules, documentParseOptions, hideSuggestions, noIntrospectionRule, parseFailure } from '../../security/armor.ts';
import type { GatewayContext } from '../context.ts';
import { formatGraphQLError } from '../errors.ts';

/** The GraphQL-over-HTTP request parameters, from a JSON body or a GET's query string. */
export interface OperationParams {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

export interface PreparedOperation {
  document: DocumentNode;
  kind: OperationTypeNode;
}

/** A client error with the HTTP status to answer before any stream starts (Apollo's `extensions.http` idiom). */
export const requestError = (message: string, status = 400, code = 'BAD_REQUEST'): GraphQLError =>
  new GraphQLError(message, { extensions: { code, http: { status } } });

/** What every streaming transport says when it is asked for something it cannot stream. */
export const STREAMING_TRANSPORTS =
  'graphql-ws on ws://…/graphql, GraphQL over SSE (POST /graphql with `Accept: text/event-stream`), multipart HTTP ' +
  '(`Accept: multipart/mixed;subscriptionSpec="1.0"`) or Apollo Router callbacks (`extensions.subscription.callbackUrl`)';

/**
 * The operations of the HTTP streaming transports (GraphQL over SSE, multipart HTTP subscriptions, router
 * callbacks), which graphql-js runs directly rather than through Apollo Server: Apollo runs a subscription
 * as a query. Everything a client can notice is the same as on the other transports: the document limits and
 * introspection rule (src/security/armor.ts, as HTTP and graphql-ws apply them), the same resolvers (so the
 * same auth, rpm, budgets, activity rows and upstream abort, all owned by the subscription resolver), and the
 * one error formatter (src/graphql/errors.ts).
 */
export class StreamOperations {
  private readonly rules: ValidationRule[];

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly limits: SecurityConfig,
    private readonly introspection: boolean,
    private readonly logger: Logger,
  ) {
    this.rules = [...specifiedRules, ...documentLimitRules(limits), ...(introspection ? [] : [noIntrospectionRule])];
  }

  /** The parameters in a parsed JSON body, or the request error that says what is wrong with it. */
  paramsFrom(body: unknown): OperationParams | GraphQLError {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return requestError('The request body must be a JSON object (batched requests are not supported)');
    const { query, variables, operationName, extensions } = body as Record<string, unknown>;
    if (typeof query !== 'string' || query.trim() === '') return requestError('`query` must be a non-empty string');
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return requestError('`variables` must be an object');
    if (operationName != null && typeof operationName !== 'string') return requestError('`operationName` must be a string');
    if (extensions != null && (typeof extensions !== 'object' || Array.isArray(extensions))) return requestError('`extensions` must be an object');
    return {
      query,
      variables: variables as OperationParams['variables'],
      operationName: operationName as OperationParams['operationName'],
      extensions: extensions as OperationParams['extensions'],
    };
  }

  /** Parses and validates with the same limits as every other transport. */
  prepare(params: OperationParams): PreparedOperation | readonly GraphQLError[] {
    let document: DocumentNode;
    try {
      document = parse(params.query, documentParseOptions(this.limits));
    } catch (err) {
      return [parseFailure(err)];
    }
    const errors = validate(this.schema, document, this.rules);
    if (errors.length > 0) {
      if (!this.introspection) for (const e of errors) e.message = hideSuggestions(e.message);
      return errors;
    }
    const operation = getOperationAST(document, params.operationName ?? undefined);
    if (!operation) {
      return [requestError(params.operationName ? `Unknown operation named "${params.operationName}"` : 'Must provide operation name if query contains multiple operations')];
    }
    return { document, kind: operation.operation };
  }

  /**
   * Runs a prepared operation: a subscription's events, or a query's or mutation's one result, as formatted
   * results. A source stream that throws mid-way (Together cut the stream, the gateway is draining) ends with
   * one last result carrying that error, so every transport reports it with its code. `return()` goes straight
   * to the resolver's iterator, which aborts the upstream call at once.
   */
  async run(prepared: PreparedOperation, params: OperationParams, context: GatewayContext): Promise<AsyncGenerator<FormattedExecutionResult>> {
    const started = await this.start(prepared, params, context);
    return 'stream' in started ? started.stream : once(started.result);
  }

  /** As run(), telling a stream from a single result (a query's answer, or a subscription refused at once). */
  async start(
    prepared: PreparedOperation,
    params: OperationParams,
    context: GatewayContext,
  ): Promise<{ stream: AsyncGenerator<FormattedExecutionResult> } | { result: FormattedExecutionResult }> {
    const args = {
      schema: this.schema,
      document: prepared.document,
      operationName: params.operationName,
      variableValues: params.variables,
      contextValue: context,
    };
    let result: ExecutionResult | AsyncIterableIterator<ExecutionResult>;
    try {
      result = prepared.kind === 'subscription' ? await subscribe(args) : await execute(args);
    } catch (err) {
      result = { errors: [err instanceof GraphQLError ? err : new GraphQLError('Operation failed', { originalError: err as Error })] };
    }
    const format = (r: ExecutionResult): FormattedExecutionResult => this.format(r, context.requestId);
    if (!(Symbol.asyncIterator in result)) return { result: format(result) };
    return { stream: formattedStream(result, format, (err) => this.format({ errors: [toGraphQLError(err)] }, context.requestId)) };
  }

  /** An execution result as clients see it: every error through the one formatter. */
  format(result: ExecutionResult, requestId?: string): FormattedExecutionResult {
    if (!result.errors?.length) return result as FormattedExecutionResult;
    return { ...result, errors: this.formatErrors(result.errors, requestId) } as FormattedExecutionResult;
  }

  formatErrors(errors: readonly GraphQLError[], requestId?: string): FormattedExecutionResult['errors'] {
    return errors.map((e) => {
      const { http: _status, ...extensions } = e.extensions ?? {};
      return formatGraphQLError({ ...e.toJSON(), extensions }, e, this.logger, requestId);
    });
  }
}

/** The HTTP status a request error asks for (see requestError), 400 for other GraphQL errors. */
export function statusOf(errors: readonly GraphQLError[]): number {
  const status = (errors[0]?.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : 400;
}

const toGraphQLError = (err: unknown): GraphQLError =>
  err instanceof GraphQLError ? err : new GraphQLError(err instanceof Error ? err.message : String(err), { originalError: err instanceof Error ? err : undefined });

/** A one-result stream (a query's answer, a request's errors) for transports that always stream. */
export function once<T>(value: T): AsyncGenerator<T> {
  return (async function* single() {
    yield value;
  })();
}

/**
 * Maps a subscription's results without an async generator of our own: a generator would queue `return()`
 * behind a pending `next()`, and a stalled upstream would then never be aborted.
 */
function formattedStream<R, T>(source: AsyncIterator<R>, format: (r: R) => T, failure: (err: unknown) => T): AsyncGenerator<T> {
  let failed = false;
  let closed = false;
  const iterator = {
    async next(): Promise<IteratorResult<T>> {
      if (failed || closed) return { done: true, value: undefined };
      try {
        const step = await source.next();
        return step.done || closed ? { done: true, value: undefined } : { done: false, value: format(step.value) };
      } catch (err) {
        // Ended by return() (the client left): the cancellation is no error to report to anyone.
        if (closed) return { done: true, value: undefined };
        failed = true;
        return { done: false, value: failure(err) };
      }
    },
    async return(): Promise<IteratorResult<T>> {
      closed = true;
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(err?: unknown): Promise<IteratorResult<T>> {
      closed = true;
      await source.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator as unknown as AsyncGenerator<T>;
}
