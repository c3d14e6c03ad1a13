// What a new object will be: its key (the `key` hook's choice, checked, or the default) and the headers signed into it.
import { createHash, randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { DirectUploadError } from '../errors';
import type { Configuration, KeyContext } from '../options';
import type { Caller } from './caller';
import { extensionForContentType, isScriptCapable } from './content-types';
import { defaultObjectKey, keyProblem } from './keys';
import type { UploadRequest } from './request';

/** Object metadata that records the size the server authorised, so verification needs no server-side state. */
export const DECLARED_SIZE_METADATA = 'declared-size';
/**
 * Object metadata that records a digest of the Content-Disposition and metadata the server signed, so verification
 * can tell them from headers a URL holder added. Present when the `metadata` or `contentDisposition` option is on.
 */
export const DECLARED_HEADERS_METADATA = 'declared-headers';
/** The canned ACL signed into every URL when `acl` is not configured. */
export const PRIVATE_ACL = 'private';

/** What the `key` and `metadata` hooks are told about one new upload. */
export function keyContext(req: Request, caller: Caller, upload: UploadRequest): KeyContext {
  return {
    owner: caller.owner,
    ownerPrefix: caller.prefix,
    uuid: randomUUID(),
    // From the type, which S3 enforces: a filename's `.html` must not name a file declared as image/png.
    extension: extensionForContentType(upload.contentType.essence),
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

/** Bidirectional controls (U+202E and kin) that make `gnp.lmth` display as `html.png`: dropped from names shown to users. */
const BIDI_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** RFC 6266 `attachment` with an ASCII fallback and the UTF-8 name, without bidirectional controls. */
export function attachmentDisposition(filename: string): string {
  const base = (filename.split(/[\\/]/).pop() as string).replace(BIDI_CONTROLS, '');
  const ascii = base.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

/** Whether this configuration signs a {@link DECLARED_HEADERS_METADATA} digest into every new object. */
export function declaresHeaders(config: Pick<Configuration, 'contentDisposition' | 'metadata'>): boolean {
  return config.contentDisposition || config.metadata !== undefined;
}

/**
 * The digest of an object's Content-Disposition and user metadata (names lower-case, without `x-amz-meta-`), the
 * two verification metadata entries left out. Both sides compute it the same way: when signing, and from HeadObject.
 */
export function declaredHeadersDigest(contentDisposition: string | undefined, metadata: Record<string, string>): string {
  const lines = Object.entries(metadata)
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .filter(([name]) => name !== DECLARED_HEADERS_METADATA && name !== DECLARED_SIZE_METADATA)
    .map(([name, value]) => `x-amz-meta-${name}:${value}`)
    .sort();
  if (contentDisposition !== undefined) lines.unshift(`content-disposition:${contentDisposition}`);
  return createHash('sha256').update(lines.join('\n'), 'utf8').digest('base64url');
}

/**
 * Headers that become part of the object, lower-case, all signed so that the client cannot change them:
 * Content-Type; `x-amz-acl` always (`private` unless `acl` says otherwise, so a URL holder cannot make the object
 * public); Content-Disposition `attachment` for script-capable types and with `contentDisposition`; `x-amz-meta-*`
 * from the `metadata` hook, plus the digest of what was signed when either option is on.
 */
export function objectHeaders(config: Pick<Configuration, 'contentDisposition' | 'acl' | 'metadata'>, ctx: KeyContext, upload: UploadRequest): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': upload.contentType.value, 'x-amz-acl': config.acl ?? PRIVATE_ACL };
  if (config.contentDisposition && upload.filename) headers['content-disposition'] = attachmentDisposition(upload.filename);
  else if (isScriptCapable(upload.contentType.essence)) headers['content-disposition'] = 'attachment';
  const metadata: Record<string, string> = {};
  if (config.metadata) {
    for (const [name, value] of Object.entries(config.metadata(ctx))) {
      if (!/^[a-z0-9-]+$/i.test(name) || /[^\x20-\x7e]/.test(value)) {
        throw new DirectUploadError(`The metadata option returned an unusable entry "${name}": names are letters, digits and -; values printable ASCII.`);
      }
      const lower = name.toLowerCase();
      if (lower === DECLARED_SIZE_METADATA || lower === DECLARED_HEADERS_METADATA) throw new DirectUploadError(`The metadata name "${lower}" is reserved for verification.`);
      // S3 trims stored values; signing the trimmed value keeps the digest equal to what HeadObject returns.
      metadata[lower] = value.trim();
      headers[`x-amz-meta-${lower}`] = value.trim();
    }
  }
  if (declaresHeaders(config)) headers[`x-amz-meta-${DECLARED_HEADERS_METADATA}`] = declaredHeadersDigest(headers['content-disposition'], metadata);
  return headers;
}
