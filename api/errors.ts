import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';

/** An error a caller can act on: rendered as RFC 9457 problem+json with a stable `code`. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) =>
  new AppError(404, `${what}_not_found`, `No such ${what.replace(/_/g, ' ')}.`);
export const badRequest = (code: string, message: string, extra?: Record<string, unknown>) =>
  new AppError(400, code, message, extra);
export const unauthorized = (message = 'Sign in or send a valid bearer token.') =>
  new AppError(401, 'unauthenticated', message);
export const forbidden = (message = 'You may not do this.') => new AppError(403, 'forbidden', message);
export const conflict = (code: string, message: string) => new AppError(409, code, message);
export const unprocessable = (code: string, message: string, extra?: Record<string, unknown>) =>
  new AppError(422, code, message, extra);

/** Turns a zod error into a 400 that lists every bad field. */
export function validationError(error: z.ZodError): AppError {
  return new AppError(400, 'validation_failed', 'The request has invalid or missing fields.', {
    errors: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  });
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

interface Problem {
  status: number;
  code: string;
  detail: string;
  extra?: Record<string, unknown>;
}

/** Maps errors thrown by body parsers and libraries to problems; unknown errors become a 500. */
function toProblem(err: unknown): Problem {
  if (err instanceof AppError)
    return { status: err.status, code: err.code, detail: err.message, extra: err.extra };
  if (err instanceof z.ZodError) return toProblem(validationError(err));
  const e = err as { type?: string; status?: number; name?: string; message?: string };
  if (e?.type === 'entity.parse.failed')
    return { status: 400, code: 'malformed_json', detail: 'The body is not valid JSON.' };
  if (e?.type === 'entity.too.large')
    return { status: 413, code: 'body_too_large', detail: 'The request body is larger than allowed.' };
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported')
    return { status: 415, code: 'unsupported_encoding', detail: 'The body encoding is not supported.' };
  if (e?.name === 'ForbiddenError')
    return { status: 403, code: 'forbidden', detail: e.message || 'You may not do this.' };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return { status: e.status, code: 'bad_request', detail: e.message ?? 'Bad request.' };
  return {
    status: 500,
    code: 'internal_error',
    detail: 'Something went wrong on our side. Quote the request id.',
  };
}

export function sendProblem(
  res: Parameters<RequestHandler>[1],
  requestId: string | undefined,
  p: Problem,
): void {
  res
    .status(p.status)
    .type('application/problem+json')
    .json({
      type: `urn:steward:problem:${p.code}`,
      title: titles[p.status] ?? 'Error',
      status: p.status,
      code: p.code,
      detail: p.detail,
      requestId,
      ...(p.extra ?? {}),
    });
}

/**
 * The one error middleware: problem+json for every error, never a stack trace to the client. Server
 * faults are logged with the request's logger, or `logger` on routes without request logging.
 */
export const errorHandler =
  (logger: Logger): ErrorRequestHandler =>
  (err, req, res, _next) => {
    const problem = toProblem(err);
    if (problem.status >= 500) (req.log ?? logger).error({ err, reqId: req.id }, 'unhandled error');
    if (res.headersSent) return;
    sendProblem(res, req.id as string | undefined, problem);
  };

/** 404 for unknown API paths. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, req.id as string | undefined, {
    status: 404,
    code: 'route_not_found',
    detail: `No route ${req.method} ${req.path}.`,
  });
};
