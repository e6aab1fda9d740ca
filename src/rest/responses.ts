import express, { Router } from 'express';
import type { Services } from '../services.ts';
import { toRestError } from './errors.ts';
import { ResponseItemMemory } from './response-items.ts';
import { ResponseEventFramer, toResponse } from './responses-output.ts';
import { RESPONSES_FIELDS, type ResponsesRequest, fromResponsesRequest } from './responses-request.ts';
import { type WireFormat, requireJson, serveWireCall } from './wire-call.ts';

/**
 * `POST /v1/responses`: OpenAI's Responses API (the openai SDK's `responses.create`, the Vercel AI SDK's
 * default `openai(model)`), stateless, as one more translation onto the same chat core as REST chat and
 * GraphQL: the same validation, admission, limits, cost and activity row. Errors keep OpenAI's shape.
 */
/** What the item memory may hold: the assistant text of recent answers, per key, for an hour. */
const ITEM_MEMORY_BYTES = 32 * 1024 * 1024;
const ITEM_MEMORY_TTL_MS = 60 * 60 * 1000;

function responsesFormat(services: Services): WireFormat<ResponsesRequest> {
  const items = new ResponseItemMemory(ITEM_MEMORY_BYTES, ITEM_MEMORY_TTL_MS);
  return {
    authorization: (req) => req.headers.authorization,
    parse: (body, caller) => fromResponsesRequest(body, (itemId) => items.recall(caller.keyId, itemId)),
    completion: (result, request, caller) => toResponse(result, request, caller.requestId, (itemId, text) => items.remember(caller.keyId, itemId, text)),
    stream: (request, caller) => new ResponseEventFramer(request, caller.requestId, (itemId, text) => items.remember(caller.keyId, itemId, text)),
    error: (err, requestId) => toRestError(err, requestId, services.logger, RESPONSES_FIELDS),
  };
}

export function responsesRouter(services: Services): Router {
  const router = Router();
  const parseJson = express.json({ limit: services.config.security.maxBodyBytes });
  const format = responsesFormat(services);
  router.post('/responses', requireJson, parseJson, (req, res) => serveWireCall(services, format, res, async () => req.body, performance.now()));
  return router;
}
