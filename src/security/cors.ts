import type { IncomingMessage, ServerResponse } from 'node:http';
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

  /**
   * Sets the CORS headers a request gets; answers a preflight itself. Returns false when it has answered
   * (the caller stops there). Plain node:http, so that the REST fast path applies the same policy.
   */
  apply(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || origin === '') return true;
    addVary(res, 'Origin');
    if (isSameOrigin(origin, req)) return true;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!this.allows(origin)) {
      // No CORS headers: the browser keeps the response from the page. A refused preflight ends here.
      if (preflight) {
        res.statusCode = 403;
        res.end();
        return false;
      }
      return true;
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
      res.statusCode = 204;
      res.end();
      return false;
    }
    return true;
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (this.apply(req, res)) next();
  };
}

/** Adds a field to `Vary` once (what express's res.vary does). */
function addVary(res: ServerResponse, field: string): void {
  const current = res.getHeader('vary');
  const list = Array.isArray(current) ? current.join(', ') : current === undefined ? '' : String(current);
  if (list.split(',').some((f) => f.trim().toLowerCase() === field.toLowerCase() || f.trim() === '*')) return;
  res.setHeader('vary', list ? `${list}, ${field}` : field);
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
