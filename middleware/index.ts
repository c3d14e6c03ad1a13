// express-direct-upload: an Express router that authorises browser uploads straight to S3 with presigned URLs. This file is the public surface.
import type { Router } from 'express';
import { routerDependencies } from './dependencies';
import { createRouter } from './http/routes';
import { parseOptions, type DirectUploadOptions } from './options';

/**
 * Builds the upload router. Options are validated here, once; a mistake throws a DirectUploadOptionsError
 * naming the option. The S3 client, the signer and the token verifier are built here too, so requests only sign.
 * A host with its own authentication (a Backstage plugin, a session) passes its handler as `auth` and says who
 * the caller is with `owner`.
 *
 * @example app.use(directUpload({ bucket: 'my-bucket', region: 'us-east-1', auth: { issuerBaseURL, audience } }))
 */
export function directUpload(options: DirectUploadOptions): Router {
  const config = parseOptions(options);
  return createRouter(config, routerDependencies(config));
}

export type { DirectUploadOptions, MultipartOptions, KeyContext, UploadedObject, QuarantineOptions, QuarantinedObject, ScanVerdict } from './options';
export type { PutUploadResponse } from './http/single-put';
export type { MultipartUploadResponse } from './http/multipart';
export type { VerifiedUploadResponse } from './http/complete';
export { sendProblem } from './http/problem';
export {
  DirectUploadError,
  BadRequestError,
  AuthenticationRequiredError,
  MissingScopeError,
  ForbiddenError,
  NotFoundError,
  MethodNotAllowedError,
  UploadMismatchError,
  IncompleteUploadError,
  ScanPendingError,
  UploadRejectedError,
  FileTooLargeError,
  RequestTooLargeError,
  RequestTimeoutError,
  UnsupportedContentTypeError,
  RateLimitedError,
  StorageUnavailableError,
  AuthUnavailableError,
  DirectUploadOptionsError,
  type FieldError,
  type ProblemDetailsInit,
} from './errors';
