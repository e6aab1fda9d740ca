import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry a key. pino's redaction runs inside the serializer, so nothing below reaches
 * the output stream whatever a caller logs by mistake.
 */
const REDACT_PATHS = [
  'authorization',
  'apiKey',
  'key',
  '*.authorization',
  '*.apiKey',
  '*.key',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'connectionParams.authorization',
  '*.headers.authorization',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream, pretty = false): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined };
  if (pretty && !destination) {
    // Development: human-readable lines (pino-pretty in a worker thread). Production stays JSON.
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return pino(options, destination as never);
}
