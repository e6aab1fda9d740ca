import type { IncomingMessage } from 'node:http';
import { type ExecutionArgs, GraphQLError, type GraphQLSchema, parse, specifiedRules, validate } from 'graphql';
import type { Context, SubscribePayload } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../core/logger.ts';
import type { SecurityConfig } from '../core/config.ts';
import { Cancellation, type CancelSignal } from '../core/cancellation.ts';
import { GatewayError } from '../core/errors.ts';
import type { OriginPolicy } from './cors.ts';
import { documentLimitRules, documentParseOptions, hideSuggestions, noIntrospectionRule, parseFailure } from './armor.ts';
import { ValidatedDocuments } from './ws-documents.ts';

type VerifyClient = (info: { origin: string; secure: boolean; req: IncomingMessage }, callback: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => void;

/** What the guard keeps on each graphql-ws connection (`ctx.extra`). */
export type GuardedExtra = {
  /**
   * Aborted when the socket closes: cancels queries and mutations sent over it (subscriptions end on their own).
   * Shared by every operation on the socket, each listening until its call ends.
   */
  connectionAbort?: Cancellation;
  /** `connection_init` carried a valid gateway key. */
  keyed?: boolean;
  /** Keyless sockets: when the last operation started or ended, for the idle timer. */
  lastActivity?: number;
};

/** How long a new socket may stay silent before it can be closed to make room for another (see evictable()). */
const PENDING_INIT_GRACE_MS = 1000;

type GuardedContext = Context<Record<string, unknown> | undefined, GuardedExtra & { socket?: WebSocket }>;

/** Whether an `authorization` connection parameter is a valid gateway key (src/auth, injected by the server). */
export type KeyCheck = (authorization: unknown) => Promise<boolean>;

const refusal = (code: 'RATE_LIMITED' | 'FORBIDDEN', message: string): string =>
  JSON.stringify({ error: { message, type: code === 'RATE_LIMITED' ? 'rate_limit_error' : 'forbidden', code } });

/**
 * graphql-ws hardening, all per the `WS_*` and document limits:
 * - upgrades: at most `WS_MAX_CONNECTIONS` sockets at once (429 + Retry-After past it) and the CORS origin
 *   policy (403 for a browser page on an origin not allowed);
 * - messages: at most `MAX_BODY_BYTES` (ws closes the socket with 1009 past it);
 * - `connection_init` within `WS_CONNECTION_INIT_TIMEOUT_MS` or the socket is closed (4408);
 * - sockets without a valid key (not yet initialised, or initialised without one) are at most
 *   `WS_MAX_KEYLESS_CONNECTIONS`: a new socket past that, or past `WS_MAX_CONNECTIONS`, closes the oldest of
 *   them (1013, "try again later"; one still silent 1 s after opening, or initialised without a key) instead
 *   of being refused, so keyless sockets can never lock keyed users out; and a keyless socket with no
 *   operation running for `WS_KEYLESS_IDLE_MS` is closed (4408);
 * - at most `WS_MAX_SUBSCRIPTIONS_PER_CONNECTION` operations in progress per socket: one more is refused with
 *   RATE_LIMITED (the socket and its other streams live on);
 * - every operation is parsed with the token limit and validated with the same rules as HTTP (depth, aliases,
 *   directives, cost, and introspection when it is off). graphql-ws's own parse would close the whole socket
 *   (4500) on a syntax error; here it is an `error` message for that operation only.
 */
export class WsGuard {
  /** Sockets counted as open: closed ones leave at once, even while their close handshake runs. */
  private readonly counted = new Set<WebSocket>();
  /** Counted sockets without a valid key, oldest first (a Map keeps insertion order), and when they opened. */
  private readonly keyless = new Map<WebSocket, { openedAt: number; initialised: boolean }>();
  private readonly rules;
  private readonly validated: ValidatedDocuments;
  readonly connectionInitWaitTimeout: number;

  constructor(
    private readonly limits: SecurityConfig,
    private readonly origins: OriginPolicy,
    private readonly schema: GraphQLSchema,
    private readonly introspection: boolean,
    private readonly isValidKey: KeyCheck = async () => false,
  ) {
    this.connectionInitWaitTimeout = limits.wsConnectionInitTimeoutMs;
    this.rules = [...specifiedRules, ...documentLimitRules(limits), ...(introspection ? [] : [noIntrospectionRule])];
    this.validated = new ValidatedDocuments(limits.wsDocumentCacheBytes);
  }

  get connections(): number {
    return this.counted.size;
  }

  get keyedConnections(): number {
    return this.counted.size - this.keyless.size;
  }

  get keylessConnections(): number {
    return this.keyless.size;
  }

  /** Estimated heap held by the validated-document cache, in bytes. */
  get documentCacheBytes(): number {
    return this.validated.heldBytes;
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
        // Make room by closing the oldest keyless socket; only keyed sockets can fill the server.
        if (this.keyless.size >= this.limits.wsMaxKeylessConnections || this.counted.size >= this.limits.wsMaxConnections) {
          const oldest = this.evictable();
          if (oldest) this.release(oldest, 1013, 'Too many connections without a gateway key; try again later');
        }
        if (this.counted.size >= this.limits.wsMaxConnections) {
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
      this.counted.add(socket);
      this.keyless.set(socket, { openedAt: Date.now(), initialised: false });
      socket.once('close', () => {
        this.counted.delete(socket);
        this.keyless.delete(socket);
      });
      quietProtocolErrors(socket, logger);
    });
  }

  /**
   * The oldest keyless socket that may be closed to make room: one initialised without a valid key, or one
   * still silent PENDING_INIT_GRACE_MS after it opened. A socket that has just opened is a client between its
   * upgrade and its `connection_init` (a few milliseconds for an honest one): closing it would let a burst of
   * keyed clients connecting at once close each other.
   */
  private evictable(): WebSocket | undefined {
    const now = Date.now();
    for (const [socket, state] of this.keyless) if (state.initialised || now - state.openedAt >= PENDING_INIT_GRACE_MS) return socket;
    return undefined;
  }

  /** Stops counting a socket and closes it (its close handshake may take a while: the count drops now). */
  private release(socket: WebSocket, code: number, reason: string): void {
    this.counted.delete(socket);
    this.keyless.delete(socket);
    socket.close(code, reason);
  }

  /**
   * graphql-ws `onConnect`: a socket whose `connection_init` carries a valid key leaves the keyless pool; any
   * other is acknowledged (catalog queries need no key) and watched by the idle timer.
   */
  readonly onConnect = async (ctx: GuardedContext): Promise<boolean> => {
    const socket = ctx.extra.socket;
    const authorization = ctx.connectionParams?.authorization;
    let keyed = false;
    if (authorization !== undefined && authorization !== null && authorization !== '') {
      keyed = await this.isValidKey(authorization).catch(() => false);
    }
    if (!socket) return true;
    if (keyed) {
      ctx.extra.keyed = true;
      this.keyless.delete(socket);
      return true;
    }
    const state = this.keyless.get(socket);
    if (state) state.initialised = true;
    ctx.extra.lastActivity = Date.now();
    this.watchIdle(ctx, socket);
    return true;
  };

  /** Closes a keyless socket once it has run no operation for `WS_KEYLESS_IDLE_MS`. */
  private watchIdle(ctx: GuardedContext, socket: WebSocket): void {
    const idleMs = this.limits.wsKeylessIdleMs;
    const check = (): void => {
      if (socket.readyState !== socket.OPEN) return;
      const idleFor = Date.now() - (ctx.extra.lastActivity ?? 0);
      if (Object.keys(ctx.subscriptions).length === 0 && idleFor >= idleMs) {
        this.release(socket, 4408, 'Idle without a gateway key');
        return;
      }
      timer = setTimeout(check, Math.max(idleMs - idleFor, 50));
      timer.unref();
    };
    let timer = setTimeout(check, idleMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  /** graphql-ws `onComplete` (and after an operation's error): a keyless socket's idle time starts again. */
  readonly onOperationEnd = (ctx: GuardedContext): void => {
    if (!ctx.extra.keyed) ctx.extra.lastActivity = Date.now();
  };

  /** The per-connection abort signal for an operation's context. */
  // A Cancellation, not an AbortController: an EventTarget warns of a leak past 10 listeners, and a socket may carry
  // WS_MAX_SUBSCRIPTIONS_PER_CONNECTION (20) operations, each listening until its call ends.
  signalOf(ctx: Context<Record<string, unknown> | undefined, GuardedExtra>): CancelSignal {
    ctx.extra.connectionAbort ??= new Cancellation();
    return ctx.extra.connectionAbort;
  }

  readonly onClose = (ctx: Context<Record<string, unknown> | undefined, GuardedExtra>): void => {
    ctx.extra.connectionAbort?.abort();
  };

  readonly onSubscribe = (ctx: GuardedContext, _id: string, payload: SubscribePayload): ExecutionArgs | readonly GraphQLError[] => {
    if (!ctx.extra.keyed) ctx.extra.lastActivity = Date.now();
    // graphql-ws has registered this operation already: the count includes it.
    const inProgress = Object.keys(ctx.subscriptions).length;
    if (inProgress > this.limits.wsMaxSubscriptionsPerConnection) {
      const refusal = new GatewayError(
        'RATE_LIMITED',
        `At most ${this.limits.wsMaxSubscriptionsPerConnection} operations may run at once on one websocket connection`,
        { retryAfterSeconds: 1, details: { limit: 'WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', max: this.limits.wsMaxSubscriptionsPerConnection } },
      );
      // graphql-ws wants GraphQLErrors here; the error formatter maps the GatewayError inside to its extensions.
      return [new GraphQLError(refusal.message, { originalError: refusal })];
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
      this.validated.remember(payload.query, document, ctx.extra.keyed === true);
    }
    return { schema: this.schema, document, operationName: payload.operationName, variableValues: payload.variables };
  };
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
