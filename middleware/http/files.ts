// The owner's files after the upload: a download URL, a listing a page at a time, and deletion; each for the caller's own folder only.
import type { RequestHandler } from 'express';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors';
import type { ListedObject, StoredObject } from '../s3/bucket';
import { assertReleasedFileOf } from '../upload/caller';
import { decodeCursor, decodeFilename, encodeCursor } from '../upload/files';
import { attachmentDisposition } from '../upload/object';
import { readDownloadRequest, readListRequest, readObjectRef } from '../upload/request';
import { asyncHandler, type RouteContext } from './context';
import { sendJson, sendNoContent } from './json';

/** Body of `GET /uploads/files/url`. */
export interface DownloadUrlResponse {
  url: string;
  key: string;
  /** When the URL stops working; null for the permanent URL of a public-read object. */
  expiresAt: string | null;
}

/** One of the caller's objects, as `GET /uploads/files` lists it. */
export interface StoredFile {
  key: string;
  size: number;
  contentType: string;
  /** ISO time of the upload. */
  lastModified?: string;
  /** The name the file had when it was uploaded, when the upload gave one. */
  filename?: string;
  etag?: string;
}

/** Body of `GET /uploads/files`. */
export interface FileListResponse {
  files: StoredFile[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * HeadObject calls in flight at once while a listing page is described: enough to hide S3's latency, few enough
 * that a 1,000-object page does not open 1,000 connections.
 */
const HEAD_CONCURRENCY = 16;

/** The name S3 answers a missing key with, made about files rather than uploads. */
async function headFile(ctx: RouteContext, key: string): Promise<StoredObject> {
  try {
    return await ctx.bucket.headObject(key);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError('There is no file at this key.');
    throw err;
  }
}

/** `fn` over `items` with at most `limit` calls running, results in the items' order. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * GET /uploads/files/url?key=...&download=1
 * A presigned GET for one of the caller's objects, valid `files.downloadExpiresIn` seconds. `download=1` signs
 * `response-content-disposition: attachment` with the original filename, so browsers save the file under that name.
 * With `acl: 'public-read'` and no `download`, the object's permanent public URL (`expiresAt: null`).
 * HeadObject first, so a missing object is a 404 here rather than a URL that fails later.
 * 200 `{ url, key, expiresAt }`; 403 another user's key, or one still under the quarantine prefix (before any S3
 * call); 404 no such object.
 */
export function downloadUrl(ctx: RouteContext): RequestHandler {
  const { config } = ctx;
  const expiresIn = config.files.downloadExpiresIn;
  return asyncHandler(async function downloadUrl(req, res) {
    const { key, attachment } = readDownloadRequest(req.query);
    assertReleasedFileOf(key, ctx.callerOf(req));
    const object = await headFile(ctx, key);
    const now = config.clock();
    const query: Record<string, string> = {};
    if (attachment) query['response-content-disposition'] = attachmentDisposition(decodeFilename(object.metadata) ?? (key.split('/').pop() as string));
    const url = await ctx.presigner.presign({ method: 'GET', key, query, expiresIn, signingDate: now });
    // S3 refuses response-* overrides on anonymous requests, so an attachment download stays presigned.
    const body: DownloadUrlResponse =
      config.acl === 'public-read' && !attachment
        ? { url: url.slice(0, url.indexOf('?')), key, expiresAt: null }
        : { url, key, expiresAt: new Date(now.getTime() + expiresIn * 1000).toISOString() };
    sendJson(res, 200, body);
  });
}

/**
 * GET /uploads/files?limit=50&cursor=...
 * The caller's objects in key order, `limit` (1 to 1000, default 50) at a time: ListObjectsV2 under the caller's
 * folder only (released files: uploads still under the quarantine prefix are not in it), then one HeadObject per object (at most 16 at once) for its type and original filename, which a
 * listing does not carry. An object deleted in between is left out. `cursor` is the previous page's `nextCursor`:
 * a cursor into another user's folder is a 403, one this server never gave out a 400.
 * 200 `{ files: [{ key, size, contentType, lastModified, filename?, etag? }], nextCursor }`.
 */
export function listFiles(ctx: RouteContext): RequestHandler {
  return asyncHandler(async function listFiles(req, res) {
    const { limit, cursor } = readListRequest(req.query);
    const caller = ctx.callerOf(req);
    let startAfter: string | undefined;
    if (cursor !== undefined) {
      startAfter = decodeCursor(cursor);
      if (startAfter === undefined) {
        throw new BadRequestError('cursor is not one this server gave out: pass nextCursor from the previous page.', {
          errors: [{ field: 'cursor', detail: 'cursor must be the nextCursor of the previous page' }],
        });
      }
      if (!startAfter.startsWith(caller.prefix)) throw new ForbiddenError('This cursor points into files that are not yours.');
    }
    const page = await ctx.bucket.listObjects(caller.prefix, limit, startAfter);
    const described = await mapConcurrently(page.objects, HEAD_CONCURRENCY, async (listed: ListedObject): Promise<StoredFile | undefined> => {
      let object: StoredObject;
      try {
        object = await ctx.bucket.headObject(listed.key);
      } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      }
      const filename = decodeFilename(object.metadata);
      const etag = object.etag ?? listed.etag;
      return {
        key: listed.key,
        size: object.size,
        contentType: object.contentType,
        ...(listed.lastModified ? { lastModified: listed.lastModified.toISOString() } : {}),
        ...(filename !== undefined ? { filename } : {}),
        ...(etag ? { etag } : {}),
      };
    });
    const last = page.objects.at(-1);
    const body: FileListResponse = {
      files: described.filter((file): file is StoredFile => file !== undefined),
      nextCursor: page.truncated && last ? encodeCursor(last.key) : null,
    };
    sendJson(res, 200, body);
  });
}

/**
 * DELETE /uploads/files?key=...
 * Deletes one of the caller's objects. Idempotent: 204 whether or not it was there. 403 another user's key, or one
 * still under the quarantine prefix (before any S3 call).
 */
export function deleteFile(ctx: RouteContext): RequestHandler {
  return asyncHandler(async function deleteFile(req, res) {
    const { key } = readObjectRef(req.query, false);
    assertReleasedFileOf(key, ctx.callerOf(req));
    try {
      await ctx.bucket.deleteObject(key);
    } catch (err) {
      // S3 itself answers 204 for a missing key; some S3-compatible servers answer 404.
      if (!(err instanceof NotFoundError)) throw err;
    }
    sendNoContent(res);
  });
}
