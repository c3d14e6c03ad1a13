// The owner's stored files: the original filename kept as object metadata, and the listing cursor. Pure functions, no I/O.

/** Object metadata (`x-amz-meta-filename`) that keeps the uploader's original filename, percent-encoded. */
export const FILENAME_METADATA = 'filename';

/**
 * S3 allows 2 KB of user metadata per object, names and values together; the filename keeps well under half of it,
 * so `declared-size` and the host's own `metadata` still fit.
 */
const MAX_ENCODED_FILENAME = 1024;

/**
 * The metadata value for a filename: its last path segment, percent-encoded (UTF-8) so that any name travels as
 * ASCII in a header or a query string. A name too long once encoded loses characters from its stem, never its extension.
 */
export function encodeFilename(filename: string): string {
  const base = filename.split(/[\\/]/).pop() as string;
  let encoded = encodeURIComponent(base);
  if (encoded.length <= MAX_ENCODED_FILENAME) return encoded;
  const dot = base.lastIndexOf('.');
  const extension = dot > 0 && base.length - dot <= 11 ? base.slice(dot) : '';
  // Whole code points only, so the result always decodes.
  const stem = Array.from(extension ? base.slice(0, dot) : base);
  do {
    stem.pop();
    encoded = encodeURIComponent(stem.join('') + extension);
  } while (encoded.length > MAX_ENCODED_FILENAME);
  return encoded;
}

/** The original filename stored with an object, or undefined when none was stored or it does not decode. */
export function decodeFilename(metadata: Readonly<Record<string, string>>): string | undefined {
  const value = metadata[FILENAME_METADATA];
  if (!value) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * The cursor that continues a listing after `key`: the key in base64url. It is opaque to clients, and needs no
 * server secret: a cursor is only ever used as S3's `StartAfter` under the caller's own prefix, after the caller
 * check, so a made-up one can only skip ahead in the caller's own folder.
 */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** The key a cursor continues after, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,1400}$/.test(cursor)) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  // A round trip catches padding tricks and bytes that are not UTF-8.
  return key.length > 0 && encodeCursor(key) === cursor ? key : undefined;
}
