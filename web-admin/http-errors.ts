// JSON errors for every failure: 4xx say exactly what and which field; 5xx hide internals (logged with the cause).
import type { ErrorRequestHandler, Request } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../controller/errors.js';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** The parts of Express 5's router stack read here (internal, but stable across router 2.x). */
interface StackLayer {
  rawPath?: unknown;
  route?: { path: unknown };
  handle?: { stack?: StackLayer[] };
}

const patternCache = new WeakMap<object, string[]>();

/** Every route pattern of the app with its mount path ("/api/rooms/:id"), collected once per app. */
function routePatterns(app: Request['app']): string[] {
  let patterns = patternCache.get(app);
  if (patterns) return patterns;
  patterns = [];
  const walk = (stack: StackLayer[], prefix: string) => {
    for (const layer of stack) {
      if (typeof layer.rawPath !== 'string') continue;
      const here = prefix + (layer.rawPath === '/' ? '' : layer.rawPath);
      if (layer.route) (patterns as string[]).push(here);
      else if (layer.handle?.stack) walk(layer.handle.stack, here);
    }
  };
  walk((app as unknown as { router: { stack: StackLayer[] } }).router.stack, '');
  patternCache.set(app, patterns);
  return patterns;
}

/**
 * A path with a malformed %-escape ("/api/rooms/%ff") fails in Express's parameter decoding before any route runs,
 * and the error does not say which parameter. Found here by matching the raw path against the app's route patterns:
 * the parameter whose segment does not decode is the field at fault; "(path)" when no route names it.
 */
function malformedPathFields(req: Request): string[] {
  const segments = (req.originalUrl.split('?')[0] ?? '').split('/').slice(1);
  const bad = segments.findIndex((seg) => {
    try {
      decodeURIComponent(seg);
      return false;
    } catch {
      return true;
    }
  });
  if (bad < 0) return ['(path)'];
  for (const pattern of routePatterns(req.app)) {
    const parts = pattern.split('/').slice(1);
    if (parts.length !== segments.length) continue;
    const fits = parts.every((part, i) => part.includes(':') || part.toLowerCase() === segments[i]?.toLowerCase());
    const names = [...(parts[bad] ?? '').matchAll(/:(\w+)/g)].map((m) => m[1] as string);
    if (fits && names.length) return names;
  }
  return ['(path)'];
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    void _next;
    let status = 500;
    let body: { code: string; message: string; issues?: { field: string; message: string }[] };
    const bp = err as BodyParserError;
    if (err instanceof AppError) {
      status = err.status;
      body = { code: err.code, message: err.message, ...(err.issues.length ? { issues: err.issues } : {}) };
    } else if (err instanceof URIError && bp.status === 400) {
      status = 400;
      const fields = malformedPathFields(req);
      body = { code: 'invalid', message: `${fields.join(', ')}: not a valid URL encoding`, issues: fields.map((field) => ({ field, message: 'malformed %-escape in the path' })) };
    } else if (bp?.type === 'entity.parse.failed') {
      status = 400;
      body = { code: 'invalid_json', message: 'the request body is not valid JSON', issues: [{ field: '(body)', message: 'malformed JSON' }] };
    } else if (bp?.type === 'entity.too.large') {
      status = 413;
      body = { code: 'too_large', message: 'the request body is too large' };
    } else if (typeof bp?.status === 'number' && bp.status >= 400 && bp.status < 500) {
      status = bp.status;
      body = { code: 'bad_request', message: bp.message };
    } else {
      body = { code: 'internal', message: 'internal error' };
    }
    if (status >= 500) log.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
    else log.warn({ method: req.method, url: req.originalUrl, status, code: body.code, reason: body.message }, 'refused request');
    // A 409 carries the version now stored, when the route supplied it (res.locals.conflictCurrent).
    const current = status === 409 ? (res.locals.conflictCurrent as unknown) : undefined;
    res.status(status).json({ error: body, ...(current ? { current } : {}) });
  };
}
