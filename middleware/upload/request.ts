// All request input parsing: what a client asks to upload, the object or upload it names, part plans and numbers; throws typed errors.
import { BadRequestError, FileTooLargeError, UnsupportedContentTypeError, type FieldError } from '../errors';
import type { Configuration } from '../options';
import { readChecksum } from './checksum';
import { isContentTypeAllowed, parseContentType, type ContentType } from './content-types';
import { partPlan, type PartPlan } from './parts';

/** A checked request to upload one file. */
export interface UploadRequest {
  filename?: string;
  contentType: ContentType;
  /** Declared size in bytes; undefined only for an unsized GET when `allowUnsizedUploads` is on. */
  size?: number;
  /** Base64 MD5 of the body, signed so that S3 refuses corrupted bytes. */
  contentMD5?: string;
  /** Base64 digest of the body in the configured `checksum` algorithm (single PUT only; parts carry their own). */
  checksum?: string;
}

/** Longest filename accepted; it only feeds the extension and Content-Disposition. */
export const MAX_FILENAME_LENGTH = 255;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const BASE64_MD5 = /^[A-Za-z0-9+/]{22}==$/;

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
export function invalidFields(errors: FieldError[]): BadRequestError {
  const names = [...new Set(errors.map((e) => e.field))].join(', ');
  return new BadRequestError(`Invalid or missing: ${names}. ${errors.map((e) => e.detail).join('; ')}.`, { errors });
}

/** A declared size over `maxFileSize` is a 413. */
export function checkMaxFileSize(size: number, config: Pick<Configuration, 'maxFileSize'>): void {
  if (size > config.maxFileSize) throw new FileTooLargeError(`The file is ${size} bytes; the limit is ${config.maxFileSize} bytes.`);
}

/**
 * Checks an upload request. Shape problems come first, as one 400 listing every bad field;
 * then the type (415) and the size (413), so a client learns the most useful thing first.
 */
export function readUploadRequest(source: unknown, fromQuery: boolean, config: Configuration, startsMultipart = false): UploadRequest {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new BadRequestError('Send a JSON object: { "filename": "photo.jpg", "contentType": "image/jpeg", "size": 12345 } with Content-Type: application/json.');
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

  // Only a size above the threshold (on POST) goes multipart, and then each part carries its own digest.
  const multipart = startsMultipart || (!fromQuery && config.multipart !== false && size !== undefined && size > config.multipart.threshold);
  const checksum = readChecksum(input, config.checksum, multipart, errors);

  if (errors.length > 0) throw invalidFields(errors);
  const checkedType = contentType as ContentType;
  if (!isContentTypeAllowed(checkedType, config.allowedContentTypes)) {
    const allowed = config.allowedContentTypes.map((p) => `${p.type}/${p.subtype}`).join(', ');
    throw new UnsupportedContentTypeError(`Content type "${checkedType.essence}" is not allowed. Allowed: ${allowed}.`);
  }
  if (size !== undefined) checkMaxFileSize(size, config);
  if (size !== undefined && size < config.minFileSize) {
    throw new BadRequestError(`The file is ${size} bytes; the smallest accepted is ${config.minFileSize} bytes.`, {
      errors: [{ field: 'size', detail: `size must be at least ${config.minFileSize}` }],
    });
  }
  return { filename, contentType: checkedType, size, contentMD5, checksum };
}

/** An object, or a multipart upload of it, that a request names. */
export interface ObjectRef {
  key: string;
  /** '' when the route names an object, not an upload. */
  uploadId: string;
}

const UPLOAD_ID = /^[\x21-\x7e]{1,1024}$/;

/** Reads `{ key }`, and `uploadId` when the route names a multipart upload. Whose key it is, is for the caller check. */
export function readObjectRef(source: unknown, withUploadId: boolean): ObjectRef {
  const input = (typeof source === 'object' && source !== null ? source : {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (typeof input.key !== 'string' || input.key.length === 0 || input.key.length > 1024) errors.push({ field: 'key', detail: 'key must be the key the upload was given' });
  if (withUploadId && (typeof input.uploadId !== 'string' || !UPLOAD_ID.test(input.uploadId))) errors.push({ field: 'uploadId', detail: 'uploadId must be the id the upload was given' });
  if (errors.length > 0) throw invalidFields(errors);
  return { key: input.key as string, uploadId: withUploadId ? (input.uploadId as string) : '' };
}

/** The multipart settings, or the 400 a route answers when multipart uploads are off. */
export function multipartSettings(config: Pick<Configuration, 'multipart'>): Exclude<Configuration['multipart'], false> {
  if (!config.multipart) throw new BadRequestError('Multipart uploads are turned off on this server.');
  return config.multipart;
}

/** Reads the declared total size of a multipart upload and returns its part plan. */
export function readPlan(source: Record<string, unknown>, config: Pick<Configuration, 'multipart' | 'maxFileSize'>): PartPlan {
  const multipart = multipartSettings(config);
  const size = parseByteCount(source.size, false);
  if (size === undefined || size < 1) {
    throw new BadRequestError('size must be the total size in bytes that the upload was started with.', {
      errors: [{ field: 'size', detail: 'size must be a positive whole number' }],
    });
  }
  checkMaxFileSize(size, config);
  return partPlan(size, multipart.partSize);
}

/** Reads `partNumbers`: 1 to `limit` numbers within the plan; repeats are signed once. */
export function readPartNumbers(source: Record<string, unknown>, plan: PartPlan, limit: number): number[] {
  const numbers: unknown = source.partNumbers;
  if (!Array.isArray(numbers) || numbers.length === 0 || numbers.length > limit) {
    throw new BadRequestError(`partNumbers must be a list of 1 to ${limit} part numbers.`, { errors: [{ field: 'partNumbers', detail: `1 to ${limit} part numbers` }] });
  }
  const unique = new Set<number>();
  for (const n of numbers) {
    if (!Number.isSafeInteger(n) || n < 1 || n > plan.partCount) {
      throw new BadRequestError(`Part number ${JSON.stringify(n)} is outside 1..${plan.partCount} for a ${plan.size}-byte upload.`, {
        errors: [{ field: 'partNumbers', detail: `each must be 1..${plan.partCount}` }],
      });
    }
    unique.add(n);
  }
  return [...unique];
}

/** What the client says it uploaded, to verify against: both optional. */
export interface UploadExpectation {
  size?: number;
  contentType?: string;
}

/** Reads the optional `size` and `contentType` of `POST /uploads/complete`. */
export function readExpectation(source: Record<string, unknown>): UploadExpectation {
  const { size, contentType } = source;
  if (size !== undefined && parseByteCount(size, false) === undefined) {
    throw new BadRequestError('size must be a whole number of bytes.', { errors: [{ field: 'size', detail: 'whole number of bytes' }] });
  }
  if (contentType !== undefined && (typeof contentType !== 'string' || !parseContentType(contentType))) {
    throw new BadRequestError('contentType must be a media type.', { errors: [{ field: 'contentType', detail: 'a media type such as "image/jpeg"' }] });
  }
  return { size: size as number | undefined, contentType: contentType as string | undefined };
}
