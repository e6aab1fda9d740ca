import type { IncomingMessage, ServerResponse } from 'node:http';
import { badInput } from '../core/errors.ts';
import { HttpError } from './http-error.ts';

/**
 * True for the requests the REST fast path reads itself: a UTF-8 JSON body, no content encoding. Anything else
 * (gzip, another charset, a `+json` type) takes the Express route, whose body parser handles all of it.
 */
export function isPlainJson(req: IncomingMessage): boolean {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const type = req.headers['content-type'];
  if (type === undefined) return false;
  const [media, ...params] = type.split(';');
  if (media!.trim().toLowerCase() !== 'application/json') return false;
  return params.every((p) => {
    const [name, value] = p.split('=');
    return name!.trim().toLowerCase() !== 'charset' || /^"?utf-8"?$/i.test(value?.trim() ?? '');
  });
}

/**
 * Reads a JSON body of at most `maxBytes` (a larger declared length is refused before reading; a chunked one
 * stops at the cap) and parses it. Like body-parser's strict mode, only an object or an array is JSON here.
 */
export function readJsonBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): void => {
      // The rest of the body is not read: do not keep a connection whose input stream is unknown.
      res.setHeader('connection', 'close');
      reject(new HttpError('PAYLOAD_TOO_LARGE', 'The request body is too large'));
    };
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > maxBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        req.pause();
        return tooLarge();
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
      const first = text.trimStart()[0];
      if (first !== '{' && first !== '[') return reject(badInput('The request body is not valid JSON'));
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(badInput('The request body is not valid JSON'));
      }
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
