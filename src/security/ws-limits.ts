import type { IncomingMessage } from 'node:http';
import { type DocumentNode, type ExecutionArgs, type GraphQLError, type GraphQLSchema, parse, specifiedRules, validate } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../core/logger.ts';
import type { SecurityConfig } from '../core/config.ts';
import { GatewayError } from '../core/errors.ts';
import type { OriginPolicy } from './cors.ts';
import { documentLimitRules, documentParseOptions, hideSuggestions, noIntrospectionRule, parseFailure } from './armor.ts';

type VerifyClient = (info: { origin: string; secure: boolean; req: IncomingMessage }, callback: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => void;

/** What the guard keeps on each graphql-ws connection (`ctx.extra`). */
export type GuardedExtra = {
  /** Aborted when the socket closes: cancels queries and mutations sent over it (subscriptions end on their own). */
  connectionAbort?: AbortController;
};

const VALIDATED_DOCUMENTS_MAX = 1000;

const refusal = (code: 'RATE_LIMITED' | 'FORBIDDEN', message: string): string =>
  JSON.stringify({ error: { message, type: code === 'RATE_LIMITED' ? 'rate_limit_error' : 'forbidden', code } });

/**
 * graphql-ws hardening, all per the `WS_*` and document limits:
 * - upgrades: at most `WS_MAX_CONNECTIONS` sockets at once (429 + Retry-After past it) and the CORS origin
 *   policy (403 for a browser page on an origin not allowed);
 * - messages: at most `MAX_BODY_BYTES` (ws closes the socket with 1009 past it);
 * - `connection_init` within `WS_CONNECTION_INIT_TIMEOUT_MS` or the socket is closed (4408);
 * - at most `WS_MAX_SUBSCRIPTIONS_PER_CONNECTION` operations in progress per socket: one more is refused with
 *   RATE_LIMITED (the socket and its other streams live on);
 * - every operation is parsed with the token limit and validated with the same rules as HTTP (depth, aliases,
 *   directives, cost, and introspection when it is off). graphql-ws's own parse would close the whole socket
 *   (4500) on a syntax error; here it is an `error` message for that operation only.
 */
export class WsGuard {
  private open = 0;
  private readonly rules;
  readonly connectionInitWaitTimeout: number;

  constructor(
    private readonly limits: SecurityConfig,
    private readonly origins: OriginPolicy,
    private readonly schema: GraphQLSchema,
    private readonly introspection: boolean,
  ) {
    this.connectionInitWaitTimeout = limits.wsConnectionInitTimeoutMs;
    this.rules = [...specifiedRules, ...documentLimitRules(limits), ...(introspection ? [] : [noIntrospectionRule])];
  }

  get connections(): number {
    return this.open;
  }

  /** Options for `new WebSocketServer(...)`. */
  serverOptions(): { maxPayload: number; verifyClient: VerifyClient } {
    return {
      maxPayload: this.limits.maxBodyBytes,
      verifyClient: (info, callback) => {
        if (!this.origins.allowsUpgrade(info.req)) {
          callback(false, 403, refusal('FORBIDDEN', 'Origin not allowed'), { 'Content-Type': 'application/json' });
          return;
        }
        if (this.open >= this.limits.wsMaxConnections) {
          const message = `Too many websocket connections (at most ${this.limits.wsMaxConnections}); retry later`;
          callback(false, 429, refusal('RATE_LIMITED', message), { 'Content-Type': 'application/json', 'Retry-After': '5' });
          return;
        }
        callback(true);
      },
    };
  }

  /** Counts open sockets; call once with the server built from serverOptions(), before graphql-ws's useServer. */
  attach(wss: WebSocketServer, logger?: Logger): void {
    wss.on('connection', (socket) => {
      this.open++;
      socket.once('close', () => this.open--);
      quietProtocolErrors(socket, logger);
    });
  }

  /** The per-connection abort signal for an operation's context. */
  signalOf(ctx: Context<Record<string, unknown> | undefined, GuardedExtra>): AbortSignal {
    ctx.extra.connectionAbort ??= new AbortController();
    return ctx.extra.connectionAbort.signal;
  }

  readonly onClose = (ctx: Context<Record<string, unknown> | undefined, GuardedExtra>): void => {
    ctx.extra.connectionAbort?.abort();
  };

  readonly onSubscribe = (
    ctx: Context<Record<string, unknown> | undefined, GuardedExtra>,
    _id: string,
    payload: SubscribePayload,
  ): ExecutionArgs | readonly GraphQLError[] => {
    // graphql-ws has registered this operation already: the count includes it.
    const inProgress = Object.keys(ctx.subscriptions).length;
    if (inProgress > this.limits.wsMaxSubscriptionsPerConnection) {
      return [
        new GatewayError(
          'RATE_LIMITED',
          `At most ${this.limits.wsMaxSubscriptionsPerConnection} operations may run at once on one websocket connection`,
          { retryAfterSeconds: 1, details: { limit: 'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', max: this.limits.wsMaxSubscriptionsPerConnection } },
        ),
      ];
    }
    let document = this.validated.get(payload.query);
    if (!document) {
      try {
        document = parse(payload.query, documentParseOptions(this.limits));
      } catch (err) {
        return [parseFailure(err)];
      }
      const errors = validate(this.schema, document, this.rules);
      if (errors.length > 0) {
        if (!this.introspection) for (const e of errors) e.message = hideSuggestions(e.message);
        return errors;
      }
      this.remember(payload.query, document);
    }
    return { schema: this.schema, document, operationName: payload.operationName, variableValues: payload.variables };
  };

  /**
   * Documents that passed parse and every validation rule, by their text: a client subscribes with the same
   * few documents again and again, and validation (cost and depth analysis included) was most of a stream's
   * start-up CPU. Apollo Server keeps the same kind of cache for HTTP. Bounded, oldest out first, so a flood
   * of distinct documents costs their parse and validation and nothing more.
   */
  private readonly validated = new Map<string, DocumentNode>();

  private remember(query: string, document: DocumentNode): void {
    if (this.validated.size >= VALIDATED_DOCUMENTS_MAX) this.validated.delete(this.validated.keys().next().value!);
    this.validated.set(query, document);
  }
}

/**
 * A client breaking the websocket protocol (a message over `maxPayload`, a bad frame, invalid UTF-8) makes ws
 * close that socket with the matching status (1009, 1002, 1007) and then emit 'error', which graphql-ws prints
 * with console.error as an "internal error". It is the client's fault, and a hostile client could fill stderr
 * with it: such errors are logged once at debug level instead. Any other socket error still reaches graphql-ws.
 */
function quietProtocolErrors(socket: WebSocket, logger?: Logger): void {
  const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
  socket.emit = ((event: string | symbol, ...args: unknown[]) => {
    const err = args[0] as { code?: unknown; message?: unknown } | undefined;
    if (event === 'error' && typeof err?.code === 'string' && err.code.startsWith('WS_ERR_')) {
      logger?.debug({ code: err.code, reason: err.message }, 'websocket closed: client broke the protocol');
      return true;
    }
    return emit(event, ...args);
  }) as typeof socket.emit;
}
