/**
 * The tabs GraphiQL opens with (when the browser has no saved tabs): the typed client's own documents
 * (client/operations/*.graphql, validated against the schema by `npm run codegen`), with example variables.
 */
import type { GraphiQLProps } from 'graphiql';
import catalog from '../../../client/operations/catalog.graphql';
import chatStream from '../../../client/operations/chat-stream.graphql';
import chat from '../../../client/operations/chat.graphql';
import modelById from '../../../client/operations/model.graphql';

export const EXAMPLE_MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';

/**
 * JSONC (GraphiQL accepts comments in the headers editor): a hint, sending nothing until it is uncommented, so
 * the public catalog queries never carry a placeholder key.
 */
export const HEADERS_HINT = `{
  // Chat operations need a gateway key (\`npm run demo\` prints one). Uncomment and fill in:
  // "Authorization": "Bearer <key>"
}`;

const json = (value: unknown): string => JSON.stringify(value, null, 2);
const input = (content: string, extra: Record<string, unknown> = {}) => ({
  input: { model: EXAMPLE_MODEL, messages: [{ role: 'USER', content }], ...extra },
});

export const EXAMPLE_TABS: NonNullable<GraphiQLProps['defaultTabs']> = [
  { query: catalog, variables: json({ search: 'llama' }), headers: HEADERS_HINT },
  { query: modelById, variables: json({ id: EXAMPLE_MODEL }), headers: HEADERS_HINT },
  { query: chat, variables: json(input('Say hello in five words', { maxTokens: 64 })), headers: HEADERS_HINT },
  { query: chatStream, variables: json(input('Write a haiku about gateways')), headers: HEADERS_HINT },
];
