// The one place that writes errors: maps anything thrown to our error family and sends it as RFC 9457 problem+json.
import type { ErrorRequestHandler, Response } from 'express';
import {
  InsufficientScopeError as BearerScopeError,
  InvalidRequestError as BearerRequestError,
  UnauthorizedError as BearerError,
} from 'express-oauth2-jwt-bearer';
import { AuthenticationRequiredError, BadRequestError, DirectUploadError, MissingScopeError } from '../errors';

/** Media type of every error body (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** What a client is told about a 500: its message is for the logs (`onError`), not for the client. */
const INTERNAL_DETAIL = 'The server failed to handle this request.';

/**
 * Turns anything thrown in a route into a `DirectUploadError`, so nothing reaches the client as a stack trace.
 * express-oauth2-jwt-bearer's errors map by class, and keep their `WWW-Authenticate` challenge.
 */
export function toDirectUploadError(err: unknown): DirectUploadError {
  if (err instanceof DirectUploadError) return err;
  if (err instanceof BearerError) {
    const init = { headers: { ...err.headers }, cause: err };
    if (err instanceof BearerScopeError) return new MissingScopeError(err.message, init);
    // Its DPoP proof error is a 400 too, but the library does not export that class.
    if (err instanceof BearerRequestError || err.status === 400) return new BadRequestError(err.message, init);
    // The base class (no token, or another scheme) and InvalidTokenError are both a 401.
    return new AuthenticationRequiredError(err.message || 'A bearer token is required.', init);
  }
  return new DirectUploadError(INTERNAL_DETAIL, { cause: err });
}

/** Writes a problem+json response for one of our errors; also for hosts answering in the same format (e.g. a rate limiter). */
export function sendProblem(res: Response, error: DirectUploadError, instance?: string): void {
  res.status(error.status);
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.type(PROBLEM_CONTENT_TYPE);
  res.send(
    JSON.stringify({
      type: `urn:express-direct-upload:problem:${error.code}`,
      title: error.title,
      status: error.status,
      detail: error.status === 500 ? INTERNAL_DETAIL : error.message,
      code: error.code,
      ...(instance ? { instance } : {}),
      ...(error.errors ? { errors: error.errors } : {}),
    }),
  );
}

/**
 * The router's error handler. `onError` sees every error first (for logging); unexpected errors are
 * reported as a bare 500 without internals.
 */
export function problemHandler(onError: (err: unknown, mapped: DirectUploadError) => void): ErrorRequestHandler {
  return function directUploadProblemHandler(err, req, res, next) {
    if (res.headersSent) return next(err);
    const mapped = toDirectUploadError(err);
    onError(err, mapped);
    sendProblem(res, mapped, req.originalUrl.split('?')[0]);
  };
}
