/**
 * Serves a browser bundle built at install time (src/playground/dist, src/dashboard/dist): the `.gz` copies the
 * build wrote to clients that accept gzip, the plain files otherwise. File names carry no hash, so browsers
 * revalidate (a cheap 304) and a rebuilt bundle shows at once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';

export function serveBundle(distDir: string): express.RequestHandler[] {
  return [precompressed(distDir), express.static(distDir, { index: false, setHeaders: (res) => res.setHeader('cache-control', 'no-cache') })];
}

/** Sends `<file>.gz` (written by the build) for .js/.css to clients that accept gzip. */
function precompressed(distDir: string): express.RequestHandler {
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !/^\/[\w./-]+\.(js|css)$/.test(req.path) || req.path.includes('..')) return next();
    res.vary('accept-encoding');
    const gz = join(distDir, `${req.path}.gz`);
    if (!req.acceptsEncodings('gzip') || !existsSync(gz)) return next();
    res.type(req.path.endsWith('.js') ? 'text/javascript' : 'text/css');
    res.setHeader('content-encoding', 'gzip');
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(gz, { lastModified: true, etag: true }, (err) => err && next(err));
  };
}
