// JSON errors for every failure: 4xx say exactly what and which field; 5xx hide internals (logged with the cause).
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../controller/errors.js';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
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
