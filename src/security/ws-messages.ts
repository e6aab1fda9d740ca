/**
 * A client that sends a graphql-transport-ws message only a server sends (`connection_ack`, `next`, `error`) is
 * closed with 4400, as the protocol says (issue 16 item 10). graphql-ws alone throws on such a message, and its ws
 * adapter closes with 4500 and prints a stack trace.
 *
 * Checked on the frame before graphql-ws parses it, by the socket class the WebSocketServer makes (ws's `WebSocket`
 * option). The first version refused these messages from graphql-ws's `jsonMessageReviver`, but any reviver takes
 * JSON.parse off V8's fast path for every message: 1.1 → 5.4 µs for a 216-byte subscribe, 72 → 242 µs for an 86 KB
 * one with a chat history (measured on the bench machine). The scan below looks only at the values of `"type"` keys
 * (a memchr-fast search; a key inside a string is escaped, `\"type\"`, so it does not match) and parses the frame
 * only when one of them is server-only: 0.4 µs for the small message, 10 µs for the large one.
 */
import { WebSocket } from 'ws';

const TYPE_KEY = Buffer.from('"type"');
const SERVER_ONLY = new Set(['connection_ack', 'next', 'error']);
const QUOTE = 0x22;
const isSpace = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/** The string value after the `"type"` key at `at`, or null when it is not a short string. */
function typeValueAt(frame: Buffer, at: number): string | null {
  let i = at + TYPE_KEY.length;
  while (isSpace(frame[i])) i++;
  if (frame[i] !== 0x3a) return null; // ':'
  i++;
  while (isSpace(frame[i])) i++;
  if (frame[i] !== QUOTE) return null;
  const end = frame.indexOf(QUOTE, i + 1);
  return end === -1 || end - i > 32 ? null : frame.toString('latin1', i + 1, end);
}

/** Whether a client's text frame is a message only a server sends. */
export function isServerOnlyMessage(frame: Buffer): boolean {
  for (let at = frame.indexOf(TYPE_KEY); at !== -1; at = frame.indexOf(TYPE_KEY, at + TYPE_KEY.length)) {
    const value = typeValueAt(frame, at);
    if (value === null || !SERVER_ONLY.has(value)) continue;
    // A nested "type" (a tool's schema, say) may have such a value: only the message's own type counts.
    try {
      return SERVER_ONLY.has((JSON.parse(frame.toString('utf8')) as { type?: unknown } | null)?.type as string);
    } catch {
      return false; // not JSON: graphql-ws closes it with 4400 itself
    }
  }
  return false;
}

/** The sockets graphql-ws serves: a server-only message is answered with close 4400 before graphql-ws sees it. */
export class GraphqlWsSocket extends WebSocket {
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'message' && args[1] === false && Buffer.isBuffer(args[0]) && isServerOnlyMessage(args[0])) {
      this.close(4400, 'Invalid message received');
      return true;
    }
    return super.emit(event, ...args);
  }
}
