import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/**
 * CORS by allow-list (`CORS_ORIGINS`, comma-separated; default none): a browser page on another origin may call
 * the gateway only when its origin is listed. Same-origin pages (the playground) need no CORS and are always
 * served. Credentials (cookies) are never allowed: the gateway authenticates with bearer keys, which a page
 * sends explicitly, so `Access-Control-Allow-Credentials` is not needed and is not sent.
 *
 * Written here rather than with the `cors` package because the same policy must also guard websocket
 * upgrades (browsers do not apply CORS to websockets), which that middleware cannot do.
 */
export class OriginPolicy {
  private readonly allowed: Set<string>;
  private readonly any: boolean;

  constructor(origins: readonly string[]) {
    this.any = origins.includes('*');
    this.allowed = new Set(origins.map((o) => o.toLowerCase()));
  }

  /** True for a listed origin; `*` in the list allows any. */
  allows(origin: string): boolean {
    return this.any || this.allowed.has(origin.toLowerCase());
  }

  /**
   * For websocket upgrades: no Origin (not a browser), the gateway's own origin, or a listed one. A browser
   * page elsewhere would otherwise open a socket in its visitor's name.
   */
  allowsUpgrade(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined || origin === '') return true;
    return isSameOrigin(origin, req) || this.allows(origin);
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || origin === '') return next();
    res.vary('Origin');
    if (isSameOrigin(origin, req)) return next();
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!this.allows(origin)) {
      // No CORS headers: the browser keeps the response from the page. A refused preflight ends here.
      if (preflight) {
        res.status(403).end();
        return;
      }
      return next();
    }
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
    if (preflight) {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader(
        'access-control-allow-headers',
        'authorization, content-type, x-request-id, apollo-require-preflight, x-apollo-operation-name',
      );
      res.setHeader('access-control-max-age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

function isSameOrigin(origin: string, req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (!host) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}
