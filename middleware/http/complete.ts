// Completion: verify a single-PUT upload, or check, complete and verify a multipart one; then tell `onUploaded`.
import type { Request, RequestHandler } from 'express';
import { IncompleteUploadError, NotFoundError, UploadMismatchError } from '../errors';
import type { UploadedObject } from '../options';
import type { StoredPart } from '../s3/bucket';
import { assertOwnedBy, type Caller } from '../upload/caller';
import { readExpectation, readObjectRef, readPlan, type UploadExpectation } from '../upload/request';
import { objectProblems, partProblems } from '../upload/verify';
import { asyncHandler, type RouteContext } from './context';
import { requireJson, sendJson } from './json';
import { releaseFromQuarantine } from './quarantine';

/** Body of a verified upload. */
export interface VerifiedUploadResponse {
  key: string;
  size: number;
  contentType: string;
  etag?: string;
}

/**
 * Checks an object in the bucket against what was authorised (HeadObject). A mismatch deletes it (when
 * `deleteRejectedUploads`) and is a 409; a match calls `onUploaded`. Returns what the client is told.
 */
export async function verifyUpload(ctx: RouteContext, req: Request, key: string, caller: Caller, expected: UploadExpectation): Promise<VerifiedUploadResponse> {
  const { config } = ctx;
  // With quarantine, an incoming upload is checked, scanned and moved first; what follows verifies where it landed.
  key = await releaseFromQuarantine(ctx, req, key, caller, expected);
  const object = await ctx.bucket.headObject(key);
  const problems = objectProblems(object, config, expected);
  if (problems.length > 0) {
    if (config.deleteRejectedUploads) await ctx.bucket.deleteObject(key);
    throw new UploadMismatchError(`The uploaded object does not match what was authorised: ${problems.join('; ')}.${config.deleteRejectedUploads ? ' It was deleted.' : ''}`);
  }
  const verified: VerifiedUploadResponse = { key, size: object.size, contentType: object.contentType, ...(object.etag ? { etag: object.etag } : {}) };
  if (config.onUploaded) {
    const info: UploadedObject = { ...verified, bucket: ctx.presigner.bucket, owner: caller.owner };
    await config.onUploaded(info, req);
  }
  return verified;
}

/**
 * POST /uploads/complete  { key, size?, contentType? }
 * Verifies a finished single-PUT upload (exists, size and type as authorised, and as given), then calls
 * `onUploaded`. Idempotent. 200 `{ key, size, contentType, etag }`; 404 nothing there yet; 409 upload_mismatch.
 */
export function completeUpload(ctx: RouteContext): RequestHandler {
  return asyncHandler(async function completeUpload(req, res) {
    requireJson(req);
    const { key } = readObjectRef(req.body, false);
    const caller = ctx.callerOf(req);
    assertOwnedBy(key, caller);
    const expected = readExpectation(req.body);
    sendJson(res, 200, await verifyUpload(ctx, req, key, caller, expected));
  });
}

/**
 * POST /uploads/multipart/complete  { key, uploadId, size }
 * Checks with ListParts that every planned part is there with its planned size (409 incomplete_upload names what
 * is not), completes the upload, then verifies the object as POST /uploads/complete. Idempotent: once completed,
 * a repeat only verifies. 200 `{ key, size, contentType, etag }`.
 */
export function completeMultipart(ctx: RouteContext): RequestHandler {
  return asyncHandler(async function completeMultipart(req, res) {
    requireJson(req);
    const { key, uploadId } = readObjectRef(req.body, true);
    const caller = ctx.callerOf(req);
    assertOwnedBy(key, caller);
    const plan = readPlan(req.body, ctx.config);
    let parts: StoredPart[];
    try {
      parts = await ctx.bucket.listParts(key, uploadId);
    } catch (err) {
      // The upload is gone: either completed before (then the object is there) or aborted/never existed (404).
      if (err instanceof NotFoundError) return sendJson(res, 200, await verifyUpload(ctx, req, key, caller, { size: plan.size }));
      throw err;
    }
    const problems = partProblems(parts, plan);
    if (problems.length > 0) {
      throw new IncompleteUploadError(`The upload is not complete: ${problems.join('; ')}. Upload the missing parts, then complete again.`);
    }
    await ctx.bucket.completeMultipartUpload(key, uploadId, parts);
    sendJson(res, 200, await verifyUpload(ctx, req, key, caller, { size: plan.size }));
  });
}
