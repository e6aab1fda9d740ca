import express, { type ErrorRequestHandler, Router } from 'express';
import type { Services } from '../services.ts';
import { requestIdOf } from '../http/request-id.ts';
import { toRestError } from './errors.ts';
import { MessageEventFramer, toAnthropicError, toMessage } from './messages-output.ts';
import { MESSAGES_FIELDS, type MessagesRequest, fromMessagesRequest, messagesAuthorization } from './messages-request.ts';
import { type WireFormat, requireJson, sendWireError, serveWireCall } from './wire-call.ts';

/**
 * `POST /v1/messages`: Anthropic's Messages API, for Anthropic's SDKs and coding agents pointed at Together
 * models, as one more translation onto the same chat core as REST chat and GraphQL (same validation,
 * admission, limits, cost and activity row). Errors, including the body parser's, are in Anthropic's shape.
 */
function messagesFormat(services: Services): WireFormat<MessagesRequest> {
  return {
    authorization: messagesAuthorization,
    parse: fromMessagesRequest,
    completion: (result, _request, caller) => toMessage(result, caller.requestId),
    stream: (request, caller) => new MessageEventFramer(request, caller.requestId),
    error: (err, requestId) => toAnthropicError(toRestError(err, requestId, services.logger, MESSAGES_FIELDS), requestId),
    // Anthropic's SDKs read the request id from this header (`_request_id`); x-request-id is set as everywhere.
    headers: (requestId) => ({ 'request-id': requestId }),
  };
}

export function messagesRouter(services: Services): Router {
  const router = Router();
  const parseJson = express.json({ limit: services.config.security.maxBodyBytes });
  const format = messagesFormat(services);
  router.post('/messages', requireJson, parseJson, (req, res) => serveWireCall(services, format, res, async () => req.body, performance.now()));
  // A body that is not JSON, too large or unreadable fails before the route: answered in Anthropic's shape too.
  const errors: ErrorRequestHandler = (err, _req, res, _next) => {
    res.setHeader('request-id', requestIdOf(res));
    sendWireError(res, format as unknown as WireFormat, err);
  };
  router.use('/messages', errors);
  return router;
}
