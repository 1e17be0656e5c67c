/**
 * How failures become HTTP answers: an AsterismError's stable code picks the status, and the
 * body is `{"status": "failed", "code", "message"}` — the shape of IncliNET's failures with
 * the code added, so a client can branch on it. Anything that is not the caller's fault is a
 * 500 whose message hides the internals (they go to the log).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isAsterismError, type AsterismErrorCode } from '../errors.js';

/** The body of every failed answer outside IncliNET's own documented ones. */
export interface FailedBody {
  status: 'failed';
  /** An AsterismError code, a Fastify error code (FST_…), or E_INTERNAL. */
  code: string;
  message: string;
}

const STATUS: Partial<Record<AsterismErrorCode, number>> = {
  E_INVALID_ARGUMENT: 400,
  E_IMAGE_FORMAT: 400,
  E_IMAGE_TRUNCATED: 400,
  E_IMAGE_EMPTY: 400,
  E_FITS_HEADER: 400,
  E_IMAGE_TOO_LARGE: 413,
  E_NOT_FOUND: 404,
  // The client went away or cancelled: nobody reads this, but the log should not call it a fault.
  E_ABORTED: 499,
  E_IMAGE_SOURCE: 502,
  E_BUSY: 503,
  E_TIMEOUT: 504,
};

/** The HTTP status and body for an error thrown while serving a request. */
export function failureOf(error: unknown): { statusCode: number; body: FailedBody } {
  if (isAsterismError(error)) {
    return { statusCode: STATUS[error.code] ?? 500, body: { status: 'failed', code: error.code, message: error.message } };
  }
  const fastify = error as Partial<FastifyError>;
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return { statusCode: fastify.statusCode, body: { status: 'failed', code: fastify.code ?? 'E_INVALID_ARGUMENT', message: fastify.message ?? 'bad request' } };
  }
  return { statusCode: 500, body: { status: 'failed', code: 'E_INTERNAL', message: 'internal error: the server could not handle this request (see its log)' } };
}

/** Fastify's error handler: every uncaught route error ends here. */
export function sendFailure(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { statusCode, body } = failureOf(error);
  if (statusCode >= 500 && statusCode !== 503 && statusCode !== 504) request.log.error({ err: error }, 'request failed');
  if (statusCode === 503) reply.header('retry-after', '5');
  return reply.code(statusCode).send(body);
}
