// express-direct-upload: an Express router that authorises browser uploads straight to S3 with presigned URLs. This file is the public surface.
import type { Router } from 'express';
import { authenticationHandlers } from './http/auth';
import { createRouter, type RouterDependencies } from './http/routes';
import { parseOptions, type Configuration, type DirectUploadOptions } from './options';
import { Bucket } from './s3/bucket';
import { Presigner } from './s3/presigner';

/** The real dependencies for a configuration: the local signer, the server's S3 calls and the token verifier. */
export function routerDependencies(config: Configuration): RouterDependencies {
  return {
    presigner: new Presigner(config.s3, config.bucket),
    bucket: new Bucket(config.s3, config.bucket),
    authenticate: authenticationHandlers(config),
  };
}

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

export type { DirectUploadOptions, MultipartOptions, KeyContext, UploadedObject } from './options';
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
  FileTooLargeError,
  RequestTooLargeError,
  UnsupportedContentTypeError,
  RateLimitedError,
  StorageUnavailableError,
  AuthUnavailableError,
  DirectUploadOptionsError,
  type FieldError,
  type ProblemDetailsInit,
} from './errors';
