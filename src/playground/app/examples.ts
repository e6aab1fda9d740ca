/**
 * The tabs GraphiQL opens with (when the browser has no saved tabs): the typed client's own documents
 * (client/operations/*.graphql, validated against the schema by `npm run codegen`), with example variables.
 */
import type { GraphiQLProps } from 'graphiql';
import catalog from '../../../client/operations/catalog.graphql';
import chatStream from '../../../client/operations/chat-stream.graphql';
import chat from '../../../client/operations/chat.graphql';
import embed from '../../../client/operations/embed.graphql';
import generateImage from '../../../client/operations/generate-image.graphql';
import modelById from '../../../client/operations/model.graphql';
import rerank from '../../../client/operations/rerank.graphql';

export const EXAMPLE_MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
/** One model of each other kind in Together's catalog (and the simulator's). */
export const EXAMPLE_EMBEDDING_MODEL = 'BAAI/bge-base-en-v1.5';
export const EXAMPLE_RERANK_MODEL = 'Salesforce/Llama-Rank-V1';
export const EXAMPLE_IMAGE_MODEL = 'black-forest-labs/FLUX.1-schnell';

/**
 * JSONC (GraphiQL accepts comments in the headers editor): a hint, sending nothing until it is uncommented, so
 * the public catalog queries never carry a placeholder key.
 */
export const HEADERS_HINT = `{
  // Chat, embed, rerank and generateImage need a gateway key (\`npm run demo\` prints one). Uncomment and fill in:
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
  { query: embed, variables: json({ input: { model: EXAMPLE_EMBEDDING_MODEL, input: ['GraphQL gateways', 'Vector search'] } }), headers: HEADERS_HINT },
  {
    query: rerank,
    variables: json({
      input: {
        model: EXAMPLE_RERANK_MODEL,
        query: 'Which city is the capital of France?',
        documents: ['Bananas are yellow', 'Paris is the capital of France', 'France borders Spain'],
        topN: 2,
        returnDocuments: true,
      },
    }),
    headers: HEADERS_HINT,
  },
  { query: generateImage, variables: json({ input: { model: EXAMPLE_IMAGE_MODEL, prompt: 'A lighthouse at dawn, watercolour', width: 512, height: 512 } }), headers: HEADERS_HINT },
];
