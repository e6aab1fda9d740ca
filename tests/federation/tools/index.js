// What the federation tests import from this folder (through importFrom in scripts/tool-folder.ts). Bare
// specifiers resolve from here: these packages from ./node_modules, graphql from the root's node_modules.
export { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
export { createGatewayRuntime, getGraphQLWSOptions } from '@graphql-hive/gateway-runtime';
export { default as httpTransport } from '@graphql-mesh/transport-http';
export { default as wsTransport } from '@graphql-mesh/transport-ws';
