import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { Router } from 'express';
import type { Services } from '../services.ts';
import { isPlainJson, readJsonBody } from '../http/body.ts';
import { toRestError } from './errors.ts';
import { ChunkFramer, type OpenAIChatRequest, fromOpenAIRequest, toOpenAICompletion } from './openai-wire.ts';
import { type WireFormat, requireJson, serveWireCall } from './wire-call.ts';

/**
 * `POST /v1/chat/completions` in OpenAI's wire format, on the same ChatService as GraphQL's chatCompletion
 * and chatStream: one validation, one provider call, one cost, one activity row, one error table.
 */

const sse = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;

/**
 * Server-sent events: `data: {chunk}` lines and `data: [DONE]`; a failure after the headers is a
 * `data: {"error": …}` line and the end of the stream, without [DONE].
 */
function chatCompletionsFormat(services: Services): WireFormat<OpenAIChatRequest> {
  return {
    authorization: (req) => req.headers.authorization,
    parse: fromOpenAIRequest,
    completion: (result, _request, caller) => toOpenAICompletion(result, `chatcmpl-${caller.requestId}`),
    stream(request, caller) {
      const framer = new ChunkFramer(`chatcmpl-${caller.requestId}`, request.includeUsage);
      let doneSent = false;
      return {
        frame(event) {
          // One write per event: its chunks and, on the last, [DONE].
          let text = framer.frame(event).map(sse).join('');
          if (event.done) {
            text += 'data: [DONE]\n\n';
            doneSent = true;
          }
          return text;
        },
        failure: (error) => sse(error.body),
        end: () => (doneSent ? '' : 'data: [DONE]\n\n'),
      };
    },
    error: (err, requestId) => toRestError(err, requestId, services.logger),
  };
}

export function chatRouter(services: Services): Router {
  const router = Router();
  const parseJson = express.json({ limit: services.config.security.maxBodyBytes });
  const format = chatCompletionsFormat(services);
  router.post('/chat/completions', requireJson, parseJson, (req, res) => serveWireCall(services, format, res, async () => req.body, performance.now()));
  return router;
}

/**
 * `POST /v1/chat/completions` with a plain UTF-8 JSON body, served straight from node:http. Express's router
 * and body parser were ~13 % of the gateway's CPU per call under load (bench/gateway, --cpu-prof); this is the
 * gateway's hottest route, so it skips them. Returns false for anything else (other routes, gzip bodies, other
 * charsets), which the Express app then serves, this same route included.
 */
export function chatFastPath(services: Services): { matches(req: IncomingMessage): boolean; serve(req: IncomingMessage, res: ServerResponse): void } {
  const maxBytes = services.config.security.maxBodyBytes;
  const format = chatCompletionsFormat(services);
  return {
    matches: (req) => req.method === 'POST' && req.url === '/v1/chat/completions' && isPlainJson(req),
    serve: (req, res) => void serveWireCall(services, format, res, () => readJsonBody(req, res, maxBytes), performance.now()),
  };
}
