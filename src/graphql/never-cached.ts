import type { ApolloServerPlugin } from '@apollo/server';

/**
 * `Cache-Control: no-store` on every GraphQL answer over HTTP (GET included: a CDN in front must never keep one).
 * Every answer depends on the caller's key, and the schema has no cache hints, so this is exactly what Apollo's
 * own cache-control plugin sent. That plugin is disabled (server.ts) because it listens to every resolved field,
 * which makes Apollo wrap every resolver of every operation in its instrumentation: ~2.5 % of a GraphQL call's CPU
 * for a header that never changes (`npm run bench:profile`).
 */
export const neverCached: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};
