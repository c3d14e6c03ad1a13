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

/**
 * Types a browser may run script from when it opens the object from the bucket's origin: markup (HTML, XHTML, SVG,
 * any XML, which can carry XHTML or an XSLT stylesheet), script itself, and PDF (viewers run its JavaScript).
 */
const SCRIPT_CAPABLE_TYPES: ReadonlySet<string> = new Set([
  'text/html',
  'application/xhtml+xml',
  'image/svg+xml',
  'text/xml',
  'application/xml',
  'text/xsl',
  'text/javascript',
  'application/javascript',
  'application/x-javascript',
  'text/x-javascript',
  'text/ecmascript',
  'application/ecmascript',
  'application/x-ecmascript',
  'text/jscript',
  'application/pdf',
]);

/** True for a type that can run script in a browser: the list above, and every `+xml` type (RFC 6839 suffix). */
export function isScriptCapable(essence: string): boolean {
  return SCRIPT_CAPABLE_TYPES.has(essence) || essence.endsWith('+xml');
}

/**
 * True when the type's essence matches one of the allowed patterns. A script-capable type matches only an exact
 * entry, never `image/*` or `*\/*`: admitting SVG must be a decision, not a side effect of allowing images.
 */
export function isContentTypeAllowed(contentType: ContentType, allowed: readonly ContentTypePattern[]): boolean {
  const [type, subtype] = contentType.essence.split('/');
  if (isScriptCapable(contentType.essence)) return allowed.some((pattern) => pattern.type === type && pattern.subtype === subtype);
  return allowed.some(
    (pattern) => (pattern.type === '*' || pattern.type === type) && (pattern.subtype === '*' || pattern.subtype === subtype),
  );
}

/** The usual extension of common upload types: the key's extension comes from here, never from the client's filename. */
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
  'audio/wav': 'wav',
  'audio/ogg': 'ogg',
  'text/markdown': 'md',
  'text/html': 'html',
  'application/xhtml+xml': 'xhtml',
  'text/xml': 'xml',
  'application/xml': 'xml',
  'text/javascript': 'js',
  'application/javascript': 'js',
};

/** The extension for a content type, or '' when none is known (the key then has none). */
export function extensionForContentType(essence: string): string {
  return EXTENSIONS[essence] ?? '';
}
