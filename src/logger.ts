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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined }, destination as never);
}
