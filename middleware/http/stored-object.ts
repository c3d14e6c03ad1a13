// Checks an object in the bucket against what the server authorised and what the request expects (HeadObject).
import { UploadMismatchError } from '../errors';
import { UnreadableObjectError, type StoredObject } from '../s3/bucket';
import type { UploadExpectation } from '../upload/request';
import { expectationProblems, objectProblems } from '../upload/verify';
import type { RouteContext } from './context';

/**
 * The object at `key`, once it is what the server authorised: one the server did not authorise (size, type, or a
 * header it did not sign, or one it cannot read) is deleted (when `deleteRejectedUploads`) and is a 409. An
 * authorised object that differs only from what the client says it sent is a 409 too, but is kept.
 */
export async function authorisedObject(ctx: RouteContext, key: string, expected: UploadExpectation): Promise<StoredObject> {
  let object: StoredObject;
  try {
    object = await ctx.bucket.headObject(key);
  } catch (err) {
    // Its message is a sentence; as one of the problems listed, it loses its full stop (the list ends with one).
    if (err instanceof UnreadableObjectError) throw await rejectObject(ctx, key, [err.message.replace(/\.$/, '')]);
    throw err;
  }
  const violations = objectProblems(object, ctx.config);
  if (violations.length > 0) throw await rejectObject(ctx, key, violations);
  const mismatches = expectationProblems(object, expected);
  if (mismatches.length > 0) {
    throw new UploadMismatchError(`The uploaded object is not what this request expects: ${mismatches.join('; ')}. It is what the server authorised, so it was kept.`);
  }
  return object;
}

/** Deletes an object the server did not authorise (when `deleteRejectedUploads`) and returns the 409 to throw. */
async function rejectObject(ctx: RouteContext, key: string, problems: string[]): Promise<UploadMismatchError> {
  const remove = ctx.config.deleteRejectedUploads;
  if (remove) await ctx.bucket.deleteObject(key);
  return new UploadMismatchError(`The uploaded object does not match what was authorised: ${problems.join('; ')}.${remove ? ' It was deleted.' : ''}`);
}
