// Every failure the middleware reports, as one error family, and the one place that writes them as RFC 9457 problem details.
import type { ErrorRequestHandler, Response } from 'express';
import { UnauthorizedError as BearerError } from 'express-oauth2-jwt-bearer';

/** Media type of every error body (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Base of all request-time errors: carries the HTTP status, a stable code, and headers to send. */
export class DirectUploadError extends Error {
  /** HTTP status code. */
  status = 500;
  /** Stable machine-readable code, documented in README "Errors". */
  code = 'internal_error';
  /** Short, human-readable summary of the problem type. */
  title = 'Internal Server Error';
  /** Extra response headers, e.g. `WWW-Authenticate`. */
  headers: Record<string, string> = {};
  /** Per-field details for validation errors. */
  errors?: Array<{ field: string; detail: string }>;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed or a field is invalid (400). */
export class InvalidRequestError extends DirectUploadError {
  status = 400;
  code = 'invalid_request';
  title = 'Invalid request';
  constructor(message: string, errors?: Array<{ field: string; detail: string }>) {
    super(message);
    this.errors = errors;
  }
}

/** No bearer token, or one that did not verify (401). */
export class UnauthorizedError extends DirectUploadError {
  status = 401;
  code = 'invalid_token';
  title = 'Unauthorized';
  headers: Record<string, string> = { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"' };
}

/** The caller lacks a scope, or names an object that is not theirs (403). */
export class ForbiddenError extends DirectUploadError {
  status = 403;
  code = 'forbidden';
  title = 'Forbidden';
}

/** The named upload or object does not exist (404). */
export class NotFoundError extends DirectUploadError {
  status = 404;
  code = 'not_found';
  title = 'Not Found';
}

/** The upload no longer matches what was authorised, e.g. its size or type differs (409). */
export class UploadMismatchError extends DirectUploadError {
  status = 409;
  code = 'upload_mismatch';
  title = 'Upload does not match what was authorised';
}

/** The declared size is over `maxFileSize` (413). */
export class FileTooLargeError extends DirectUploadError {
  status = 413;
  code = 'file_too_large';
  title = 'File too large';
}

/** The declared content type is not in `allowedContentTypes` (415). */
export class UnsupportedContentTypeError extends DirectUploadError {
  status = 415;
  code = 'unsupported_content_type';
  title = 'Content type not allowed';
}

/** The caller sent too many requests (429); for hosts that rate-limit in front of the router, with `sendProblem`. */
export class RateLimitedError extends DirectUploadError {
  status = 429;
  code = 'rate_limited';
  title = 'Too Many Requests';
  /** `retryAfterSeconds` that is not a finite number (a limiter without a reset time) sends no Retry-After. */
  constructor(message: string, retryAfterSeconds?: number) {
    super(message);
    if (Number.isFinite(retryAfterSeconds)) this.headers = { 'Retry-After': String(Math.max(0, Math.ceil(retryAfterSeconds as number))) };
  }
}

/** S3 could not be reached or refused the server's own call (503); only routes that call S3 raise it. */
export class StorageUnavailableError extends DirectUploadError {
  status = 503;
  code = 'storage_unavailable';
  title = 'Storage unavailable';
}

/** The identity provider's discovery document or JWKS could not be fetched (503). */
export class AuthUnavailableError extends DirectUploadError {
  status = 503;
  code = 'auth_unavailable';
  title = 'Identity provider unavailable';
}

/** A construction-time mistake in the options; names the option and the fix. */
export class DirectUploadOptionsError extends Error {
  constructor(
    /** The option at fault, e.g. `maxFileSize`. */
    readonly option: string,
    message: string,
  ) {
    super(`express-direct-upload: ${message}`);
    this.name = 'DirectUploadOptionsError';
  }
}

/** Turns anything thrown in a route into a `DirectUploadError`, so nothing reaches the client as a stack trace. */
export function toDirectUploadError(err: unknown): DirectUploadError {
  if (err instanceof DirectUploadError) return err;
  if (err instanceof BearerError) {
    // express-oauth2-jwt-bearer: 401 invalid_token, 400 invalid_request, 403 insufficient_scope. Keep its challenge.
    const mapped =
      err.status === 403 ? new ForbiddenError(err.message) : err.status === 400 ? new InvalidRequestError(err.message) : new UnauthorizedError(err.message || 'A bearer token is required.');
    if (err.status === 403) mapped.code = 'insufficient_scope';
    else if (err.status === 401) mapped.code = (err as { code?: string }).code || 'invalid_token';
    mapped.headers = { ...err.headers };
    return mapped;
  }
  return new DirectUploadError('The server failed to handle this request.');
}

/** Writes a problem+json response; the one place that serialises errors. */
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
      // A 500 is a bug on the server: its message is for the logs (onError), not for the client.
      detail: error.status === 500 ? 'The server failed to handle this request.' : error.message,
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
