// Releasing a quarantined upload: verify it where it landed, ask the scan hook, then move it to its key (CopyObject, DeleteObject).
import type { Request } from 'express';
import { DirectUploadError, NotFoundError, ScanPendingError, UploadRejectedError } from '../errors';
import type { QuarantinedObject } from '../options';
import type { Caller } from '../upload/caller';
import { checksumSpec } from '../upload/checksum';
import { releasedKey } from '../upload/quarantine';
import type { UploadExpectation } from '../upload/request';
import type { RouteContext } from './context';
import { authorisedObject } from './stored-object';

/**
 * For a key under the incoming prefix: checks the upload there against what was authorised (409 upload_mismatch,
 * deleted unless `deleteRejectedUploads: false`), asks `quarantine.scan` (infected: deleted, 422 upload_rejected;
 * pending: 409 scan_pending), then copies it to its final key and deletes the incoming copy. Returns the final key.
 * An incoming key with nothing under it was released before (or never uploaded): its final key is returned, for the
 * caller to verify, which makes a repeated complete answer the released object. Any other key is returned as is.
 */
export async function releaseFromQuarantine(ctx: RouteContext, req: Request, key: string, caller: Caller, expected: UploadExpectation): Promise<string> {
  const { config } = ctx;
  const finalKey = releasedKey(config, key);
  if (finalKey === undefined || !config.quarantine) return key;

  let object;
  try {
    object = await authorisedObject(ctx, key, expected);
  } catch (err) {
    if (err instanceof NotFoundError) return finalKey;
    throw err;
  }

  const { scan } = config.quarantine;
  if (scan) {
    const quarantined: QuarantinedObject = {
      key: finalKey,
      incomingKey: key,
      bucket: ctx.presigner.bucket,
      size: object.size,
      contentType: object.contentType,
      ...(object.etag ? { etag: object.etag } : {}),
      owner: caller.owner,
    };
    const verdict = await scan(quarantined, req);
    if (verdict === 'infected') {
      // Whatever deleteRejectedUploads says: an infected file is never kept where someone could fetch it.
      await ctx.bucket.deleteObject(key);
      throw new UploadRejectedError('The upload was rejected by the malware scan and deleted.');
    }
    if (verdict === 'pending') throw new ScanPendingError('The upload has not been scanned yet. Complete it again in a few seconds.');
    if (verdict !== 'clean') throw new DirectUploadError(`The quarantine.scan hook returned ${JSON.stringify(verdict)}; it must return "clean", "infected" or "pending".`);
  }

  await ctx.bucket.copyObject({ from: key, to: finalKey, acl: config.acl, checksum: checksumSpec(config.checksum) });
  await ctx.bucket.deleteObject(key);
  return finalKey;
}
