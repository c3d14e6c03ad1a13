// Single-PUT uploads: GET /uploads (the AWS sample's route) and POST /uploads, which starts a multipart upload instead above the threshold.
import type { Request, RequestHandler } from 'express';
import { FileTooLargeError } from '../errors';
import { checksumSpec } from '../upload/checksum';
import { keyContext, objectHeaders, objectKey } from '../upload/object';
import { landingKey } from '../upload/quarantine';
import { MAX_SINGLE_PUT_SIZE } from '../upload/parts';
import { readUploadRequest, type UploadRequest } from '../upload/request';
import { asyncHandler, expiresAt, type RouteContext } from './context';
import { requireJson, sendJson } from './json';
import { startMultipart } from './multipart';

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

/** How the client is told each signed header's name; anything else (`x-amz-meta-*`) keeps its lower-case name. */
const CLIENT_HEADER_NAMES: Readonly<Record<string, string>> = {
  'content-type': 'Content-Type',
  'content-disposition': 'Content-Disposition',
  'content-md5': 'Content-MD5',
  'if-none-match': 'If-None-Match',
};

/** Signs one PUT for a checked upload request. No S3 call. */
export async function presignPut(ctx: RouteContext, req: Request, upload: UploadRequest): Promise<PutUploadResponse> {
  const { config } = ctx;
  const keyCtx = keyContext(req, ctx.callerOf(req), upload);
  const key = landingKey(config, objectKey(config, keyCtx));
  const signedHeaders = objectHeaders(config, keyCtx, upload);
  if (upload.contentMD5) signedHeaders['content-md5'] = upload.contentMD5;
  const checksum = checksumSpec(config.checksum);
  if (checksum && upload.checksum) signedHeaders[checksum.header] = upload.checksum;
  // Only creates: a second PUT to this URL after the object landed (and was verified) gets 412, not a replacement.
  signedHeaders['if-none-match'] = '*';
  // Every signed header but Content-Length (the client's HTTP stack sets it from the body) is one the client sends.
  const clientHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(signedHeaders)) clientHeaders[CLIENT_HEADER_NAMES[name] ?? name] = value;
  if (upload.size !== undefined) signedHeaders['content-length'] = String(upload.size);
  const now = config.clock();
  const url = await ctx.presigner.presign({ method: 'PUT', key, headers: signedHeaders, expiresIn: config.expiresIn, signingDate: now });
  return {
    method: 'PUT',
    url,
    key,
    headers: clientHeaders,
    ...(upload.size !== undefined ? { size: upload.size } : {}),
    expiresAt: expiresAt(config, now),
  };
}

/**
 * GET /uploads?contentType=image/jpeg&filename=photo.jpg&size=12345
 * Query: `contentType` (optional when exactly one type is allowed), `filename`?, `size` (optional with `allowUnsizedUploads`).
 * 200 `{ method: 'PUT', url, uploadURL, key, headers, size?, expiresAt }`: always one PUT, never multipart (413 over 5 GiB).
 */
export function presignPutFromQuery(ctx: RouteContext): RequestHandler {
  return asyncHandler(async function presignPutFromQuery(req, res) {
    const upload = readUploadRequest(req.query, true, ctx.config);
    if (upload.size !== undefined && upload.size > MAX_SINGLE_PUT_SIZE) throw new FileTooLargeError('One PUT carries at most 5 GiB; GET /uploads never starts a multipart upload (use POST /uploads).');
    const presigned = await presignPut(ctx, req, upload);
    sendJson(res, 200, { ...presigned, uploadURL: presigned.url });
  });
}

/**
 * POST /uploads  { filename?, contentType, size, contentMD5?, checksum? }
 * 200 `{ method: 'PUT', url, key, headers, size, expiresAt }`; above `multipart.threshold` it starts a multipart
 * upload instead: 201 `{ method: 'MULTIPART', key, uploadId, size, partSize, partCount }`. Over 5 GiB with multipart
 * off: 413.
 */
export function authoriseUpload(ctx: RouteContext): RequestHandler {
  const { config } = ctx;
  return asyncHandler(async function authoriseUpload(req, res) {
    requireJson(req);
    const upload = readUploadRequest(req.body, false, config);
    const size = upload.size as number;
    if (config.multipart && size > config.multipart.threshold) return sendJson(res, 201, await startMultipart(ctx, req, upload));
    if (size > MAX_SINGLE_PUT_SIZE) throw new FileTooLargeError('One PUT carries at most 5 GiB; this server has multipart uploads turned off.');
    sendJson(res, 200, await presignPut(ctx, req, upload));
  });
}
