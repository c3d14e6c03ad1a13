// Input parsing for Uppy's signRequest mode: which S3 request `@uppy/aws-s3` asks to have signed, checked; throws typed errors.
import { BadRequestError } from '../errors';
import type { Configuration } from '../options';
import { partLength } from './parts';
import { multipartSettings, readObjectRef, readPlan, readUploadRequest, type UploadRequest } from './request';

/**
 * One of the S3 requests `@uppy/aws-s3` 6 presigns, told apart as Uppy tells them: by `method` and by whether
 * `uploadId` and `partNumber` are present. New objects carry the file's `contentType` (and, added by the page,
 * `filename` and `size`); the rest name an existing `key` and `uploadId`.
 */
export type UppyOperation =
  | { operation: 'PutObject'; upload: UploadRequest }
  | { operation: 'CreateMultipartUpload'; upload: UploadRequest }
  | { operation: 'UploadPart'; key: string; uploadId: string; partNumber: number; partSize: number }
  | { operation: 'ListParts' | 'CompleteMultipartUpload' | 'AbortMultipartUpload'; key: string; uploadId: string };

const METHODS = ['PUT', 'POST', 'GET', 'DELETE'];

/** Reads the body of `POST /uploads/uppy/sign`: Uppy's presignable request plus the file's `filename` and `size`. */
export function readUppyRequest(source: unknown, config: Configuration): UppyOperation {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new BadRequestError('Send the request @uppy/aws-s3 asks to sign, as JSON: { "method": "PUT", "key": "...", "contentType": "image/png" }.');
  }
  // Uppy computes no checksums: with the option on, its PutObject and parts could not carry the digest S3 must check.
  if (config.checksum) {
    throw new BadRequestError(`This server requires a ${config.checksum} checksum with every upload (its checksum option), which @uppy/aws-s3 does not send. Upload with express-direct-upload/client instead.`);
  }
  const input = source as Record<string, unknown>;
  const method = input.method;
  if (typeof method !== 'string' || !METHODS.includes(method)) {
    throw new BadRequestError('method must be the S3 request\'s method: PUT, POST, GET or DELETE.', { errors: [{ field: 'method', detail: 'PUT, POST, GET or DELETE' }] });
  }
  const hasUploadId = input.uploadId !== undefined && input.uploadId !== null;
  const hasPartNumber = input.partNumber !== undefined && input.partNumber !== null;

  // New objects: Uppy's proposed `key` is ignored, the server names the object.
  if (!hasUploadId && method === 'PUT') return { operation: 'PutObject', upload: readUploadRequest(input, false, config, false, true) };
  if (!hasUploadId && method === 'POST') {
    multipartSettings(config);
    return { operation: 'CreateMultipartUpload', upload: readUploadRequest(input, false, config, true) };
  }
  if (!hasUploadId) {
    throw new BadRequestError(`${method} without an uploadId would ${method === 'DELETE' ? 'delete an object' : 'read an object'}; this route signs uploads only.`, {
      errors: [{ field: 'uploadId', detail: 'required for GET and DELETE' }],
    });
  }

  const { key, uploadId } = readObjectRef(input, true);
  if (method === 'PUT') {
    if (!hasPartNumber) throw new BadRequestError('partNumber is required to sign a part.', { errors: [{ field: 'partNumber', detail: 'a part number' }] });
    // Uppy's part request carries no length: the page adds the file's size, and the part's length follows from the plan.
    const plan = readPlan(input, config);
    const partNumber = input.partNumber;
    if (!Number.isSafeInteger(partNumber) || (partNumber as number) < 1 || (partNumber as number) > plan.partCount) {
      throw new BadRequestError(`Part number ${JSON.stringify(partNumber)} is outside 1..${plan.partCount} for a ${plan.size}-byte upload.`, {
        errors: [{ field: 'partNumber', detail: `1..${plan.partCount}` }],
      });
    }
    return { operation: 'UploadPart', key, uploadId, partNumber: partNumber as number, partSize: partLength(plan, partNumber as number) };
  }
  const operation = method === 'GET' ? 'ListParts' : method === 'POST' ? 'CompleteMultipartUpload' : 'AbortMultipartUpload';
  return { operation, key, uploadId };
}
