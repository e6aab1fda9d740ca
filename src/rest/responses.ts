import express, { Router } from 'express';
import type { Services } from '../services.ts';
import { toRestError } from './errors.ts';
import { ResponseEventFramer, toResponse } from './responses-output.ts';
import { RESPONSES_FIELDS, type ResponsesRequest, fromResponsesRequest } from './responses-request.ts';
import { type WireFormat, requireJson, serveWireCall } from './wire-call.ts';

/**
 * `POST /v1/responses`: OpenAI's Responses API (the openai SDK's `responses.create`, the Vercel AI SDK's
 * default `openai(model)`), stateless, as one more translation onto the same chat core as REST chat and
 * GraphQL: the same validation, admission, limits, cost and activity row. Errors keep OpenAI's shape.
 */
function responsesFormat(services: Services): WireFormat<ResponsesRequest> {
  return {
    authorization: (req) => req.headers.authorization,
    parse: fromResponsesRequest,
    completion: toResponse,
    stream: (request, requestId) => new ResponseEventFramer(request, requestId),
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
