// The HTTP layer: routes that translate requests into policy decisions and presigned URLs. No options parsing here.
import { randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { InvalidRequestError, UnauthorizedError, DirectUploadError, ForbiddenError, FileTooLargeError, UploadMismatchError, NotFoundError, problemHandler } from './errors';
import type { Configuration, KeyContext, UploadedObject } from './options';
import { extensionForContentType, isContentTypeAllowed, parseContentType } from './policy/content-type';
import { defaultObjectKey, filenameExtension, isOwnedBy, keyProblem, ownerPrefix } from './policy/key';
import { MAX_SINGLE_PUT_SIZE, partLength, partPlan, type PartPlan } from './policy/parts';
import type { Presigner } from './presigner';
import type { Storage, StoredPart } from './storage';
import { isJsonContentType, jsonBody } from './json-body';
import { checkMaxFileSize, invalidFields, parseByteCount, readUploadRequest, type FieldError, type UploadRequest } from './upload-request';

/** What the router needs besides its configuration; injected so it reads no globals. */
export interface RouterDependencies {
  presigner: Presigner;
  /** The server's own S3 calls: multipart bookkeeping and verification. */
  storage: Storage;
  /** Runs before every route: authentication and scope checks. */
  authenticate: RequestHandler[];
}

/** The caller's identity and folder, established once per request. */
interface Caller {
  owner: string;
  prefix: string;
}

/** Body of a successful single-PUT presign. */
export interface PutUploadResponse {
  method: 'PUT';
  url: string;
  /** Same as `url`, on `GET /uploads` only: the name the AWS sample and its Postman steps use. */
  uploadURL?: string;
  key: string;
  /** Headers the client must send with exactly these values (Content-Length comes from the body). */
  headers: Record<string, string>;
  size?: number;
  expiresAt: string;
}

/** Body of a started multipart upload. */
export interface MultipartUploadResponse {
  method: 'MULTIPART';
  key: string;
  uploadId: string;
  size: number;
  partSize: number;
  partCount: number;
}

/** Body of a verified upload. */
export interface VerifiedUploadResponse {
  key: string;
  size: number;
  contentType: string;
  etag?: string;
}

/** Object metadata that records the size the server authorised, so verification needs no server-side state. */
const DECLARED_SIZE_METADATA = 'declared-size';
const UPLOAD_ID = /^[\x21-\x7e]{1,1024}$/;
/** Owners whose folder is remembered; past this the map starts over, so many distinct users cannot grow memory. */
const OWNER_PREFIX_CACHE_SIZE = 10_000;

/** Express 4 does not catch rejected promises; this forwards them to the error handler. */
const handle = (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  function routeHandler(req, res, next) {
    fn(req, res).catch(next);
  };

/** RFC 6266 `attachment` with an ASCII fallback and the UTF-8 name. */
function attachmentDisposition(filename: string): string {
  const base = filename.split(/[\\/]/).pop() as string;
  const ascii = base.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

export function createRouter(config: Configuration, deps: RouterDependencies): Router {
  const router = express.Router();
  const body = jsonBody();

  // The owner's folder is a SHA-256 of the identity: remembered per user, in a bounded map, off the hot path.
  const prefixes = new Map<string, string>();
  function callerOf(req: Request): Caller {
    const owner = config.owner(req);
    if (typeof owner !== 'string' || owner.length === 0) {
      throw new UnauthorizedError('The token does not identify a user (no "sub" claim).');
    }
    let prefix = prefixes.get(owner);
    if (prefix === undefined) {
      if (prefixes.size >= OWNER_PREFIX_CACHE_SIZE) prefixes.clear();
      prefix = ownerPrefix(config.keyPrefix, owner);
      prefixes.set(owner, prefix);
    }
    return { owner, prefix };
  }

  function keyContext(req: Request, caller: Caller, upload: UploadRequest): KeyContext {
    return {
      owner: caller.owner,
      ownerPrefix: caller.prefix,
      uuid: randomUUID(),
      extension: filenameExtension(upload.filename) || extensionForContentType(upload.contentType.essence),
      filename: upload.filename,
      contentType: upload.contentType.value,
      size: upload.size,
      req,
    };
  }

  /** The key for a new upload: the hook's choice, checked, or the default. */
  function objectKey(ctx: KeyContext): string {
    if (!config.key) return defaultObjectKey(ctx.ownerPrefix, ctx.uuid, ctx.extension);
    const key = config.key(ctx);
    const problem = keyProblem(key, ctx.ownerPrefix);
    // A bad key from the hook is the server's bug, not the client's: it must not become a 4xx the client can't fix.
    if (problem) throw new DirectUploadError(`The key option returned an unusable key: ${problem}.`);
    return key;
  }

  /** Headers that become part of the object (signed, so the client can't change them). */
  function objectHeaders(ctx: KeyContext, upload: UploadRequest): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': upload.contentType.value };
    if (config.contentDisposition && upload.filename) headers['content-disposition'] = attachmentDisposition(upload.filename);
    if (config.acl) headers['x-amz-acl'] = config.acl;
    if (config.metadata) {
      for (const [name, value] of Object.entries(config.metadata(ctx))) {
        if (!/^[a-z0-9-]+$/i.test(name) || /[^\x20-\x7e]/.test(value)) {
          throw new DirectUploadError(`The metadata option returned an unusable entry "${name}": names are letters, digits and -; values printable ASCII.`);
        }
        if (name.toLowerCase() === DECLARED_SIZE_METADATA) throw new DirectUploadError(`The metadata name "${DECLARED_SIZE_METADATA}" is reserved for verification.`);
        headers[`x-amz-meta-${name.toLowerCase()}`] = value;
      }
    }
    return headers;
  }

  async function presignPut(req: Request, upload: UploadRequest): Promise<PutUploadResponse> {
    const caller = callerOf(req);
    const ctx = keyContext(req, caller, upload);
    const key = objectKey(ctx);
    const signedHeaders = objectHeaders(ctx, upload);
    if (upload.size !== undefined) signedHeaders['content-length'] = String(upload.size);
    if (upload.contentMD5) signedHeaders['content-md5'] = upload.contentMD5;
    const now = config.clock();
    const url = await deps.presigner.presign({ method: 'PUT', key, headers: signedHeaders, expiresIn: config.expiresIn, signingDate: now });

    // x-amz-* headers travel in the signed query string (but the ACL); content-length is set by the client from the body.
    const clientHeaders: Record<string, string> = { 'Content-Type': upload.contentType.value };
    if (signedHeaders['content-disposition']) clientHeaders['Content-Disposition'] = signedHeaders['content-disposition'];
    if (signedHeaders['x-amz-acl']) clientHeaders['x-amz-acl'] = signedHeaders['x-amz-acl'];
    if (upload.contentMD5) clientHeaders['Content-MD5'] = upload.contentMD5;
    return {
      method: 'PUT',
      url,
      key,
      headers: clientHeaders,
      ...(upload.size !== undefined ? { size: upload.size } : {}),
      expiresAt: new Date(now.getTime() + config.expiresIn * 1000).toISOString(),
    };
  }

  /** Starts a multipart upload in S3 (the one S3 call of the start step) and returns its plan. */
  async function startMultipart(req: Request, upload: UploadRequest): Promise<MultipartUploadResponse> {
    const multipart = config.multipart;
    if (!multipart) throw new InvalidRequestError('Multipart uploads are turned off on this server.');
    const size = upload.size as number;
    const caller = callerOf(req);
    const ctx = keyContext(req, caller, upload);
    const key = objectKey(ctx);
    const headers = objectHeaders(ctx, upload);
    const metadata: Record<string, string> = { [DECLARED_SIZE_METADATA]: String(size) };
    for (const [name, value] of Object.entries(headers)) {
      if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = value;
    }
    const uploadId = await deps.storage.createMultipartUpload({
      key,
      contentType: upload.contentType.value,
      contentDisposition: headers['content-disposition'],
      acl: config.acl,
      metadata,
    });
    const plan = partPlan(size, multipart.partSize);
    return { method: 'MULTIPART', key, uploadId, size, partSize: plan.partSize, partCount: plan.partCount };
  }

  /** Reads `{ key }` (and `uploadId` when asked) and checks that the key is in the caller's folder. */
  function readObjectRef(req: Request, source: unknown, withUploadId: boolean): { key: string; uploadId: string; caller: Caller } {
    const input = (typeof source === 'object' && source !== null ? source : {}) as Record<string, unknown>;
    const errors: FieldError[] = [];
    if (typeof input.key !== 'string' || input.key.length === 0 || input.key.length > 1024) errors.push({ field: 'key', detail: 'key must be the key the upload was given' });
    if (withUploadId && (typeof input.uploadId !== 'string' || !UPLOAD_ID.test(input.uploadId))) errors.push({ field: 'uploadId', detail: 'uploadId must be the id the upload was given' });
    if (errors.length > 0) throw invalidFields(errors);
    const caller = callerOf(req);
    const key = input.key as string;
    // Keys are derived from the owner, so a key outside the caller's folder is someone else's (or nobody's).
    if (!isOwnedBy(key, caller.prefix)) throw new ForbiddenError('This upload does not belong to you.');
    return { key, uploadId: withUploadId ? (input.uploadId as string) : '', caller };
  }

  /** Reads the declared total size of a multipart upload and its plan. */
  function readPlan(source: Record<string, unknown>): PartPlan {
    const multipart = config.multipart;
    if (!multipart) throw new InvalidRequestError('Multipart uploads are turned off on this server.');
    const size = parseByteCount(source.size, false);
    if (size === undefined || size < 1) {
      throw new InvalidRequestError('size must be the total size in bytes that the upload was started with.', [{ field: 'size', detail: 'size must be a positive whole number' }]);
    }
    checkMaxFileSize(size, config);
    return partPlan(size, multipart.partSize);
  }

  /**
   * Checks an object in the bucket against what was authorised. A mismatch deletes it (when configured) and is a 409.
   * Returns what the onUploaded hook and the client are told.
   */
  async function verifyObject(req: Request, key: string, caller: Caller, expected: { size?: number; contentType?: string }): Promise<VerifiedUploadResponse> {
    const object = await deps.storage.headObject(key);
    const declared = object.metadata[DECLARED_SIZE_METADATA];
    const type = parseContentType(object.contentType);
    const problems: string[] = [];
    if (object.size > config.maxFileSize) problems.push(`its size ${object.size} is over the limit of ${config.maxFileSize} bytes`);
    if (object.size < config.minFileSize) problems.push(`its size ${object.size} is under the minimum of ${config.minFileSize} bytes`);
    if (declared !== undefined && declared !== String(object.size)) problems.push(`its size ${object.size} is not the ${declared} bytes declared`);
    if (expected.size !== undefined && expected.size !== object.size) problems.push(`its size ${object.size} is not the ${expected.size} bytes expected`);
    if (!type || !isContentTypeAllowed(type, config.allowedContentTypes)) problems.push(`its type "${object.contentType}" is not allowed`);
    if (expected.contentType !== undefined && type && parseContentType(expected.contentType)?.essence !== type.essence) {
      problems.push(`its type "${object.contentType}" is not the "${expected.contentType}" expected`);
    }
    if (problems.length > 0) {
      if (config.deleteRejectedUploads) await deps.storage.deleteObject(key);
      throw new UploadMismatchError(`The uploaded object does not match what was authorised: ${problems.join('; ')}.${config.deleteRejectedUploads ? ' It was deleted.' : ''}`);
    }
    const verified: VerifiedUploadResponse = { key, size: object.size, contentType: object.contentType, ...(object.etag ? { etag: object.etag } : {}) };
    if (config.onUploaded) {
      const info: UploadedObject = { ...verified, bucket: deps.presigner.bucket, owner: caller.owner };
      await config.onUploaded(info, req);
    }
    return verified;
  }

  /**
   * Writes a JSON answer. Not res.json(): Express would hash the body for an ETag that a no-store answer never
   * uses, which the benchmark showed as a sixth of the route's cost.
   */
  function sendJson(res: Response, status: number, payload: unknown): void {
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      // Presigned URLs are bearer credentials for a few minutes: keep them out of shared caches.
      'Cache-Control': 'no-store',
    });
    res.end(text);
  }

  /**
   * GET /uploads?contentType=image/jpeg&filename=photo.jpg&size=12345
   * The AWS sample's route: returns `{ uploadURL, key, method, url, headers, size, expiresAt }` for one PUT.
   */
  const presignFromQuery = handle(async (req, res) => {
    const upload = readUploadRequest(req.query, true, config);
    const presigned = await presignPut(req, upload);
    sendJson(res, 200, { ...presigned, uploadURL: presigned.url });
  });

  function requireJson(req: Request): void {
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new InvalidRequestError('Send the request details as JSON with Content-Type: application/json.');
    }
  }

  /**
   * POST /uploads  { filename, contentType, size, contentMD5? }
   * Returns `{ method: 'PUT', url, headers, key, size, expiresAt }`; above `multipart.threshold` it starts a
   * multipart upload instead and returns `{ method: 'MULTIPART', key, uploadId, size, partSize, partCount }`.
   */
  const presignFromBody = handle(async (req, res) => {
    requireJson(req);
    const upload = readUploadRequest(req.body, false, config);
    const size = upload.size as number;
    if (config.multipart && size > config.multipart.threshold) return sendJson(res, 201, await startMultipart(req, upload));
    if (size > MAX_SINGLE_PUT_SIZE) throw new FileTooLargeError('One PUT carries at most 5 GiB; this server has multipart uploads turned off.');
    sendJson(res, 200, await presignPut(req, upload));
  });

  /**
   * POST /uploads/multipart  { filename, contentType, size }
   * Starts a multipart upload whatever the size. Returns `{ method: 'MULTIPART', key, uploadId, size, partSize, partCount }`.
   */
  const startMultipartUpload = handle(async (req, res) => {
    requireJson(req);
    sendJson(res, 201, await startMultipart(req, readUploadRequest(req.body, false, config)));
  });

  /**
   * POST /uploads/multipart/parts  { key, uploadId, size, partNumbers: [1, 2, ...] }
   * Signs one PUT per part; each URL signs the part's exact length. No S3 call.
   * Returns `{ parts: [{ partNumber, url, size }], expiresAt }`.
   */
  const signParts = handle(async (req, res) => {
    requireJson(req);
    const { key, uploadId } = readObjectRef(req, req.body, true);
    const plan = readPlan(req.body);
    const numbers: unknown = req.body.partNumbers;
    const limit = (config.multipart as { maxPartsPerRequest: number }).maxPartsPerRequest;
    if (!Array.isArray(numbers) || numbers.length === 0 || numbers.length > limit) {
      throw new InvalidRequestError(`partNumbers must be a list of 1 to ${limit} part numbers.`, [{ field: 'partNumbers', detail: `1 to ${limit} part numbers` }]);
    }
    const unique = new Set<number>();
    for (const n of numbers) {
      if (!Number.isSafeInteger(n) || n < 1 || n > plan.partCount) {
        throw new InvalidRequestError(`Part number ${JSON.stringify(n)} is outside 1..${plan.partCount} for a ${plan.size}-byte upload.`, [{ field: 'partNumbers', detail: `each must be 1..${plan.partCount}` }]);
      }
      unique.add(n);
    }
    const now = config.clock();
    const parts = await Promise.all(
      [...unique].map(async (partNumber) => {
        const size = partLength(plan, partNumber);
        const url = await deps.presigner.presign({
          method: 'PUT',
          key,
          query: { partNumber: String(partNumber), uploadId },
          headers: { 'content-length': String(size) },
          expiresIn: config.expiresIn,
          signingDate: now,
        });
        return { partNumber, url, size };
      }),
    );
    sendJson(res, 200, { parts, expiresAt: new Date(now.getTime() + config.expiresIn * 1000).toISOString() });
  });

  /**
   * GET /uploads/multipart/parts?key=...&uploadId=...
   * The parts S3 already holds, for resuming. Returns `{ key, uploadId, parts: [{ partNumber, size, etag }] }`.
   */
  const listParts = handle(async (req, res) => {
    const { key, uploadId } = readObjectRef(req, req.query, true);
    const parts = await deps.storage.listParts(key, uploadId);
    sendJson(res, 200, { key, uploadId, parts });
  });

  /**
   * POST /uploads/multipart/complete  { key, uploadId, size }
   * Checks with ListParts that every planned part is there with its planned size, completes the upload, then
   * verifies the object. Idempotent: once completed, a repeat only verifies. Returns `{ key, size, contentType, etag }`.
   */
  const completeMultipart = handle(async (req, res) => {
    requireJson(req);
    const { key, uploadId, caller } = readObjectRef(req, req.body, true);
    const plan = readPlan(req.body);
    let parts: StoredPart[];
    try {
      parts = await deps.storage.listParts(key, uploadId);
    } catch (err) {
      // The upload is gone: either completed before (then the object is there) or aborted/never existed (404).
      if (err instanceof NotFoundError) return sendJson(res, 200, await verifyObject(req, key, caller, { size: plan.size }));
      throw err;
    }
    const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
    const missing: number[] = [];
    const wrongSize: string[] = [];
    for (let n = 1; n <= plan.partCount; n++) {
      const part = byNumber.get(n);
      if (!part) missing.push(n);
      else if (part.size !== partLength(plan, n)) wrongSize.push(`part ${n} is ${part.size} bytes, not ${partLength(plan, n)}`);
    }
    const extra = parts.filter((p) => p.partNumber > plan.partCount).map((p) => p.partNumber);
    if (missing.length > 0 || wrongSize.length > 0 || extra.length > 0) {
      const details = [
        missing.length > 0 ? `missing parts ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ` and ${missing.length - 20} more` : ''}` : '',
        ...wrongSize.slice(0, 5),
        extra.length > 0 ? `unexpected parts ${extra.slice(0, 20).join(', ')}` : '',
      ].filter(Boolean);
      const error = new UploadMismatchError(`The upload is not complete: ${details.join('; ')}. Upload the missing parts, then complete again.`);
      error.code = 'incomplete_upload';
      throw error;
    }
    await deps.storage.completeMultipartUpload(key, uploadId, parts);
    sendJson(res, 200, await verifyObject(req, key, caller, { size: plan.size }));
  });

  /**
   * DELETE /uploads/multipart?key=...&uploadId=...
   * Aborts the upload and frees its parts. Idempotent: 204 whether or not it still existed.
   */
  const abortMultipart = handle(async (req, res) => {
    const { key, uploadId } = readObjectRef(req, req.query, true);
    try {
      await deps.storage.abortMultipartUpload(key, uploadId);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    res.status(204).setHeader('Cache-Control', 'no-store');
    res.end();
  });

  /**
   * POST /uploads/complete  { key, size?, contentType? }
   * Verifies a finished single-PUT upload with HeadObject (exists, size and type as authorised), then calls
   * `onUploaded`. Idempotent. Returns `{ key, size, contentType, etag }`.
   */
  const completeUpload = handle(async (req, res) => {
    requireJson(req);
    const { key, caller } = readObjectRef(req, req.body, false);
    const { size, contentType } = req.body as { size?: unknown; contentType?: unknown };
    if (size !== undefined && parseByteCount(size, false) === undefined) throw new InvalidRequestError('size must be a whole number of bytes.', [{ field: 'size', detail: 'whole number of bytes' }]);
    if (contentType !== undefined && (typeof contentType !== 'string' || !parseContentType(contentType))) throw new InvalidRequestError('contentType must be a media type.', [{ field: 'contentType', detail: 'a media type such as "image/jpeg"' }]);
    sendJson(res, 200, await verifyObject(req, key, caller, { size: size as number | undefined, contentType: contentType as string | undefined }));
  });

  function methodNotAllowed(allow: string): RequestHandler {
    return function uploadsMethodNotAllowed(req, res, next) {
      const error = new InvalidRequestError(`${req.method} is not supported here. Use ${allow}.`);
      error.status = 405;
      error.code = 'method_not_allowed';
      error.title = 'Method Not Allowed';
      error.headers = { Allow: allow };
      next(error);
    };
  }

  const path = config.path === '/' ? '' : config.path;
  const auth = deps.authenticate;
  router.get(config.path, ...auth, presignFromQuery);
  router.post(config.path, ...auth, body, presignFromBody);
  router.all(config.path, methodNotAllowed('GET, POST'));
  router.post(`${path}/complete`, ...auth, body, completeUpload);
  router.all(`${path}/complete`, methodNotAllowed('POST'));
  if (config.multipart) {
    router.post(`${path}/multipart`, ...auth, body, startMultipartUpload);
    router.delete(`${path}/multipart`, ...auth, abortMultipart);
    router.all(`${path}/multipart`, methodNotAllowed('POST, DELETE'));
    router.post(`${path}/multipart/parts`, ...auth, body, signParts);
    router.get(`${path}/multipart/parts`, ...auth, listParts);
    router.all(`${path}/multipart/parts`, methodNotAllowed('GET, POST'));
    router.post(`${path}/multipart/complete`, ...auth, body, completeMultipart);
    router.all(`${path}/multipart/complete`, methodNotAllowed('POST'));
  }

  router.use(problemHandler((err, mapped) => config.onError(err, mapped.status)));
  return router;
}
