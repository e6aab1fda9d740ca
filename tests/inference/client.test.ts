import { afterAll, beforeAll, expect, it } from 'vitest';
import { EmbedDocument, GenerateImageDocument, RerankDocument, createGatewayClient } from '../../client/index.ts';
import { type Stack, startStack } from '../helpers/stack.ts';
import { EMBED, IMAGE_UNPRICED, RERANK } from './helpers.ts';

/** The typed client's documents for the three operations (client/operations, the playground's tabs) against a real gateway. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

it('Embed, Rerank and GenerateImage run through createGatewayClient, typed', async () => {
  const gw = createGatewayClient({ url: stack.url, key: stack.key });
  const { embed } = await gw.request(EmbedDocument, { input: { model: EMBED, input: ['a', 'b'] } });
  expect(embed.embeddings.map((e) => e.index)).toEqual([0, 1]);
  const { rerank } = await gw.request(RerankDocument, { input: { model: RERANK, query: 'yellow fruit', documents: ['cars', 'yellow fruit'], returnDocuments: true } });
  expect(rerank.results[0]).toMatchObject({ index: 1, document: 'yellow fruit' });
  const { generateImage } = await gw.request(GenerateImageDocument, { input: { model: IMAGE_UNPRICED, prompt: 'p', format: 'BASE64' } });
  expect(generateImage.images[0]?.base64).toBeTruthy();
  expect(generateImage.costUsd).toBeNull();
});
