// Reads and checks what a client asks to upload (JSON body or query string) against the policy; throws typed errors.
import { FileTooLargeError, InvalidRequestError, UnsupportedContentTypeError } from './errors';
import type { Configuration } from './options';
import { isContentTypeAllowed, parseContentType, type ContentType } from './policy/content-type';

/** A checked request to upload one file. */
export interface UploadRequest {
  filename?: string;
  contentType: ContentType;
  /** Declared size in bytes; undefined only for an unsized GET when `allowUnsizedUploads` is on. */
  size?: number;
  /** Base64 MD5 of the body, signed so that S3 refuses corrupted bytes. */
  contentMD5?: string;
}

/** Longest filename accepted; it only feeds the extension and Content-Disposition. */
export const MAX_FILENAME_LENGTH = 255;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const BASE64_MD5 = /^[A-Za-z0-9+/]{22}==$/;

export type FieldError = { field: string; detail: string };

function readString(source: Record<string, unknown>, field: string, errors: FieldError[]): string | undefined {
  const value = source[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.push({ field, detail: `${field} must be a string` });
    return undefined;
  }
  return value;
}

/** A byte count from JSON (a number) or a query string (digits); undefined when it is neither. */
export function parseByteCount(raw: unknown, fromQuery: boolean): number | undefined {
  const value = fromQuery && typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : raw;
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function readSize(source: Record<string, unknown>, fromQuery: boolean, errors: FieldError[]): number | undefined {
  const raw = source.size;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = parseByteCount(raw, fromQuery);
  if (value === undefined) {
    errors.push({ field: 'size', detail: 'size must be a whole number of bytes' });
    return undefined;
  }
  return value;
}

/** One 400 that names every bad field and says what is wrong with each. */
export function invalidFields(errors: FieldError[]): InvalidRequestError {
  const names = [...new Set(errors.map((e) => e.field))].join(', ');
  return new InvalidRequestError(`Invalid or missing: ${names}. ${errors.map((e) => e.detail).join('; ')}.`, errors);
}

/** A declared size over `maxFileSize` is a 413. */
export function checkMaxFileSize(size: number, config: Pick<Configuration, 'maxFileSize'>): void {
  if (size > config.maxFileSize) throw new FileTooLargeError(`The file is ${size} bytes; the limit is ${config.maxFileSize} bytes.`);
}

/**
 * Checks an upload request. Shape problems come first, as one 400 listing every bad field;
 * then the type (415) and the size (413), so a client learns the most useful thing first.
 */
export function readUploadRequest(source: unknown, fromQuery: boolean, config: Configuration): UploadRequest {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new InvalidRequestError('Send a JSON object: { "filename": "photo.jpg", "contentType": "image/jpeg", "size": 12345 } with Content-Type: application/json.');
  }
  const input = source as Record<string, unknown>;
  const errors: FieldError[] = [];

  const filename = readString(input, 'filename', errors);
  if (filename !== undefined) {
    if (filename.length === 0) errors.push({ field: 'filename', detail: 'filename must not be empty' });
    else if (filename.length > MAX_FILENAME_LENGTH) errors.push({ field: 'filename', detail: `filename must be at most ${MAX_FILENAME_LENGTH} characters` });
    else if (CONTROL_CHARACTERS.test(filename)) errors.push({ field: 'filename', detail: 'filename must not contain control characters' });
  }

  let rawType = readString(input, 'contentType', errors);
  const onlyExactType = config.allowedContentTypes.length === 1 && !config.allowedContentTypes[0].subtype.includes('*') && config.allowedContentTypes[0].type !== '*';
  if (rawType === undefined && !errors.some((e) => e.field === 'contentType')) {
    // The seed sample's first Postman step is a bare GET: with a single allowed type there is nothing to guess.
    if (fromQuery && onlyExactType) rawType = `${config.allowedContentTypes[0].type}/${config.allowedContentTypes[0].subtype}`;
    else errors.push({ field: 'contentType', detail: 'contentType is required, e.g. "image/jpeg"' });
  }
  const contentType = rawType === undefined ? undefined : parseContentType(rawType);
  if (rawType !== undefined && !contentType) errors.push({ field: 'contentType', detail: 'contentType must be a media type such as "image/jpeg"' });

  const size = readSize(input, fromQuery, errors);
  if (size === undefined && !errors.some((e) => e.field === 'size') && !(fromQuery && config.allowUnsizedUploads)) {
    errors.push({ field: 'size', detail: 'size is required: the exact file size in bytes' });
  }

  const contentMD5 = readString(input, 'contentMD5', errors);
  if (contentMD5 !== undefined && !BASE64_MD5.test(contentMD5)) errors.push({ field: 'contentMD5', detail: 'contentMD5 must be the base64 MD5 digest of the file (24 characters)' });

  if (errors.length > 0) throw invalidFields(errors);
  const checkedType = contentType as ContentType;
  if (!isContentTypeAllowed(checkedType, config.allowedContentTypes)) {
    const allowed = config.allowedContentTypes.map((p) => `${p.type}/${p.subtype}`).join(', ');
    throw new UnsupportedContentTypeError(`Content type "${checkedType.essence}" is not allowed. Allowed: ${allowed}.`);
  }
  if (size !== undefined) checkMaxFileSize(size, config);
  if (size !== undefined && size < config.minFileSize) {
    throw new InvalidRequestError(`The file is ${size} bytes; the smallest accepted is ${config.minFileSize} bytes.`, [
      { field: 'size', detail: `size must be at least ${config.minFileSize}` },
    ]);
  }
  return { filename, contentType: checkedType, size, contentMD5 };
}
