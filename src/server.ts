import { randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Express, type Request } from 'express';
import type { GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createModelLoader } from './catalog/loaders.ts';
import type { GatewayConfig } from './config.ts';
import type { GatewayContext } from './context.ts';
import { formatGraphQLError } from './graphql-errors.ts';
import { type Logger, createLogger } from './logger.ts';
import { playgroundRouter } from './playground/index.ts';
import { buildSchema } from './schema.ts';
import { type ServiceOverrides, type Services, createServices } from './services.ts';

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

const requestIdOf = (req: Request): string => {
  const incoming = req.header('x-request-id');
  return incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
};

/** Builds the whole gateway (Express + Apollo + graphql-ws) without starting it: no side effects until listen(). */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const services = createServices(config, logger, options.overrides);
  const schema = buildSchema();
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createServer(app);

  // graphql-ws on the same path as HTTP GraphQL.
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: 1024 * 1024 });
  const wsCleanup = useServer<Record<string, unknown>, { requestIds?: Map<string, string> }>(
    {
      schema,
      context: (ctx, id): GatewayContext => {
        const requestId = randomUUID();
        (ctx.extra.requestIds ??= new Map()).set(id, requestId);
        return { requestId, services, keyId: null, modelLoader: createModelLoader(services.gateways), signal: new AbortController().signal };
      },
      onNext: (ctx, id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((e) => formatGraphQLError(toFormatted(e), e, logger, ctx.extra.requestIds?.get(id))) }
          : result,
      onError: (ctx, id, _payload, errors) => errors.map((e) => formatGraphQLError(toFormatted(e), e, logger, ctx.extra.requestIds?.get(id))),
      onComplete: (ctx, id) => void ctx.extra.requestIds?.delete(id),
    },
    wsServer,
  );

  const apollo = new ApolloServer<GatewayContext>({
    schema,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    logger,
    formatError: (formatted, error) => formatGraphQLError(formatted, error, logger, (formatted.extensions?.requestId as string) ?? undefined),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
      // Our own offline playground replaces Apollo's landing page, which loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  let ready = false;
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', (_req, res) => void res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'starting' }));
  // GET /graphql from a browser: GraphiQL (bundled at install time, assets under /playground/).
  if (config.playground) app.use(playgroundRouter(logger));
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GatewayContext> => {
        const requestId = requestIdOf(req);
        res.setHeader('x-request-id', requestId);
        // Aborted when the client hangs up before we answered: cancels the upstream call.
        const controller = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) controller.abort();
        });
        return { requestId, services, keyId: null, modelLoader: createModelLoader(services.gateways), signal: controller.signal };
      },
    }),
  );

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
        await apollo.stop();
        if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await services.cache.close();
      })();
      return closing;
    },
  };
}

function toFormatted(e: GraphQLError) {
  return typeof e.toJSON === 'function' ? e.toJSON() : { message: e.message };
}
