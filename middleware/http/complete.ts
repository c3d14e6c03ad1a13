// Completion: verify a single-PUT upload, or check, complete and verify a multipart one; then tell `onUploaded`.
import type { Request, RequestHandler } from 'express';
import { IncompleteUploadError, NotFoundError, UploadMismatchError } from '../errors';
import type { UploadedObject } from '../options';
import { UnreadableObjectError, type StoredObject, type StoredPart } from '../s3/bucket';
import { assertOwnedBy, type Caller } from '../upload/caller';
import { readExpectation, readObjectRef, readPlan, type UploadExpectation } from '../upload/request';
import { expectationProblems, objectProblems, partProblems } from '../upload/verify';
import { asyncHandler, type RouteContext } from './context';
import { requireJson, sendJson } from './json';
import { releaseFromQuarantine } from './quarantine';
import { authorisedObject } from './stored-object';

/** Body of a verified upload. */
export interface VerifiedUploadResponse {
  key: string;
  size: number;
  contentType: string;
  etag?: string;
}

/**
 * Checks an object in the bucket against what was authorised (HeadObject). An object the server did not authorise
 * (size, type, or a header it did not sign) is deleted (when `deleteRejectedUploads`) and is a 409. An authorised
 * object that differs only from what the client says it sent is a 409 too, but is kept. A match calls `onUploaded`
 * with the object's ETag as stored. Returns what the client is told.
 */
export async function verifyUpload(ctx: RouteContext, req: Request, key: string, caller: Caller, expected: UploadExpectation): Promise<VerifiedUploadResponse> {
  const { config } = ctx;
  // With quarantine, an incoming upload is checked, scanned and moved first; what follows verifies where it landed.
  key = await releaseFromQuarantine(ctx, req, key, caller, expected);
  const object = await authorisedObject(ctx, key, expected);
  const verified: VerifiedUploadResponse = { key, size: object.size, contentType: object.contentType, ...(object.etag ? { etag: object.etag } : {}) };
  if (config.onUploaded) {
    const info: UploadedObject = { ...verified, bucket: ctx.presigner.bucket, owner: caller.owner };
    await config.onUploaded(info, req);
  }
  return verified;
}

/**
 * POST /uploads/complete  { key, size?, contentType? }
 * Verifies a finished single-PUT upload (exists; size, type and headers as authorised; size and type as given),
 * then calls `onUploaded`. Idempotent. 200 `{ key, size, contentType, etag }`; 404 nothing there yet; 409 upload_mismatch.
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
    // false: an object is already there (a concurrent complete won): it is verified like any other.
    await ctx.bucket.completeMultipartUpload(key, uploadId, parts);
    sendJson(res, 200, await verifyUpload(ctx, req, key, caller, { size: plan.size }));
  });
}
