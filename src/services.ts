import type { Logger } from 'pino';
import { type TtlCache, createCache } from './cache/index.ts';
import { Catalog } from './catalog/catalog.ts';
import { GatewayRegistry } from './catalog/registry.ts';
import { ChatService } from './chat/service.ts';
import type { GatewayConfig } from './config.ts';
import type { ChatProvider } from './domain.ts';
import { TogetherProvider } from './providers/together/client.ts';
import { type ActivityRecorder, discardActivity } from './usage/activity.ts';

/** The long-lived domain services one gateway process shares across requests. */
export interface Services {
  config: GatewayConfig;
  logger: Logger;
  cache: TtlCache;
  gateways: GatewayRegistry;
  chat: ChatService;
  recorder: ActivityRecorder;
}

export interface ServiceOverrides {
  /** Replaces the Together provider (a fake data source for tests of other faces). */
  providers?: ChatProvider[];
  recorder?: ActivityRecorder;
  cache?: TtlCache;
}

export function createServices(config: GatewayConfig, logger: Logger, overrides: ServiceOverrides = {}): Services {
  const cache = overrides.cache ?? createCache();
  const providers = overrides.providers ?? [
    new TogetherProvider({
      apiKey: config.togetherApiKey,
      baseURL: config.togetherBaseUrl,
      upstreamTimeoutMs: config.upstreamTimeoutMs,
      streamIdleTimeoutMs: config.streamIdleTimeoutMs,
      maxRetries: config.upstreamMaxRetries,
      onRetry: (attempt, error, delayMs) => logger.warn({ attempt, code: error.code, delayMs: Math.round(delayMs) }, 'retrying Together'),
    }),
  ];
  const gateways = new GatewayRegistry(
    providers.map((provider) => ({ provider, catalog: new Catalog(provider, cache, config.catalogTtlSeconds * 1000, logger) })),
  );
  const recorder = overrides.recorder ?? discardActivity;
  const chat = new ChatService(gateways, recorder, { maxMessages: config.maxMessages, maxMessageChars: config.maxMessageChars }, logger);
  return { config, logger, cache, gateways, chat, recorder };
}
