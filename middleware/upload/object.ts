// What a new object will be: its key (the `key` hook's choice, checked, or the default) and the headers signed into it.
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { DirectUploadError } from '../errors';
import type { Configuration, KeyContext } from '../options';
import type { Caller } from './caller';
import { extensionForContentType } from './content-types';
import { encodeFilename, FILENAME_METADATA } from './files';
import { defaultObjectKey, filenameExtension, keyProblem } from './keys';
import type { UploadRequest } from './request';

/** Object metadata that records the size the server authorised, so verification needs no server-side state. */
export const DECLARED_SIZE_METADATA = 'declared-size';

/** What the `key` and `metadata` hooks are told about one new upload. */
export function keyContext(req: Request, caller: Caller, upload: UploadRequest): KeyContext {
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
export function objectKey(config: Pick<Configuration, 'key'>, ctx: KeyContext): string {
  if (!config.key) return defaultObjectKey(ctx.ownerPrefix, ctx.uuid, ctx.extension);
  const key = config.key(ctx);
  const problem = keyProblem(key, ctx.ownerPrefix);
  // A bad key from the hook is the server's bug, not the client's: it must not become a 4xx the client can't fix.
  if (problem) throw new DirectUploadError(`The key option returned an unusable key: ${problem}.`);
  return key;
}

/** RFC 6266 `attachment` with an ASCII fallback and the UTF-8 name. */
export function attachmentDisposition(filename: string): string {
  const base = filename.split(/[\\/]/).pop() as string;
  const ascii = base.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

/**
 * Headers that become part of the object, lower-case: Content-Type always; the original filename
 * (`x-amz-meta-filename`) when given; Content-Disposition, the ACL and `x-amz-meta-*` as configured. They are
 * signed, so the client cannot change them.
 */
export function objectHeaders(config: Pick<Configuration, 'contentDisposition' | 'acl' | 'metadata'>, ctx: KeyContext, upload: UploadRequest): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': upload.contentType.value };
  if (config.contentDisposition && upload.filename) headers['content-disposition'] = attachmentDisposition(upload.filename);
  if (config.acl) headers['x-amz-acl'] = config.acl;
  if (config.metadata) {
    for (const [name, value] of Object.entries(config.metadata(ctx))) {
      if (!/^[a-z0-9-]+$/i.test(name) || /[^\x20-\x7e]/.test(value)) {
        throw new DirectUploadError(`The metadata option returned an unusable entry "${name}": names are letters, digits and -; values printable ASCII.`);
      }
      if (name.toLowerCase() === DECLARED_SIZE_METADATA) throw new DirectUploadError(`The metadata name "${DECLARED_SIZE_METADATA}" is reserved for verification.`);
      if (name.toLowerCase() === FILENAME_METADATA) throw new DirectUploadError(`The metadata name "${FILENAME_METADATA}" is reserved for the original filename.`);
      headers[`x-amz-meta-${name.toLowerCase()}`] = value;
    }
  }
  // Listings and downloads name the file as its owner did; the key only keeps the extension.
  if (upload.filename) headers[`x-amz-meta-${FILENAME_METADATA}`] = encodeFilename(upload.filename);
  return headers;
}
