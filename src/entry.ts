/**
 * What the two entry points (`npm start`: index.ts, `npm run demo`: demo.ts) share about starting: a failure before
 * the gateway listens is one line naming the setting to change (core/startup.ts), exit code 1, no stack trace.
 */
import { writeSync } from 'node:fs';
import type { Logger } from 'pino';
import type { GatewayConfig } from './core/config.ts';
import { scrubSecrets } from './core/secrets.ts';
import { StartupError, startupFailureLine } from './core/startup.ts';
import type { Gateway } from './server.ts';

/**
 * Writes the line straight to stderr, synchronously: the logger buffers stdout and `process.exit` would drop it.
 * JSON like every other log line unless the logs are for a human (LOG_FORMAT=pretty, or a terminal).
 */
function reportStartupFailure(logger: Logger | null, err: unknown): never {
  const line = startupFailureLine(err);
  const setting = err instanceof StartupError ? err.setting : undefined;
  const pretty = process.env.LOG_FORMAT ? process.env.LOG_FORMAT === 'pretty' : process.stderr.isTTY === true;
  writeSync(2, pretty ? `${line}\n` : `${JSON.stringify({ level: 60, time: Date.now(), setting, msg: line })}\n`);
  if (!(err instanceof StartupError) && logger?.isLevelEnabled('debug')) {
    writeSync(2, `${scrubSecrets(String((err as Error)?.stack ?? err))}\n`);
  }
  process.exit(1);
}

/** Runs one start-up step; on failure, runs `cleanup` (best effort), prints the one line and exits 1. */
export function exitOnStartupFailure<T>(logger: Logger | null, step: () => T): T;
export function exitOnStartupFailure<T>(logger: Logger | null, step: () => Promise<T>, cleanup?: () => Promise<unknown>): Promise<T>;
export function exitOnStartupFailure<T>(logger: Logger | null, step: () => T | Promise<T>, cleanup?: () => Promise<unknown>): T | Promise<T> {
  let result: T | Promise<T>;
  try {
    result = step();
  } catch (err) {
    reportStartupFailure(logger, err);
  }
  if (!(result instanceof Promise)) return result;
  return result.catch(async (err: unknown) => {
    await cleanup?.().catch(() => undefined);
    return reportStartupFailure(logger, err);
  });
}

/** listen(), with the operator's part of a failure said in terms of PORT and HOST. */
export async function listenOrExplain(gateway: Gateway, config: Pick<GatewayConfig, 'host' | 'port'>): Promise<string> {
  try {
    return await gateway.listen();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const at = `${config.host}:${config.port}`;
    if (code === 'EADDRINUSE') throw new StartupError('PORT', `port ${config.port} is taken on ${config.host} (EADDRINUSE)`, { cause: err });
    if (code === 'EACCES') throw new StartupError('PORT', `not allowed to listen on ${at} (EACCES: ports below 1024 need privileges)`, { cause: err });
    if (code === 'ERR_SOCKET_BAD_PORT') throw new StartupError('PORT', `PORT ${config.port} is not a port number (0–65535)`, { cause: err });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new StartupError('HOST', `HOST ${config.host} is not an address of this machine (${code})`, { cause: err });
    }
    throw new StartupError('PORT', `cannot listen on ${at}: ${code || (err as Error).message}`, { cause: err });
  }
}
