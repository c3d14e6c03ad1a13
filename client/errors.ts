// The errors the upload client throws: the server's problem+json, storage's refusals, network failures, cancellation.

/** One field the server found wrong, from the problem's `errors` list. */
export interface ProblemFieldError {
  field: string;
  detail: string;
}

/** Base of every error the client throws. `retryable` says whether the same request may succeed later. */
export class UploadError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable = false, cause?: unknown) {
    super(message);
    this.name = new.target.name;
    this.retryable = retryable;
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/** The upload server refused a request; carries its `application/problem+json` (RFC 9457) fields. */
export class UploadProblemError extends UploadError {
  /** HTTP status, e.g. 401, 413, 415. */
  readonly status: number;
  /** The server's stable code, e.g. `file_too_large`, `invalid_token`; `http_<status>` when the body was not a problem. */
  readonly code: string;
  readonly title: string;
  /** The server's explanation, with exact byte counts where sizes are involved. */
  readonly detail: string;
  /** Per-field details of a 400. */
  readonly errors: ProblemFieldError[];
  /** Seconds the server asked to wait (`Retry-After`), on 429 and 503. */
  readonly retryAfter?: number;

  constructor(status: number, problem: Partial<{ code: string; title: string; detail: string; errors: ProblemFieldError[] }>, retryAfter?: number) {
    const title = problem.title || `HTTP ${status}`;
    const detail = problem.detail || title;
    const code = problem.code || `http_${status}`;
    // Worth retrying: the server or S3 was briefly unavailable, rate-limited, or a multipart upload is missing parts.
    super(detail, status === 408 || status === 429 || status === 502 || status === 503 || status === 504 || code === 'incomplete_upload');
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

/** Storage (S3) answered the upload itself with an error, e.g. 403 SignatureDoesNotMatch or 503 SlowDown. */
export class UploadStorageError extends UploadError {
  readonly status: number;
  /** S3's error `Code` from its XML body, when the body was readable. */
  readonly code?: string;
  /** The presigned URL had expired: a fresh one is needed, and the client gets one when it retries. */
  readonly expired: boolean;

  constructor(status: number, code: string | undefined, message: string, expired: boolean) {
    super(message, expired || status === 408 || status === 429 || status >= 500);
    this.status = status;
    this.code = code;
    this.expired = expired;
  }

  /** Reads S3's XML error body (`<Code>`, `<Message>`). */
  static fromResponse(status: number, body: string): UploadStorageError {
    const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
    const text = /<Message>([^<]*)<\/Message>/.exec(body)?.[1];
    const expired = /expired/i.test(text ?? '') || code === 'ExpiredToken';
    const why = code ? `${code}${text ? `: ${text}` : ''}` : `HTTP ${status}`;
    return new UploadStorageError(status, code, `Storage refused the upload (${why}).`, expired);
  }
}

/** No HTTP answer at all: the server or storage could not be reached, the connection dropped, or CORS hid the answer. */
export class UploadNetworkError extends UploadError {
  /** Which leg failed: the upload server's API, or the transfer to storage. */
  readonly target: 'server' | 'storage';
  constructor(target: 'server' | 'storage', message: string, cause?: unknown) {
    super(message, true, cause);
    this.target = target;
  }
}

/** The caller's AbortSignal fired. A multipart upload was aborted in S3 before this was thrown. */
export class UploadCancelledError extends UploadError {
  constructor() {
    super('The upload was cancelled.');
  }
}
