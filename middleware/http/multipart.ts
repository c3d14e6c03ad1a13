// Multipart uploads: start, sign part URLs, list the parts S3 holds, abort. Completion lives in complete.ts.
import type { Request, RequestHandler } from 'express';
import { NotFoundError, type FieldError } from '../errors';
import { checksumSpec, readPartChecksums } from '../upload/checksum';
import { assertOwnedBy } from '../upload/caller';
import { DECLARED_SIZE_METADATA, keyContext, objectHeaders, objectKey } from '../upload/object';
import { landingKey } from '../upload/quarantine';
import { partLength, partPlan } from '../upload/parts';
import { invalidFields, multipartSettings, readObjectRef, readPartNumbers, readPlan, readUploadRequest, type UploadRequest } from '../upload/request';
import { asyncHandler, expiresAt, type RouteContext } from './context';
import { requireJson, sendJson, sendNoContent } from './json';

/** Body of a started multipart upload. */
export interface MultipartUploadResponse {
  method: 'MULTIPART';
  key: string;
  uploadId: string;
  size: number;
  partSize: number;
  partCount: number;
}

/**
 * Starts a multipart upload in S3 (the one S3 call of the start step) and returns its plan. The declared size is
 * stored as object metadata, so completion can check it without server-side state.
 */
export async function startMultipart(ctx: RouteContext, req: Request, upload: UploadRequest): Promise<MultipartUploadResponse> {
  const { config } = ctx;
  const multipart = multipartSettings(config);
  const size = upload.size as number;
  const keyCtx = keyContext(req, ctx.callerOf(req), upload);
  const key = landingKey(config, objectKey(config, keyCtx));
  const headers = objectHeaders(config, keyCtx, upload);
  const metadata: Record<string, string> = { [DECLARED_SIZE_METADATA]: String(size) };
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = value;
  }
  const uploadId = await ctx.bucket.createMultipartUpload({
    key,
    contentType: upload.contentType.value,
    contentDisposition: headers['content-disposition'],
    acl: headers['x-amz-acl'] as 'private' | 'public-read',
    metadata,
    checksum: checksumSpec(config.checksum),
  });
  const plan = partPlan(size, multipart.partSize);
  return { method: 'MULTIPART', key, uploadId, size, partSize: plan.partSize, partCount: plan.partCount };
}

/**
 * POST /uploads/multipart  { filename?, contentType, size }
 * Starts a multipart upload whatever the size. 201 `{ method: 'MULTIPART', key, uploadId, size, partSize, partCount }`.
 */
export function startMultipartUpload(ctx: RouteContext): RequestHandler {
  return asyncHandler(async function startMultipartUpload(req, res) {
    requireJson(req);
    sendJson(res, 201, await startMultipart(ctx, req, readUploadRequest(req.body, false, ctx.config, true)));
  });
}

/**
 * POST /uploads/multipart/parts  { key, uploadId, size, partNumbers: [1, 2, ...], checksums?: ['base64', ...] }
 * Signs one PUT per part (at most `maxPartsPerRequest`); each URL signs the part's exact length, and with the
 * `checksum` option the part's digest (one per part number, same order) as a header. No S3 call.
 * 200 `{ parts: [{ partNumber, url, size, headers? }], expiresAt }`.
 */
export function signParts(ctx: RouteContext): RequestHandler {
  const { config } = ctx;
  return asyncHandler(async function signParts(req, res) {
    requireJson(req);
    const { key, uploadId } = readObjectRef(req.body, true);
    assertOwnedBy(key, ctx.callerOf(req));
    const plan = readPlan(req.body, config);
    const numbers = readPartNumbers(req.body, plan, multipartSettings(config).maxPartsPerRequest);
    const checksum = checksumSpec(config.checksum);
    const errors: FieldError[] = [];
    const digests = readPartChecksums(req.body, req.body.partNumbers, config.checksum, errors);
    if (errors.length > 0) throw invalidFields(errors);
    const now = config.clock();
    const parts = await Promise.all(
      numbers.map(async (partNumber) => {
        const size = partLength(plan, partNumber);
        const url = await ctx.presigner.presign({
          method: 'PUT',
          key,
          query: { partNumber: String(partNumber), uploadId },
          headers: checksum ? { 'content-length': String(size), [checksum.header]: digests.get(partNumber) as string } : { 'content-length': String(size) },
          expiresIn: config.expiresIn,
          signingDate: now,
        });
        // The signed checksum is a header the client must send with the part, as for a single PUT.
        return checksum ? { partNumber, url, size, headers: { [checksum.header]: digests.get(partNumber) as string } } : { partNumber, url, size };
      }),
    );
    sendJson(res, 200, { parts, expiresAt: expiresAt(config, now) });
  });
}

/**
 * GET /uploads/multipart/parts?key=...&uploadId=...
 * The parts S3 already holds, for resuming. 200 `{ key, uploadId, parts: [{ partNumber, size, etag }] }`.
 */
export function listParts(ctx: RouteContext): RequestHandler {
  return asyncHandler(async function listParts(req, res) {
    const { key, uploadId } = readObjectRef(req.query, true);
    assertOwnedBy(key, ctx.callerOf(req));
    sendJson(res, 200, { key, uploadId, parts: await ctx.bucket.listParts(key, uploadId) });
  });
}

/**
 * DELETE /uploads/multipart?key=...&uploadId=...
 * Aborts the upload and frees its parts. Idempotent: 204 whether or not it still existed.
 */
export function abortMultipart(ctx: RouteContext): RequestHandler {
  return asyncHandler(async function abortMultipart(req, res) {
    const { key, uploadId } = readObjectRef(req.query, true);
    assertOwnedBy(key, ctx.callerOf(req));
    try {
      await ctx.bucket.abortMultipartUpload(key, uploadId);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    sendNoContent(res);
  });
}
