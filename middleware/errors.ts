// Every failure the middleware reports, as one error family: each class fixes its HTTP status, code and title.

/** One bad field of a request, as listed in a problem's `errors`. */
export interface FieldError {
  field: string;
  detail: string;
}

/** What a request-time error may carry besides its message. */
export interface ProblemDetailsInit {
  /** Per-field details, for validation errors. */
  errors?: FieldError[];
  /** Extra response headers, e.g. a `WWW-Authenticate` challenge from the token verifier. */
  headers?: Readonly<Record<string, string>>;
  /** The underlying failure, for `onError` and logs; never sent to the client. */
  cause?: unknown;
}

/**
 * Base of all request-time errors, and itself the 500 for a bug on the server. Each subclass fixes `status`, `code`
 * and `title`, so `instanceof` tells the answer; the fields are read-only once built.
 */
export class DirectUploadError extends Error {
  /** HTTP status code. */
  readonly status: number = 500;
  /** Stable machine-readable code, documented in README "Errors". */
  readonly code: string = 'internal_error';
  /** Short, human-readable summary of the problem type. */
  readonly title: string = 'Internal Server Error';
  /** Extra response headers, e.g. `WWW-Authenticate`, `Allow` or `Retry-After`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Per-field details for validation errors. */
  readonly errors?: readonly FieldError[];

  constructor(message: string, init: ProblemDetailsInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.headers = init.headers ?? {};
    if (init.errors) this.errors = init.errors;
  }
}

/** The request is malformed or a field is invalid (400 invalid_request). */
export class BadRequestError extends DirectUploadError {
  readonly status: number = 400;
  readonly code: string = 'invalid_request';
  readonly title: string = 'Invalid request';
}

/** The WWW-Authenticate challenge of a 401 when the token verifier gave none. */
const INVALID_TOKEN_CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="api", error="invalid_token"' };

/** No bearer token, one that did not verify, or one that names no user (401 invalid_token, with a challenge). */
export class AuthenticationRequiredError extends DirectUploadError {
  readonly status: number = 401;
  readonly code: string = 'invalid_token';
  readonly title: string = 'Unauthorized';
  constructor(message: string, init: ProblemDetailsInit = {}) {
    super(message, { ...init, headers: init.headers ?? INVALID_TOKEN_CHALLENGE });
  }
}

/** The token lacks a scope listed in `requiredScopes` (403 insufficient_scope). */
export class MissingScopeError extends DirectUploadError {
  readonly status: number = 403;
  readonly code: string = 'insufficient_scope';
  readonly title: string = 'Forbidden';
}

/** The caller names an object or upload that is not theirs (403 forbidden). */
export class ForbiddenError extends DirectUploadError {
  readonly status: number = 403;
  readonly code: string = 'forbidden';
  readonly title: string = 'Forbidden';
}

/** The named upload or object does not exist (404 not_found). */
export class NotFoundError extends DirectUploadError {
  readonly status: number = 404;
  readonly code: string = 'not_found';
  readonly title: string = 'Not Found';
}

/** The route exists but not for this method (405 method_not_allowed, with an `Allow` header). */
export class MethodNotAllowedError extends DirectUploadError {
  readonly status: number = 405;
  readonly code: string = 'method_not_allowed';
  readonly title: string = 'Method Not Allowed';
  constructor(method: string, allow: string) {
    super(`${method} is not supported here. Use ${allow}.`, { headers: { Allow: allow } });
  }
}

/** The object in the bucket is not what was authorised, e.g. its size or type differs (409 upload_mismatch). */
export class UploadMismatchError extends DirectUploadError {
  readonly status: number = 409;
  readonly code: string = 'upload_mismatch';
  readonly title: string = 'Upload does not match what was authorised';
}

/** A multipart upload lacks parts, or holds parts of the wrong size, when asked to complete (409 incomplete_upload). */
export class IncompleteUploadError extends DirectUploadError {
  readonly status: number = 409;
  readonly code: string = 'incomplete_upload';
  readonly title: string = 'Upload does not match what was authorised';
}

/** The `quarantine.scan` hook has not reached a verdict yet: complete again later (409 scan_pending, with `Retry-After`). */
export class ScanPendingError extends DirectUploadError {
  readonly status: number = 409;
  readonly code: string = 'scan_pending';
  readonly title: string = 'Upload not scanned yet';
  constructor(message: string, retryAfterSeconds = 5) {
    super(message, { headers: { 'Retry-After': String(retryAfterSeconds) } });
  }
}

/** The `quarantine.scan` hook found the upload infected; it was deleted and never reached its key (422 upload_rejected). */
export class UploadRejectedError extends DirectUploadError {
  readonly status: number = 422;
  readonly code: string = 'upload_rejected';
  readonly title: string = 'Upload rejected by the scan';
}

/** The declared size is over `maxFileSize`, or over what one PUT can carry (413 file_too_large). */
export class FileTooLargeError extends DirectUploadError {
  readonly status: number = 413;
  readonly code: string = 'file_too_large';
  readonly title: string = 'File too large';
}

/** The request body itself is over the routes' JSON limit (413 request_too_large). */
export class RequestTooLargeError extends DirectUploadError {
  readonly status: number = 413;
  readonly code: string = 'request_too_large';
  readonly title: string = 'Request body too large';
}

/** The declared content type is not in `allowedContentTypes` (415 unsupported_content_type). */
export class UnsupportedContentTypeError extends DirectUploadError {
  readonly status: number = 415;
  readonly code: string = 'unsupported_content_type';
  readonly title: string = 'Content type not allowed';
}

/**
 * The caller sent too many requests (429 rate_limited); for hosts that rate-limit in front of the router, with
 * `sendProblem`. `Retry-After` is sent only for a finite number of seconds, rounded up.
 */
export class RateLimitedError extends DirectUploadError {
  readonly status: number = 429;
  readonly code: string = 'rate_limited';
  readonly title: string = 'Too Many Requests';
  constructor(message: string, retryAfterSeconds?: number) {
    const retry = typeof retryAfterSeconds === 'number' && Number.isFinite(retryAfterSeconds);
    super(message, retry ? { headers: { 'Retry-After': String(Math.max(0, Math.ceil(retryAfterSeconds))) } } : {});
  }
}

/** The request body stopped arriving before the read deadline (408 request_timeout); the connection is closed. */
export class RequestTimeoutError extends DirectUploadError {
  readonly status: number = 408;
  readonly code: string = 'request_timeout';
  readonly title: string = 'Request Timeout';
  constructor(message: string, init: ProblemDetailsInit = {}) {
    super(message, { ...init, headers: { Connection: 'close', ...init.headers } });
  }
}

/** Seconds a client is asked to wait after a 503: outages of a dependency are usually short, and the deadlines are a few seconds. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;
const RETRY_LATER = { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) };

/**
 * S3 could not be reached in time, or refused the server's own call or credentials (503 storage_unavailable, with
 * `Retry-After`); only routes that call S3 or sign with its credentials raise it.
 */
export class StorageUnavailableError extends DirectUploadError {
  readonly status: number = 503;
  readonly code: string = 'storage_unavailable';
  readonly title: string = 'Storage unavailable';
  constructor(message: string, init: ProblemDetailsInit = {}) {
    super(message, { ...init, headers: { ...RETRY_LATER, ...init.headers } });
  }
}

/**
 * The identity provider's discovery document or JWKS could not be fetched in time, or was not a usable answer
 * (503 auth_unavailable, with `Retry-After`).
 */
export class AuthUnavailableError extends DirectUploadError {
  readonly status: number = 503;
  readonly code: string = 'auth_unavailable';
  readonly title: string = 'Identity provider unavailable';
  constructor(message: string, init: ProblemDetailsInit = {}) {
    super(message, { ...init, headers: { ...RETRY_LATER, ...init.headers } });
  }
}

/** A construction-time mistake in the options; names the option and the fix. */
export class DirectUploadOptionsError extends Error {
  constructor(
    /** The option at fault, e.g. `maxFileSize` (for an unknown option, the one it most likely meant). */
    readonly option: string,
    message: string,
  ) {
    super(`express-direct-upload: ${message}`);
    this.name = 'DirectUploadOptionsError';
  }
}
