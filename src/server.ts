import { randomUUID } from 'node:crypto';
import { RepeatedLog, repeatedLogOf } from './core/log-repeats.ts';
import type { GatewayStore } from './store/types.ts';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express } from 'express';
import type { Span } from '@opentelemetry/api';
import { type GraphQLError, getOperationAST } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { RequestAuth } from './auth/request-auth.ts';
import { createModelLoader } from './catalog/loaders.ts';
import type { GatewayConfig } from './core/config.ts';
import type { GatewayContext } from './graphql/context.ts';
import { formatGraphQLError, rememberRequestIds, requestIdOf as errorRequestId } from './graphql/errors.ts';
import { neverCached } from './graphql/never-cached.ts';
import { graphqlFastPath } from './graphql/http-fast-path.ts';
import { StreamOperations, httpStreamsFastPath, refuseUnstreamableSubscriptions, routerCallbacks } from './graphql/transports/index.ts';
import { HttpRequestTracker } from './core/http-drain.ts';
import { type Logger, createLogger } from './core/logger.ts';
import { registerSecrets, registerUrlPassword } from './core/secrets.ts';
import { operationLogPlugin } from './graphql/operation-log.ts';
import { httpTraceContext, traceHttpRequest } from './observability/tracing.ts';
import { tracingPlugin, wsTracing } from './graphql/tracing.ts';
import { dashboardRouter } from './dashboard/index.ts';
import { playgroundRouter } from './playground/index.ts';
import { chatFastPath } from './rest/chat.ts';
import { mountRest } from './rest/index.ts';
import { assignRequestId, requestIdMiddleware, requestIdOf } from './http/request-id.ts';
import { clientGone } from './http/client-gone.ts';
import { buildSchema } from './graphql/schema.ts';
import { documentLimitRules, documentParseOptions } from './security/armor.ts';
import { OriginPolicy } from './security/cors.ts';
import { bodyErrorHandler, jsonBody } from './security/http-limits.ts';
import { type GuardedExtra, WsGuard } from './security/ws-limits.ts';
import { GraphqlWsSocket } from './security/ws-messages.ts';
import { type ServiceOverrides, type Services, createServices } from './services.ts';

/** How long /readyz waits for the store's answer (a database that accepts and never answers is not ready). */
const READY_PING_TIMEOUT_MS = 2000;

async function pingStore(store: GatewayStore, timeoutMs: number): Promise<'ok'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([store.ping(), timeout]);
    return 'ok';
  } finally {
    clearTimeout(timer);
  }
}

/** A route served on node:http before Express (see createGateway). */
interface FastPath {
  matches(req: IncomingMessage): boolean;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

export interface GatewayOptions {
  config: GatewayConfig;
  logger?: Logger;
  overrides?: ServiceOverrides;
}

export interface Gateway {
  app: Express;
  httpServer: Server;
  services: Services;
  /** Starts listening; resolves to the base URL (e.g. http://127.0.0.1:8000). */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops accepting, drains in-flight operations, closes websockets. Idempotent. */
  close(): Promise<void>;
}

/** Builds the whole gateway (Express + Apollo + graphql-ws) without starting it: no side effects until listen(). */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  registerSecrets(config.togetherApiKey, config.gatewayAdminKey);
  registerUrlPassword(config.databaseUrl);
  registerUrlPassword(config.cacheUrl);
  const services = await createServices(config, logger, options.overrides);
  const schema = buildSchema();
  const app = express();
  app.disable('x-powered-by');
  let ready = false;
  let draining = false;
  const requests = new HttpRequestTracker();
  // Hostile-input limits (src/security/): CORS allow-list, body and message caps, document limits, ws limits.
  const origins = new OriginPolicy(config.security.corsOrigins);
  // The two hot routes (chat over REST, GraphQL POSTs) skip Express when their body is plain JSON (see
  // chatFastPath, graphqlFastPath): same request id, CORS and drain tracking. While draining, Express
  // answers everything with 503.
  const fastPaths: FastPath[] = [chatFastPath(services)];
  // Slow clients may not hold a connection for Node's default 300 s: headers and body each have a deadline
  // (408 and close past it), checked every second rather than Node's default 30 s.
  const httpTimeouts = {
    requestTimeout: config.security.httpRequestTimeoutMs,
    headersTimeout: Math.min(config.security.httpHeadersTimeoutMs, config.security.httpRequestTimeoutMs),
    connectionsCheckingInterval: Math.min(1000, config.security.httpHeadersTimeoutMs),
  };
  const httpServer = createServer(httpTimeouts, (req, res) => {
    traceHttpRequest(req, res);
    const fast = draining ? undefined : fastPaths.find((f) => f.matches(req));
    if (!fast) return void app(req, res);
    requests.track(res);
    assignRequestId(req, res);
    if (origins.apply(req, res)) fast.serve(req, res);
  });

  const isValidKey = (authorization: unknown): Promise<boolean> => services.keys.authenticate(authorization).then(() => true, () => false);
  const wsGuard = new WsGuard(config.security, origins, schema, config.introspection, isValidKey);

  // graphql-ws on the same path as HTTP GraphQL.
  // noServer + our own 'upgrade' listener (what ws's `server` option does) so that ws does not re-emit the HTTP
  // server's errors: graphql-ws prints any 'error' of the ws server as an internal error with a stack, which
  // turned a taken PORT into two stack traces instead of the one start-up line (src/entry.ts).
  const wsServer = new WebSocketServer({ noServer: true, path: '/graphql', WebSocket: GraphqlWsSocket, ...wsGuard.serverOptions() });
  httpServer.on('upgrade', (req, socket, head) => wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req)));
  wsGuard.attach(wsServer, logger);
  services.metrics.watchWebsockets(wsGuard);
  const wsCleanup = useServer<Record<string, unknown>, GuardedExtra & { requestIds?: Map<string, string>; operationSpans?: Map<string, Span> }>(
    {
      schema,
      connectionInitWaitTimeout: wsGuard.connectionInitWaitTimeout,
      onSubscribe: wsGuard.onSubscribe,
      onClose: (ctx) => {
        wsTracing.end(ctx.extra);
        wsGuard.onClose(ctx);
      },
      // Refuse new websocket sessions while draining (4403); live ones finish their streams.
      onConnect: (ctx) => (draining ? false : wsGuard.onConnect(ctx)),
      context: (ctx, id, payload, args): GatewayContext => {
        const requestId = randomUUID();
        (ctx.extra.requestIds ??= new Map()).set(id, requestId);
        const auth = new RequestAuth(services.keys, ctx.connectionParams?.authorization);
        const operationType = getOperationAST(args.document, args.operationName)?.operation ?? 'subscription';
        const traceContext = wsTracing.begin(ctx.extra, id, ctx.connectionParams, payload.extensions ?? undefined, operationType, payload.operationName);
        return { requestId, services, auth, modelLoader: createModelLoader(services.gateways), signal: wsGuard.signalOf(ctx), traceContext };
      },
      onNext: (ctx, id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((e) => formatGraphQLError(toFormatted(e), e, logger, ctx.extra.requestIds?.get(id))) }
          : result,
      onError: (ctx, id, _payload, errors) => {
        wsTracing.fail(ctx.extra, id, errors);
        return errors.map((e) => formatGraphQLError(toFormatted(e), e, logger, ctx.extra.requestIds?.get(id)));
      },
      onComplete: (ctx, id) => {
        wsTracing.end(ctx.extra, id);
        ctx.extra.requestIds?.delete(id);
        wsGuard.onOperationEnd(ctx);
      },
    },
    wsServer,
  );

  // Subscriptions over plain HTTP (SSE, multipart, router callbacks) run graphql-js with the same limits,
  // context and error formatter as the rest (src/graphql/transports/).
  const streamOperations = new StreamOperations(schema, config.security, config.introspection, logger);
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // Apollo's CSRF guard refuses GETs and simple POSTs without a preflight header. It exists for servers that
    // authenticate by cookie: a forged cross-site request would carry the victim's cookie. Ours authenticate by
    // a bearer header only (CORS never allows credentials either), so a forged request carries no key and the
    // guard would only refuse urql's GETs and shared links. A cookie-bearing route would keep it (docs/api.md).
    csrfPrevention: false,
    validationRules: documentLimitRules(config.security),
    parseOptions: documentParseOptions(config.security),
    hideSchemaDetailsFromClientErrors: !config.introspection,
    logger,
    formatError: (formatted, error) => formatGraphQLError(formatted, error, logger, errorRequestId(error)),
    plugins: [
      // Our own offline playground replaces Apollo's landing page, which loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints in the schema: `neverCached` sends the one header Apollo's cache-control plugin did, without its per-field hook.
      ApolloServerPluginCacheControlDisabled(),
      neverCached,
      operationLogPlugin(logger, services.metrics),
      tracingPlugin(),
      rememberRequestIds,
      refuseUnstreamableSubscriptions,
      routerCallbacks({ operations: streamOperations, allowedUrls: config.httpStreams.callbackUrls, logger }),
    ],
  });
  await apollo.start();

  app.use(requests.middleware, requestIdMiddleware);
  app.use(origins.middleware);
  // While draining, the listener stays open (closing it would also drop live websockets): new work is refused.
  app.use((req, res, next) => {
    if (!draining || req.path === '/healthz') return next();
    res.setHeader('connection', 'close');
    res.setHeader('retry-after', '1');
    res.status(503).json({ error: { message: 'The gateway is shutting down; retry on another instance', type: 'api_error', code: 'UPSTREAM_UNAVAILABLE' } });
  });
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  // `cache` is informative: a degraded (unreachable) Redis never makes the process unready; it serves from memory.
  // The store is pinged on every probe (issue 16.8): with the database gone every request fails, so the load
  // balancer must take this replica out. One line per interval says why, however often the probe asks.
  app.get('/readyz', async (_req, res) => {
    const cache = services.cache.health?.() ?? 'memory';
    if (!ready) return void res.status(503).json({ status: 'starting', cache });
    const store = await pingStore(services.store, READY_PING_TIMEOUT_MS).catch((err: unknown) => {
      repeatedLogOf(logger).error(logger, `readyz|${RepeatedLog.causeOf(err)}`, { err }, 'not ready: the store does not answer');
      return 'unreachable' as const;
    });
    res.status(store === 'ok' ? 200 : 503).json({ status: store === 'ok' ? 'ready' : 'unready', store, cache });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(services.metrics.contentType).send(await services.metrics.render());
  });
  mountRest(app, services);
  // GET /graphql from a browser: GraphiQL (bundled at install time, assets under /playground/).
  if (config.playground) app.use(playgroundRouter(logger));
  // GET /dashboard: usage charts for a key typed into the page (bundled at install time, assets under /dashboard/assets/).
  if (config.dashboard) app.use(dashboardRouter(logger));
  const httpContext = async (req: IncomingMessage, res: ServerResponse): Promise<GatewayContext> => {
    const requestId = requestIdOf(res);
    const auth = new RequestAuth(services.keys, req.headers.authorization);
    return { requestId, services, auth, modelLoader: createModelLoader(services.gateways), signal: clientGone(res), traceContext: httpTraceContext(res) };
  };
  // Subscriptions (and any operation) over SSE or multipart HTTP: before the JSON fast path, which would hand
  // them to Apollo Server.
  fastPaths.push(httpStreamsFastPath(streamOperations, httpContext, { maxBodyBytes: config.security.maxBodyBytes, heartbeatMs: config.httpStreams.heartbeatMs }));
  fastPaths.push(graphqlFastPath(apollo, httpContext, config.security.maxBodyBytes));
  app.use('/graphql', jsonBody(config.security.maxBodyBytes), expressMiddleware(apollo, { context: ({ req, res }) => httpContext(req, res) }));
  // Keep after every route that parses a body (REST included): their 413/400 body errors get the contract shape.
  app.use(bodyErrorHandler(config.security.maxBodyBytes));

  let closing: Promise<void> | undefined;
  return {
    app,
    httpServer,
    services,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          ready = true;
          const address = httpServer.address() as AddressInfo;
          const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          resolve(`http://${shownHost}:${address.port}`);
        });
      });
    },
    close() {
      closing ??= (async () => {
        ready = false;
        draining = true;
        // 1. In-flight HTTP calls and live streams share one deadline; streams still running then end with a
        //    "shutting down" error (their rows say so), and the websockets close.
        await Promise.all([
          requests.waitIdle(config.drainTimeoutMs),
          services.streams
            .drain(config.drainTimeoutMs)
            // A stream counts as ended when its iterator does, a tick before graphql-ws sends its last
            // `complete`/`error` frame: leave room for those frames before the close frame.
            .then(() => new Promise((resolve) => setTimeout(resolve, 100)))
            .then(() => wsCleanup.dispose()),
        ]);
        // 2. Stop listening and drop whatever connection is left.
        if (httpServer.listening) {
          const serverClosed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
          httpServer.closeAllConnections();
          await Promise.race([serverClosed, new Promise((resolve) => setTimeout(resolve, 1000))]);
        }
        await apollo.stop();
        // 3. Every finished call has recorded its row: write them all, then close the store.
        await services.close();
      })();
      return closing;
    },
  };
}

function toFormatted(e: GraphQLError) {
  return typeof e.toJSON === 'function' ? e.toJSON() : { message: e.message };
}
