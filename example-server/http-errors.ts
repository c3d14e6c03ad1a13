// Maps the errors of Express's own middleware (body-parser, serve-static) onto the error family, so malformed input to the example's routes is a 4xx, never a 500.
import { BadRequestError, DirectUploadError, NotFoundError, RequestTooLargeError } from '../middleware';

/** A 404 distinct from a route's own "not found" (an unknown object), so the page can tell "route not available". */
export class RouteNotFoundError extends NotFoundError {
  readonly code: string = 'route_not_found';
}

/** A static file's `If-Match` / `If-Unmodified-Since` did not hold (412 precondition_failed). */
export class PreconditionFailedError extends DirectUploadError {
  readonly status: number = 412;
  readonly code: string = 'precondition_failed';
  readonly title: string = 'Precondition Failed';
}

/** A static file's `Range` lies outside the file (416 range_not_satisfiable, with `Content-Range: bytes *\/size`). */
export class RangeNotSatisfiableError extends DirectUploadError {
  readonly status: number = 416;
  readonly code: string = 'range_not_satisfiable';
  readonly title: string = 'Range Not Satisfiable';
}

/** The shape of an http-errors error, as body-parser and send (under express.static) raise them. */
interface HttpError {
  status: number;
  expose?: boolean;
  /** body-parser's machine-readable reason, e.g. `entity.parse.failed`. */
  type?: string;
  headers?: Record<string, string>;
}

function isClientHttpError(err: unknown): err is Error & HttpError {
  if (!(err instanceof Error) || err instanceof DirectUploadError) return false;
  const { status, expose } = err as Partial<HttpError>;
  // `expose` is http-errors' own mark of a client error whose message is safe to show.
  return expose === true && typeof status === 'number' && status >= 400 && status < 500;
}

/** Our sentences for body-parser's reasons: its own messages quote parser internals. */
const BODY_PARSER_DETAILS: Readonly<Record<string, string>> = {
  'entity.parse.failed': 'The request body is not valid JSON.',
  'charset.unsupported': 'Send the JSON body in UTF-8.',
  'encoding.unsupported': 'Send the JSON body uncompressed (no Content-Encoding).',
  'request.aborted': 'The request body stopped before its declared length.',
  'request.size.invalid': 'The request body is not as long as its Content-Length says.',
};

/**
 * The error family's answer for a client error raised by Express's own middleware, or the error unchanged.
 * A 4xx keeps its status class: 413 stays "too large", 404 is the page's route_not_found, 412 and 416 keep their
 * meaning for static files; any other (bad JSON, foreign charset, Content-Encoding, a body cut short) is a 400.
 */
export function fromExpressError(err: unknown): unknown {
  if (!isClientHttpError(err)) return err;
  const init = { cause: err };
  switch (err.status) {
    case 404:
      return new RouteNotFoundError('Nothing here.', init);
    case 412:
      return new PreconditionFailedError('The file changed: its ETag or date no longer matches the request\'s precondition.', init);
    case 413:
      return new RequestTooLargeError('The request body is too large: send only the documented fields.', init);
    case 416: {
      const range = err.headers?.['Content-Range'];
      return new RangeNotSatisfiableError('The requested range is outside the file.', { ...init, ...(range ? { headers: { 'Content-Range': range } } : {}) });
    }
    default:
      return new BadRequestError((err.type && BODY_PARSER_DETAILS[err.type]) || 'The request is malformed.', init);
  }
}
