// Diagnostic: POST /uploads as router.ts could serve it, with three changes, to show what they buy against auth alone.
import { randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { BadRequestError as InvalidRequestError, AuthenticationRequiredError as UnauthorizedError } from '../middleware/errors';
import { problemHandler } from '../middleware/http/problem';
import type { Configuration } from '../middleware/options';
import type { Presigner } from '../middleware/s3/presigner';
import { extensionForContentType } from '../middleware/upload/content-types';
import { defaultObjectKey, filenameExtension, ownerPrefix } from '../middleware/upload/keys';
import { readUploadRequest } from '../middleware/upload/request';

/** Same limit as the router's express.json(). */
const BODY_LIMIT = 16 * 1024;
/** Bound on cached owner folders, so a flood of distinct users cannot grow memory. */
const OWNER_CACHE_SIZE = 10_000;

/** Change 1: read the small JSON body directly: no type-is/charset negotiation, no raw-body/iconv stream machinery. */
function readJsonBody(req: Request, done: (err: Error | undefined, body?: unknown) => void): void {
  const type = req.headers['content-type'] ?? '';
  const essence = type.split(';', 1)[0].trim().toLowerCase();
  if (essence !== 'application/json' && !/^application\/[^/]+\+json$/.test(essence)) {
    return done(new InvalidRequestError('Send the upload details as JSON with Content-Type: application/json.'));
  }
  const chunks: Buffer[] = [];
  let length = 0;
  req.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length <= BODY_LIMIT) chunks.push(chunk);
  });
  req.on('error', (err) => done(err));
  req.on('end', () => {
    if (length > BODY_LIMIT) return done(new InvalidRequestError('The request body is too large.'));
    try {
      done(undefined, JSON.parse(Buffer.concat(chunks, length).toString('utf8')));
    } catch {
      done(new InvalidRequestError('The request body is not valid JSON.'));
    }
  });
}

/**
 * POST <path> { filename, contentType, size } → the same JSON as directUpload()'s POST /uploads (default options).
 * Same auth, validation, key naming and Presigner; it differs only in the three changes marked here.
 */
export function leanPresignRouter(
  config: Configuration,
  presigner: Presigner,
  authenticate: RequestHandler[],
  path: string,
  /** Undo one change at a time, to see what each is worth. */
  undo: { expressJson?: boolean; resJson?: boolean } = {},
): Router {
  const router = express.Router();
  // With undo.expressJson the body is read by express.json(), mounted as the router mounts it, before the handler.
  const jsonBody = express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] });
  const readBody = (req: Request, done: (err: Error | undefined, body?: unknown) => void): void =>
    undo.expressJson ? done(undefined, req.body) : readJsonBody(req, done);
  // Change 2: the owner's folder (a SHA-256 of `sub`) is computed once per user, not once per request.
  const prefixes = new Map<string, string>();
  const prefixOf = (owner: string): string => {
    let prefix = prefixes.get(owner);
    if (prefix === undefined) {
      if (prefixes.size >= OWNER_CACHE_SIZE) prefixes.clear();
      prefix = ownerPrefix(config.keyPrefix, owner);
      prefixes.set(owner, prefix);
    }
    return prefix;
  };

  router.post(path, ...authenticate, ...(undo.expressJson ? [jsonBody] : []), function leanPresign(req, res, next) {
    readBody(req, (err, body) => {
      if (err) return next(err);
      (async () => {
        const upload = readUploadRequest(body, false, config);
        const owner = config.owner(req);
        if (!owner) throw new UnauthorizedError('The token does not identify a user (no "sub" claim).');
        const extension = filenameExtension(upload.filename) || extensionForContentType(upload.contentType.essence);
        const key = defaultObjectKey(prefixOf(owner), randomUUID(), extension);
        const now = config.clock();
        const headers: Record<string, string> = { 'content-type': upload.contentType.value, 'content-length': String(upload.size) };
        const url = await presigner.presign({ method: 'PUT', key, headers, expiresIn: config.expiresIn, signingDate: now });
        const payload = JSON.stringify({
          method: 'PUT',
          url,
          uploadURL: url,
          key,
          headers: { 'Content-Type': upload.contentType.value },
          size: upload.size,
          expiresAt: new Date(now.getTime() + config.expiresIn * 1000).toISOString(),
        });
        // Change 3: write the response directly. res.json() would hash the body for an ETag that `no-store` makes useless.
        if (undo.resJson) {
          res.status(200).setHeader('Cache-Control', 'no-store');
          res.json(JSON.parse(payload));
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(payload), 'Cache-Control': 'no-store' });
        res.end(payload);
      })().catch(next);
    });
  });
  router.use(problemHandler((err, mapped) => config.onError(err, mapped.status)));
  return router;
}
