import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { Router } from 'express';
import type { Caller } from '../chat/call.ts';
import { requestIdOf } from '../http/request-id.ts';
import { clientGone } from '../http/client-gone.ts';
import type { CancelSignal } from '../core/cancellation.ts';
import { sendJson } from '../http/send.ts';
import type { Services } from '../services.ts';
import { REST_FIELDS, toRestError } from './errors.ts';
import {
  INFERENCE_FIELDS,
  fromImageRequest,
  fromOpenAIEmbeddings,
  fromRerankRequest,
  toImageResponse,
  toOpenAIEmbeddings,
  toRerankResponse,
} from './inference-wire.ts';
import { requireJson } from './wire-call.ts';

/**
 * `POST /v1/embeddings`, `/v1/rerank` and `/v1/images/generations` (wire formats: ./inference-wire.ts) on the
 * same InferenceService as GraphQL's embed, rerank and generateImage: same key, limits, rows and error table.
 */

const FIELDS = { ...REST_FIELDS, ...INFERENCE_FIELDS };

/** One answered-in-one-piece call: the key, the body's translation, the service, the answer or the REST error. */
async function serve(services: Services, req: IncomingMessage, res: ServerResponse, run: (caller: Caller, signal: CancelSignal) => Promise<unknown>): Promise<void> {
  const requestId = requestIdOf(res);
  // The client hung up before the answer: abort the upstream call (its row says cancelled).
  const signal = clientGone(res);
  try {
    const key = await services.keys.authenticate(req.headers.authorization);
    sendJson(res, 200, await run({ requestId, keyId: key.id, key }, signal));
  } catch (err) {
    const restError = toRestError(err, requestId, services.logger, FIELDS);
    if (res.headersSent || res.destroyed) return;
    if (restError.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(restError.retryAfterSeconds));
    sendJson(res, restError.status, restError.body);
  }
}

export function inferenceRouter(services: Services): Router {
  const router = Router();
  const parseJson = express.json({ limit: services.config.security.maxBodyBytes });
  const { inference } = services;
  router.post('/embeddings', requireJson, parseJson, (req, res) =>
    serve(services, req, res, async (caller, signal) => {
      const { input, encoding } = fromOpenAIEmbeddings(req.body);
      return toOpenAIEmbeddings(await inference.embed(input, caller, signal), encoding);
    }),
  );
  router.post('/rerank', requireJson, parseJson, (req, res) =>
    serve(services, req, res, async (caller, signal) => toRerankResponse(await inference.rerank(fromRerankRequest(req.body), caller, signal))),
  );
  router.post('/images/generations', requireJson, parseJson, (req, res) =>
    serve(services, req, res, async (caller, signal) => toImageResponse(await inference.generateImage(fromImageRequest(req.body), caller, signal))),
  );
  return router;
}
