// Content-type parsing and matching against the allowed list: pure functions, no I/O.

/** An allowed type: exact (`image/png`), a subtype wildcard (`image/*`) or anything (`*\/*`). */
export interface ContentTypePattern {
  type: string;
  subtype: string;
}

/** RFC 9110 token characters. */
const TOKEN = "[!#$%&'*+.^_`|~0-9a-z-]+";
const ESSENCE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);
const PARAMETER = new RegExp(`^(${TOKEN})=(${TOKEN}|"[^"\\\\\\x00-\\x1f\\x7f]*")$`, 'i');

/** Parses an allowed-type entry; returns undefined when it is not a valid pattern. */
export function parseContentTypePattern(pattern: unknown): ContentTypePattern | undefined {
  if (typeof pattern !== 'string') return undefined;
  const match = ESSENCE.exec(pattern.trim().toLowerCase());
  if (!match) return undefined;
  const [, type, subtype] = match;
  if (type === '*' && subtype !== '*') return undefined;
  if ((type.includes('*') && type !== '*') || (subtype.includes('*') && subtype !== '*')) return undefined;
  return { type, subtype };
}

/** A declared content type: its lower-case essence for matching, and the client's own string for signing. */
export interface ContentType {
  essence: string;
  /**
   * The exact string to sign and for the client to send: the client's own (trimmed), not a normalised form, so a
   * client that sends the type it asked for (a Blob's type, fetch()'s "charset=UTF-8") still matches the signature.
   */
  value: string;
}

/** Checks a client's content type (RFC 9110 syntax, any case); returns undefined when it is malformed. */
export function parseContentType(input: string): ContentType | undefined {
  const value = input.trim();
  if (value.length === 0 || value.length > 255) return undefined;
  const [rawEssence, ...rawParameters] = value.split(';');
  const essence = rawEssence.trim().toLowerCase();
  const match = ESSENCE.exec(essence);
  if (!match || match[1] === '*' || match[2] === '*') return undefined;
  for (const raw of rawParameters) {
    if (!PARAMETER.test(raw.trim())) return undefined;
  }
  return { essence, value };
}

/** True when the type's essence matches one of the allowed patterns. */
export function isContentTypeAllowed(contentType: ContentType, allowed: readonly ContentTypePattern[]): boolean {
  const [type, subtype] = contentType.essence.split('/');
  return allowed.some(
    (pattern) => (pattern.type === '*' || pattern.type === type) && (pattern.subtype === '*' || pattern.subtype === subtype),
  );
}

/** The usual extension of common upload types, used when the filename has none. */
const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
  'image/svg+xml': 'svg',
  'image/heic': 'heic',
  'application/pdf': 'pdf',
  'application/zip': 'zip',
  'application/json': 'json',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'video/quicktime': 'mov',
  'audio/mpeg': 'mp3',
};

/** The default extension for a content type, or '' when none is known. */
export function extensionForContentType(essence: string): string {
  return EXTENSIONS[essence] ?? '';
}
