/**
 * The floor: the least a Node gateway can do for one chat call on this machine. Reads the body, sends it to the
 * upstream, relays the answer; no auth, validation, routing, accounting, logging or metrics. Plain JavaScript
 * (no loader), like production. `--sdk` sends through the openai SDK on our pooled fetch, as the gateway does.
 *
 *   node bench/floor/floor-proxy.js --upstream http://127.0.0.1:PORT/v1 [--sdk]
 * Prints FLOOR_URL=<url> once listening.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { Agent } from 'undici';
import { createPooledFetch } from '../../dist/src/providers/together/http.js';

const { values } = parseArgs({ options: { upstream: { type: 'string' }, sdk: { type: 'boolean' } } });
const upstream = new URL(`${values.upstream}/chat/completions`);
const agent = new Agent();
const client = values.sdk
  ? new OpenAI({ apiKey: 'bench-upstream-key', baseURL: values.upstream, maxRetries: 0, timeout: 2 ** 31 - 1, logLevel: 'off', fetch: createPooledFetch().fetch })
  : null;

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const server = createServer(async (req, res) => {
  try {
    const body = await readBody(req);
    const signal = new AbortController().signal;
    let status;
    let text;
    if (client) {
      const response = await client.chat.completions.create(JSON.parse(body), { signal }).asResponse();
      status = response.status;
      text = await response.text();
    } else {
      const answer = await agent.request({
        origin: upstream.origin,
        path: upstream.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench-upstream-key' },
        body,
        signal,
      });
      status = answer.statusCode;
      text = await answer.body.text();
    }
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  } catch (err) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: String(err) } }));
  }
});
server.listen(0, '127.0.0.1', () => console.log(`FLOOR_URL=http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
