// Uppy's signRequest mode: POST /uploads/uppy/sign signs each S3 request `@uppy/aws-s3` 6 makes, under the same rules as our routes.
import type { Request, RequestHandler } from 'express';
import { assertOwnedBy } from '../upload/caller';
import { DECLARED_SIZE_METADATA, keyContext, objectHeaders, objectKey } from '../upload/object';
import { landingKey } from '../upload/quarantine';
import type { UploadRequest } from '../upload/request';
import { readUppyRequest } from '../upload/uppy-request';
import { asyncHandler, expiresAt, type RouteContext } from './context';
import { requireJson, sendJson } from './json';
import { presignPost } from './presigned-post';

/** What `signRequest` returns to `@uppy/aws-s3`: the URL, the server's key for a new object, headers to send, or POST form fields. */
export interface UppySignResponse {
  url: string;
  /** The server's key for a new object; Uppy (6.1+) uses it instead of the key it proposed. */
  key?: string;
  /** Signed headers Uppy must send with exactly these values. */
  headers?: Record<string, string>;
  /** A POST policy's form fields: Uppy then uploads the file as a form POST. */
  fields?: Record<string, string>;
  expiresAt: string;
}

/** How the signed headers are spelled for the browser (HTTP names are case-insensitive; these read as documented). */
const HEADER_NAMES: Readonly<Record<string, string>> = { 'content-type': 'Content-Type', 'content-disposition': 'Content-Disposition', 'if-none-match': 'If-None-Match' };

/**
 * CreateMultipartUpload, signed for the browser to send. Everything that becomes part of the object is a signed
 * header Uppy sends: Content-Type, the ACL, Content-Disposition and the metadata, including the declared size that
 * `POST /uploads/complete` checks, and the declared-headers digest when the configuration signs one. The key is under
 * the incoming prefix with quarantine.
 */
async function signCreateMultipart(ctx: RouteContext, req: Request, upload: UploadRequest, now: Date): Promise<UppySignResponse> {
  const { config } = ctx;
  const keyCtx = keyContext(req, ctx.callerOf(req), upload);
  const key = landingKey(config, objectKey(config, keyCtx));
  const signed: Record<string, string> = { ...objectHeaders(config, keyCtx, upload), [`x-amz-meta-${DECLARED_SIZE_METADATA}`]: String(upload.size) };
  const url = await ctx.presigner.presign({ method: 'POST', key, query: { uploads: '' }, headers: signed, expiresIn: config.expiresIn, signingDate: now });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed)) headers[HEADER_NAMES[name] ?? name] = value;
  return { url, key, headers, expiresAt: expiresAt(config, now) };
}

/**
 * POST /uploads/uppy/sign  { method, key, uploadId?, partNumber?, contentType?, filename?, size? }
 * The request `@uppy/aws-s3` passes to `signRequest`, plus the file's `filename` and `size` (the page adds them).
 * 200 `{ url, key?, headers?, fields?, expiresAt }`, as `signRequest` returns it:
 * - PutObject (`PUT`, no uploadId): a presigned POST (`fields`) whose policy pins the server's key, the exact
 *   Content-Type and `content-length-range` (the size when given, else 1..maxFileSize), so S3 enforces the limit.
 * - CreateMultipartUpload (`POST`, no uploadId; `size` required): the server's key, and the headers to send.
 * - UploadPart (`PUT` with uploadId, partNumber; `size` = the file's): a URL signed for that part's exact length.
 * - ListParts (`GET`), CompleteMultipartUpload (`POST`; `headers: { 'If-None-Match': '*' }`, signed, so it only
 *   creates), AbortMultipartUpload (`DELETE`), each with uploadId.
 * With the `checksum` option the route is a 400: Uppy sends no checksums.
 * Uppy's proposed key for a new object is ignored; every other key must be the caller's (403). A type not allowed
 * is a 415, a size over the limit a 413. No S3 call: the browser sends every request to S3 itself.
 */
export function signUppyRequest(ctx: RouteContext): RequestHandler {
  const { config } = ctx;
  return asyncHandler(async function signUppyRequest(req, res) {
    requireJson(req);
    const request = readUppyRequest(req.body, config);
    const now = config.clock();
    const sign = (method: 'PUT' | 'POST' | 'GET' | 'DELETE', key: string, query: Record<string, string>, headers?: Record<string, string>) =>
      ctx.presigner.presign({ method, key, query, headers, expiresIn: config.expiresIn, signingDate: now });

    switch (request.operation) {
      case 'PutObject': {
        const post = await presignPost(ctx, req, request.upload);
        return sendJson(res, 200, { url: post.url, key: post.key, fields: post.fields, expiresAt: post.expiresAt } satisfies UppySignResponse);
      }
      case 'CreateMultipartUpload':
        return sendJson(res, 200, await signCreateMultipart(ctx, req, request.upload, now));
      default:
    }
    assertOwnedBy(request.key, ctx.callerOf(req));
    const { key, uploadId } = request;
    if (request.operation === 'UploadPart') {
      const url = await sign('PUT', key, { partNumber: String(request.partNumber), uploadId }, { 'content-length': String(request.partSize) });
      return sendJson(res, 200, { url, expiresAt: expiresAt(config, now) } satisfies UppySignResponse);
    }
    if (request.operation === 'CompleteMultipartUpload') {
      // As our own multipart complete: only creates. Uppy sends the signed header; S3 answers 412 if an object is there.
      const url = await sign('POST', key, { uploadId }, { 'if-none-match': '*' });
      return sendJson(res, 200, { url, headers: { 'If-None-Match': '*' }, expiresAt: expiresAt(config, now) } satisfies UppySignResponse);
    }
    const url = await sign(request.operation === 'ListParts' ? 'GET' : 'DELETE', key, { uploadId });
    sendJson(res, 200, { url, expiresAt: expiresAt(config, now) } satisfies UppySignResponse);
  });
}
