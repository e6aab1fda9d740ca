/**
 * A terminal chat against the gateway, fully typed from our schema by the client's generated documents.
 *
 *   npx tsx examples/terminal-chat.ts --url http://127.0.0.1:8000 --key "$GATEWAY_KEY" "Write a haiku about gateways"
 *
 * It browses the catalog (chat models), picks a model (`--model`, else Llama 3.3 70B when listed, else the first
 * priced one), then streams the reply over graphql-ws. The reply alone goes to stdout, so it pipes; the catalog
 * summary and the final usage/cost line go to stderr. Exit code 1 with the gateway's error code on failure.
 */
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import {
  type CatalogQuery,
  CatalogDocument,
  ChatStreamDocument,
  type ChatStreamSubscription,
  GatewayError,
  ModelByIdDocument,
  createGatewayClient,
} from '../client/index.ts';

const USAGE = `Usage: npx tsx examples/terminal-chat.ts [--url URL] [--key KEY] [--model ID] [--max-tokens N] [--system TEXT] "prompt"
  --url         the gateway (default $GATEWAY_URL or http://127.0.0.1:8000)
  --key         a gateway key (default $GATEWAY_KEY); \`npm run demo\` prints one
  --model       a catalog id, e.g. meta-llama/Llama-3.3-70B-Instruct-Turbo
  --max-tokens  cap on the reply's tokens
  --system      a system message`;

const PREFERRED_MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';

type CatalogModel = CatalogQuery['models'][number];
type StreamEvent = ChatStreamSubscription['chatStream'];

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.GATEWAY_URL || 'http://127.0.0.1:8000' },
      key: { type: 'string', default: process.env.GATEWAY_KEY || undefined },
      model: { type: 'string' },
      'max-tokens': { type: 'string' },
      system: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const prompt = positionals.join(' ').trim();
  if (values.help || prompt === '') {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const maxTokens = values['max-tokens'] === undefined ? undefined : Number(values['max-tokens']);
  if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0)) {
    process.stderr.write('--max-tokens must be a positive integer\n');
    return 2;
  }

  const gateway = createGatewayClient({ url: values.url, key: values.key, webSocketImpl: WebSocket });
  try {
    // 1. Browse the catalog (public).
    const { models } = await gateway.request(CatalogDocument, { type: 'CHAT' });
    process.stderr.write(`Catalog: ${models.length} chat models at ${gateway.endpoint}\n`);
    const model = await pickModel(gateway, models, values.model);
    process.stderr.write(`Model:   ${describe(model)}\n\n`);

    // 2. Stream the reply (needs a key once the gateway enforces auth).
    const messages = [
      ...(values.system ? [{ role: 'SYSTEM' as const, content: values.system }] : []),
      { role: 'USER' as const, content: prompt },
    ];
    let last: StreamEvent | undefined;
    for await (const { chatStream } of gateway.subscribe(ChatStreamDocument, { input: { model: model.id, messages, maxTokens } })) {
      process.stdout.write(chatStream.delta);
      last = chatStream;
    }
    process.stdout.write('\n');
    process.stderr.write(`\n${summary(last)}\n`);
    return 0;
  } catch (err) {
    const code = err instanceof GatewayError && err.code ? ` [${err.code}]` : '';
    process.stderr.write(`\nError${code}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await gateway.close();
  }
}

async function pickModel(
  gateway: ReturnType<typeof createGatewayClient>,
  models: CatalogModel[],
  wanted: string | undefined,
): Promise<Pick<CatalogModel, 'id' | 'name' | 'contextLength' | 'pricing'>> {
  if (wanted) {
    // Any model, not only chat ones: look it up by id.
    const { model } = await gateway.request(ModelByIdDocument, { id: wanted });
    if (!model) throw new GatewayError(`"${wanted}" is not in the catalog`, 'MODEL_NOT_FOUND');
    return model;
  }
  const chosen = models.find((m) => m.id === PREFERRED_MODEL) ?? models.find((m) => m.pricing) ?? models[0];
  if (!chosen) throw new GatewayError('the catalog lists no chat model', 'MODEL_NOT_FOUND');
  return chosen;
}

function describe(m: Pick<CatalogModel, 'id' | 'name' | 'contextLength' | 'pricing'>): string {
  const context = m.contextLength ? `, ${m.contextLength.toLocaleString('en-US')} tokens of context` : '';
  const price = m.pricing ? `, $${m.pricing.inputPerMillion}/$${m.pricing.outputPerMillion} per 1M tokens in/out` : ', no per-token price';
  return `${m.name} (${m.id})${context}${price}`;
}

function summary(last: StreamEvent | undefined): string {
  if (!last) return '[no events]';
  const parts = [`finish ${last.finishReason ?? 'unknown'}`];
  if (last.usage) parts.push(`${last.usage.promptTokens} prompt + ${last.usage.completionTokens} completion tokens${last.usage.estimated ? ' (estimated)' : ''}`);
  if (last.costUsd != null) parts.push(`$${last.costUsd.toPrecision(3)}`);
  return `[${parts.join(' · ')}]`;
}

process.exitCode = await main(process.argv.slice(2));
