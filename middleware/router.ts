// The HTTP layer: routes that translate requests into policy decisions and presigned URLs. No options parsing here.
import { randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { InvalidRequestError, UnauthorizedError, DirectUploadError, problemHandler } from './errors';
import type { Configuration, KeyContext } from './options';
import { extensionForContentType } from './policy/content-type';
import { defaultObjectKey, filenameExtension, keyProblem, ownerPrefix } from './policy/key';
import type { Presigner } from './presigner';
import { readUploadRequest, type UploadRequest } from './upload-request';

/** What the router needs besides its configuration; injected so it reads no globals. */
export interface RouterDependencies {
  presigner: Presigner;
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
  /** Same as `url`; the name the AWS sample and its Postman steps use. */
  uploadURL: string;
  key: string;
  /** Headers the client must send with exactly these values (Content-Length comes from the body). */
  headers: Record<string, string>;
  size?: number;
  expiresAt: string;
}

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
  const jsonBody = express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] });

  function callerOf(req: Request): Caller {
    const owner = config.owner(req);
    if (typeof owner !== 'string' || owner.length === 0) {
      throw new UnauthorizedError('The token does not identify a user (no "sub" claim).');
    }
    return { owner, prefix: ownerPrefix(config.keyPrefix, owner) };
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

    // x-amz-* headers travel in the signed query string; content-length is set by the client from the body.
    const clientHeaders: Record<string, string> = { 'Content-Type': upload.contentType.value };
    if (signedHeaders['content-disposition']) clientHeaders['Content-Disposition'] = signedHeaders['content-disposition'];
    if (upload.contentMD5) clientHeaders['Content-MD5'] = upload.contentMD5;
    return {
      method: 'PUT',
      url,
      uploadURL: url,
      key,
      headers: clientHeaders,
      ...(upload.size !== undefined ? { size: upload.size } : {}),
      expiresAt: new Date(now.getTime() + config.expiresIn * 1000).toISOString(),
    };
  }

  function sendJson(res: Response, status: number, body: unknown): void {
    // Presigned URLs are bearer credentials for a few minutes: keep them out of shared caches.
    res.status(status).setHeader('Cache-Control', 'no-store');
    res.json(body);
  }

  /**
   * GET /uploads?contentType=image/jpeg&filename=photo.jpg&size=12345
   * The AWS sample's route: returns `{ uploadURL, key, method, url, headers, size, expiresAt }` for one PUT.
   */
  const presignFromQuery = handle(async (req, res) => {
    const upload = readUploadRequest(req.query, true, config);
    sendJson(res, 200, await presignPut(req, upload));
  });

  /**
   * POST /uploads  { filename, contentType, size, contentMD5? }
   * Returns `{ method: 'PUT', url, headers, key, size, expiresAt }`.
   */
  const presignFromBody = handle(async (req, res) => {
    if (!req.is('application/json') && !req.is('application/*+json')) {
      throw new InvalidRequestError('Send the upload details as JSON with Content-Type: application/json.');
    }
    const upload = readUploadRequest(req.body, false, config);
    sendJson(res, 200, await presignPut(req, upload));
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

  router.get(config.path, ...deps.authenticate, presignFromQuery);
  router.post(config.path, ...deps.authenticate, jsonBody, presignFromBody);
  router.all(config.path, methodNotAllowed('GET, POST'));

  router.use(problemHandler((err, mapped) => config.onError(err, mapped.status)));
  return router;
}
