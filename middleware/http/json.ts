// JSON in and out: reads the routes' small JSON bodies and writes their JSON answers, with no per-request work beyond parsing.
import type { Request, RequestHandler, Response } from 'express';
import { BadRequestError, RequestTimeoutError, RequestTooLargeError } from '../errors';

/** Largest body a route accepts: the routes take a few short fields, at most a list of part numbers. */
export const JSON_BODY_LIMIT = 16 * 1024;

function tooLarge(): RequestTooLargeError {
  return new RequestTooLargeError(`The request body is over ${JSON_BODY_LIMIT} bytes: send only the documented fields.`);
}

/** True for `application/json` and `application/*+json`, parameters aside; cheaper than req.is() on the hot path. */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const essence = header.split(';', 1)[0].trim().toLowerCase();
  return essence === 'application/json' || /^application\/[!#$%&'*+.^_`|~0-9a-z-]+\+json$/.test(essence);
}

/** The 400 for a POST route whose body is not JSON. */
export function requireJson(req: Request): void {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new BadRequestError('Send the request details as JSON with Content-Type: application/json.');
  }
}

/** Default read deadline of a body, in ms (the `bodyTimeout` option). */
export const DEFAULT_JSON_READ_TIMEOUT = 10_000;

/**
 * Middleware that parses an `application/json` (or `+json`) body of at most 16 KiB into `req.body`: uncompressed,
 * UTF-8, or a 400/413. The whole body must arrive within `readTimeout` ms, or the answer is a 408 and the
 * connection is closed, so a client that stops sending holds no socket. A body the host app already parsed (its
 * own express.json() before this router) is used as is. Other media types leave `req.body` unset for the route to refuse.
 */
export function jsonBodyParser(readTimeout = DEFAULT_JSON_READ_TIMEOUT): RequestHandler {
  return function readJsonBody(req, res, next) {
    if ((req as { _body?: boolean })._body || req.body !== undefined || !isJsonContentType(req.headers['content-type'])) return next();
    const declared = Number(req.headers['content-length']);
    if (declared > JSON_BODY_LIMIT) return next(tooLarge());
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') return next(new BadRequestError('Send the JSON body uncompressed (no Content-Encoding).'));
    const charset = /;\s*charset=("?)([^";]+)\1/i.exec(req.headers['content-type'] ?? '')?.[2]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') return next(new BadRequestError('Send the JSON body in UTF-8.'));

    const chunks: Buffer[] = [];
    let length = 0;
    let failed = false;
    const timer = setTimeout(() => {
      if (failed) return;
      failed = true;
      // The 408 says Connection: close; once it is sent, the half-read request is destroyed, freeing the socket.
      res.once('finish', () => req.destroy());
      next(new RequestTimeoutError(`The request body did not arrive within ${readTimeout} ms. Send it whole, then wait for the answer.`));
    }, readTimeout);
    req.once('close', () => clearTimeout(timer));
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      length += chunk.length;
      if (length > JSON_BODY_LIMIT) {
        failed = true;
        clearTimeout(timer);
        // The rest of an oversized body is not worth reading: answer now and let the connection close.
        res.setHeader('Connection', 'close');
        return next(tooLarge());
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      if (!failed) {
        failed = true;
        next(new BadRequestError(`The request body could not be read (${err.message}).`));
      }
    });
    req.on('end', () => {
      clearTimeout(timer);
      if (failed) return;
      const text = Buffer.concat(chunks, length).toString('utf8');
      try {
        req.body = text.length === 0 ? undefined : JSON.parse(text);
      } catch {
        return next(new BadRequestError('The request body is not valid JSON.'));
      }
      next();
    });
  };
}

/**
 * Writes a JSON answer with `Cache-Control: no-store`: presigned URLs are bearer credentials for a few minutes and
 * must stay out of shared caches. It sets no ETag, which a no-store answer never uses (res.json() would hash the body for one).
 */
export function sendJson(res: Response, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/** A 204 with `Cache-Control: no-store`. */
export function sendNoContent(res: Response): void {
  res.status(204).setHeader('Cache-Control', 'no-store');
  res.end();
}
