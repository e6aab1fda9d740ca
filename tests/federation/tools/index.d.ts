/**
 * The types of ./index.js, declared here so `npm run typecheck` passes without this folder installed: only what the
 * federation tests use, loosely (the packages' own types come with them in ./node_modules once installed).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import type { ServerOptions } from 'graphql-ws';

/** Apollo Gateway: what `new ApolloServer({ gateway })` takes. */
type GatewayInterface = ApolloServerOptionsWithGateway<any>['gateway'];
export declare const ApolloGateway: new (config: {
  supergraphSdl: string;
  buildService?: (definition: { name: string; url?: string }) => unknown;
}) => GatewayInterface;
export declare class RemoteGraphQLDataSource<TContext extends Record<string, any> = Record<string, any>> {
  constructor(config: {
    url?: string;
    willSendRequest?(options: { request: { http?: { headers: { set(name: string, value: string): void } } }; context: TContext }): void;
  });
}

/** Hive Gateway's runtime: a request handler for node:http with a few methods. */
export interface GatewayRuntime {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly graphqlEndpoint: string;
  getSchema(): unknown;
  dispose(): Promise<void> | void;
}
export interface GatewayRuntimeConfig {
  supergraph: string;
  logging?: boolean;
  transports?: Record<string, unknown>;
  transportEntries?: Record<string, { options?: Record<string, unknown> }>;
  propagateHeaders?: { fromClientToSubgraphs?: (payload: { request?: Request }) => Record<string, string | undefined> };
  [option: string]: unknown;
}
export declare function createGatewayRuntime(config: GatewayRuntimeConfig): GatewayRuntime;
export declare function getGraphQLWSOptions<TContext extends Record<string, any>, E>(
  runtime: GatewayRuntime,
  onContext: (ctx: { extra: E; connectionParams?: Readonly<Record<string, unknown>> }) => Record<string, unknown>,
): ServerOptions<Record<string, unknown> | undefined, E>;
export declare const httpTransport: unknown;
export declare const wsTransport: unknown;
