// The one place that writes errors: maps anything thrown to our error family and sends it as RFC 9457 problem+json.
import type { ErrorRequestHandler, Response } from 'express';
import {
  InsufficientScopeError as BearerScopeError,
  InvalidRequestError as BearerRequestError,
  InvalidTokenError as BearerTokenError,
  UnauthorizedError as BearerError,
} from 'express-oauth2-jwt-bearer';
import { AuthenticationRequiredError, BadRequestError, DirectUploadError, MissingScopeError } from '../errors';

/** Media type of every error body (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** What a client is told about a 500: its message is for the logs (`onError`), not for the client. */
const INTERNAL_DETAIL = 'The server failed to handle this request.';

/** How to authenticate, for a request that sent no token (the verifier's own message is just "Unauthorized"). */
export const NO_TOKEN_DETAIL = 'Send an access token in the Authorization header: Authorization: Bearer <token>.';
/** For an Authorization header the verifier cannot split into a scheme and one token (its own message is empty). */
export const MALFORMED_AUTHORIZATION_DETAIL = 'The Authorization header is malformed. Send exactly one token, with one space after the scheme: Authorization: Bearer <token>.';

/**
 * A header value that Node will write: visible ASCII, space and tab only. The verifier quotes the token's header
 * (`alg`, `crit`) in its challenge, so CR/LF or non-Latin-1 text from a caller would otherwise make writing the
 * header throw, or split it. A backslash could escape the challenge's closing quote, so it goes too.
 */
export function safeHeaderValue(value: string): string {
  return value.replace(/[^\x20-\x5b\x5d-\x7e\t]/g, '?');
}

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
    if (err instanceof BearerRequestError || err.status === 400) return new BadRequestError(err.message || MALFORMED_AUTHORIZATION_DETAIL, init);
    if (err instanceof BearerTokenError) return new AuthenticationRequiredError(err.message || 'The access token is not valid.', init);
    // The base class: no token at all (RFC 6750 §3.1: its challenge carries no error code).
    return new AuthenticationRequiredError(NO_TOKEN_DETAIL, init);
  }
  return new DirectUploadError(INTERNAL_DETAIL, { cause: err });
}

/** The body of a problem response. */
function problemBody(error: DirectUploadError, instance?: string): string {
  return JSON.stringify({
    type: `urn:express-direct-upload:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.status === 500 ? INTERNAL_DETAIL : error.message,
    code: error.code,
    ...(instance ? { instance } : {}),
    ...(error.errors ? { errors: error.errors } : {}),
  });
}

/**
 * Writes a problem+json response for one of our errors; also for hosts answering in the same format (e.g. a rate
 * limiter). It never throws: header values are made safe first, and should writing still fail (an error object
 * from elsewhere, a response already half-written), it falls back to a bare answer of the same status, or ends
 * the response.
 */
export function sendProblem(res: Response, error: DirectUploadError, instance?: string): void {
  try {
    const body = problemBody(error, instance);
    res.status(error.status);
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, safeHeaderValue(String(value)));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  } catch {
    sendFallback(res, error);
  }
}

/** The last resort of the error writer: the status (or 500), a fixed body, no headers taken from the error. */
function sendFallback(res: Response, error: DirectUploadError): void {
  try {
    if (res.headersSent) {
      res.end();
      return;
    }
    // Drop what the error asked for (one of those may be what failed); the host's own headers (CORS) stay.
    for (const name of [...Object.keys(error?.headers ?? {}), 'content-length']) res.removeHeader(name);
    const status = Number.isInteger(error?.status) && error.status >= 400 && error.status <= 599 ? error.status : 500;
    const body = JSON.stringify({ title: 'Error', status, detail: INTERNAL_DETAIL });
    res.writeHead(status, { 'Content-Type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } catch {
    res.destroy();
  }
}

/**
 * The router's error handler. `onError` sees every error first (for logging); unexpected errors are
 * reported as a bare 500 without internals.
 */
export function problemHandler(onError: (err: unknown, mapped: DirectUploadError) => void): ErrorRequestHandler {
  return function directUploadProblemHandler(err, req, res, next) {
    if (res.headersSent) return next(err);
    const mapped = toDirectUploadError(err);
    try {
      onError(err, mapped);
    } catch (hookError) {
      // A throwing logger must not turn the answer into Express's HTML error page.
      console.error('express-direct-upload: onError threw', hookError);
    }
    sendProblem(res, mapped, req.originalUrl.split('?')[0]);
  };
}
