// Presigned POST uploads: one form POST whose policy pins the key, the stored fields and the byte range, for clients that cannot sign a size into a PUT.
import type { Request } from 'express';
import { BadRequestError } from '../errors';
import type { Configuration } from '../options';
import { keyContext, objectHeaders, objectKey } from '../upload/object';
import { landingKey } from '../upload/quarantine';
import type { UploadRequest } from '../upload/request';
import { expiresAt, type RouteContext } from './context';

/** Body of a successful presigned POST. */
export interface PostUploadResponse {
  method: 'POST';
  /** The bucket's URL: the form's action. */
  url: string;
  /** Send every field as a form field, in this order, then the file last as `file`. */
  fields: Record<string, string>;
  key: string;
  size?: number;
  expiresAt: string;
}

/** Form-field name of each header `objectHeaders()` produces: the ACL is `acl` in a form, the rest keep their names. */
function formFieldName(header: string): string {
  if (header === 'x-amz-acl') return 'acl';
  if (header === 'content-type') return 'Content-Type';
  if (header === 'content-disposition') return 'Content-Disposition';
  return header;
}

/** The POST policy's `content-length-range`: exactly the declared size, or any size the limits allow. */
export function contentLengthRange(config: Pick<Configuration, 'minFileSize' | 'maxFileSize'>, size: number | undefined): { min: number; max: number } {
  return size !== undefined ? { min: size, max: size } : { min: Math.max(1, config.minFileSize), max: config.maxFileSize };
}

/**
 * Signs one POST policy for a checked upload request. No S3 call. It stores what a presigned PUT would: the same
 * key (under the incoming prefix with quarantine), Content-Type, Content-Disposition (`attachment` for script-capable
 * types), the ACL (`private` unless public-read) and the metadata with its declared-headers digest, each pinned by the
 * policy. S3 itself enforces the size: the declared one exactly, or 1..maxFileSize when none was declared.
 * Unlike a PUT it cannot carry `If-None-Match`: until the policy expires, a second POST of the same form replaces
 * the object (each replacement still has to pass the policy, and `POST /uploads/complete` verifies what is there).
 */
export async function presignPost(ctx: RouteContext, req: Request, upload: UploadRequest): Promise<PostUploadResponse> {
  const { config } = ctx;
  if (upload.contentMD5) throw new BadRequestError('contentMD5 is signed into PUT uploads only; leave it out, or ask for method "PUT".', { errors: [{ field: 'contentMD5', detail: 'not with method "POST"' }] });
  const keyCtx = keyContext(req, ctx.callerOf(req), upload);
  const key = landingKey(config, objectKey(config, keyCtx));
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(objectHeaders(config, keyCtx, upload))) fields[formFieldName(name)] = value;
  const now = config.clock();
  const post = await ctx.postPolicy.presignPost({ key, fields, contentLength: contentLengthRange(config, upload.size), expiresIn: config.expiresIn, signingDate: now });
  return { method: 'POST', url: post.url, fields: post.fields, key, ...(upload.size !== undefined ? { size: upload.size } : {}), expiresAt: expiresAt(config, now) };
}
