import type { Express, Request, Response } from 'express';
import type { Services } from '../services.ts';
import { catalogRouter } from './catalog.ts';
import { chatRouter } from './chat.ts';
import { HttpError } from '../http/http-error.ts';
import { inferenceRouter } from './inference.ts';
import { restErrorHandler } from './errors.ts';
import { messagesRouter } from './messages.ts';
import { modelsRouter } from './models.ts';
import { responsesRouter } from './responses.ts';

/**
 * The REST faces: OpenAI-compatible `/v1` and the seed's `/catalog` routes. Each router ends with a JSON 404
 * and the REST error handler, so nothing under these prefixes answers with Express's HTML or a stack trace.
 */
export function mountRest(app: Express, services: Services): void {
  const notFound = (req: Request, _res: Response): never => {
    throw new HttpError('NOT_FOUND', `No route ${req.method} ${req.baseUrl}${req.path}`);
  };
  const errors = restErrorHandler(services.logger);
  app.use('/v1', chatRouter(services), inferenceRouter(services), responsesRouter(services), messagesRouter(services), modelsRouter(services), notFound, errors);
  app.use('/catalog', catalogRouter(services), notFound, errors);
}
