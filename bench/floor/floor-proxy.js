/**
 * The floor: the least a Node gateway can do for one chat call on this machine. Reads the body, sends it to the
 * upstream, relays the answer (a stream chunk by chunk, as it arrives); no auth, validation, routing, parsing of
 * the events, accounting, logging or metrics. Plain JavaScript (no loader), like production. `--sdk` sends
 * through the stock openai SDK client on our pooled fetch; `--sdk --gateway-client` through the gateway's own subclass
 * of it (src/providers/together/sdk-client.ts), so one run shows what that subclass saves.
 *
 *   node bench/floor/floor-proxy.js --upstream http://127.0.0.1:PORT/v1 [--sdk [--gateway-client]]
 * Prints FLOOR_URL=<url> once listening.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { Agent } from 'undici';
import { bodyChunks, createPooledFetch } from '../../dist/src/providers/together/http.js';
import { TogetherSdkClient } from '../../dist/src/providers/together/sdk-client.js';

const { values } = parseArgs({ options: { upstream: { type: 'string' }, sdk: { type: 'boolean' }, 'gateway-client': { type: 'boolean' } } });
const upstream = new URL(`${values.upstream}/chat/completions`);
const agent = new Agent();
const Client = values['gateway-client'] ? TogetherSdkClient : OpenAI;
const client = values.sdk
  ? new Client({ apiKey: 'bench-upstream-key', baseURL: values.upstream, maxRetries: 0, timeout: 2 ** 31 - 1, logLevel: 'off', fetch: createPooledFetch().fetch })
  : null;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Relays an upstream answer: a stream chunk by chunk as it comes (headers first), anything else whole. */
async function relay(res, status, contentType, chunks) {
  if (contentType.startsWith('text/event-stream')) {
    res.writeHead(status, { 'content-type': contentType });
    res.flushHeaders();
    for await (const chunk of chunks) res.write(chunk);
    return void res.end();
  }
  const parts = [];
  for await (const chunk of chunks) parts.push(chunk);
  const text = Buffer.concat(parts);
  res.writeHead(status, { 'content-type': contentType, 'content-length': text.length });
  res.end(text);
}

const server = createServer(async (req, res) => {
  try {
    const body = await readBody(req);
    const signal = new AbortController().signal;
    if (client) {
      const response = await client.chat.completions.create(JSON.parse(body), { signal }).asResponse();
      await relay(res, response.status, response.headers.get('content-type') ?? 'application/json', bodyChunks(response));
    } else {
      const answer = await agent.request({
        origin: upstream.origin,
        path: upstream.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench-upstream-key' },
        body,
        signal,
      });
      await relay(res, answer.statusCode, String(answer.headers['content-type'] ?? 'application/json'), answer.body);
    }
  } catch (err) {
    if (res.headersSent) return void res.destroy();
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: String(err) } }));
  }
});
server.listen(0, '127.0.0.1', () => console.log(`FLOOR_URL=http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
