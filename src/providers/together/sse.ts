import { APIError } from 'openai';
import { bodyChunks } from './http.ts';
import { parseTogetherJson } from './wire.ts';

/**
 * Together's `text/event-stream` body → one parsed JSON value per `data:` event, until `[DONE]`.
 *
 * Our own reader rather than the SDK's Stream, for one reason: the SDK runs `JSON.parse` on every event, which
 * rounds Together's 64-bit `seed`; here each event's raw text goes through parseTogetherJson. Behaviour
 * otherwise follows the SDK: lines end in \n, \r\n or \r; an empty line ends an event; `:` lines are comments;
 * several `data:` lines join with \n; an `{"error": …}` event throws an APIError without status (mapped to
 * "Together failed mid-stream"); after `[DONE]` the rest of the body is read and ignored so that the
 * connection ends cleanly. A body read that fails (abort, cut connection) throws.
 */
export async function* readTogetherSse(response: Response): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let done = false;

  /** Handles one complete line; returns the event's payload when the line ends an event. */
  const line = (raw: string): unknown => {
    if (raw === '') {
      if (data.length === 0) return undefined;
      const payload = data.join('\n');
      data = [];
      if (done) return undefined;
      if (payload.startsWith('[DONE]')) {
        done = true;
        return undefined;
      }
      const value = parseTogetherJson(payload);
      const error = (value as { error?: unknown } | null)?.error;
      if (error) throw new APIError(undefined, error as object, undefined, response.headers);
      return value;
    }
    if (raw.startsWith(':')) return undefined;
    const colon = raw.indexOf(':');
    const field = colon === -1 ? raw : raw.slice(0, colon);
    let value = colon === -1 ? '' : raw.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    return undefined;
  };

  // for-await closes the body when we leave early (an error event, the consumer gone): the connection ends.
  const scan = function* (eof: boolean): Generator<unknown> {
    // Split complete lines; a trailing \r may be the first half of \r\n, so keep it for the next read.
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      if (c === 0x0d && i === buffer.length - 1 && !eof) break;
      const event = line(buffer.slice(start, i));
      if (c === 0x0d && buffer.charCodeAt(i + 1) === 0x0a) i++;
      start = i + 1;
      if (event !== undefined) yield event;
    }
    buffer = buffer.slice(start);
  };
  for await (const value of bodyChunks(response)) {
    buffer += decoder.decode(value, { stream: true });
    yield* scan(false);
  }
  buffer += decoder.decode();
  yield* scan(true);
  // A last event not followed by an empty line still counts (the SDK flushes it too).
  if (buffer !== '') line(buffer);
  const last = line('');
  if (last !== undefined) yield last;
}
