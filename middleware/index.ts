// express-direct-upload: an Express router that authorises browser uploads straight to S3 with presigned URLs.
import type { Router } from 'express';
import { authenticationHandlers } from './auth';
import { parseOptions, type DirectUploadOptions } from './options';
import { Presigner } from './presigner';
import { createRouter } from './router';
import { Storage } from './storage';

/**
 * Builds the upload router. Options are validated here, once; a mistake throws a DirectUploadOptionsError
 * naming the option. The S3 client, the signer and the token verifier are built here too, so requests only sign.
 *
 * @example app.use(directUpload({ bucket: 'my-bucket', region: 'us-east-1', auth: { issuerBaseURL, audience } }))
 */
export function directUpload(options: DirectUploadOptions): Router {
  const config = parseOptions(options);
  return createRouter(config, {
    presigner: new Presigner(config.s3, config.bucket),
    storage: new Storage(config.s3, config.bucket),
    authenticate: authenticationHandlers(config),
  });
}

export { createRouter, type RouterDependencies, type PutUploadResponse, type MultipartUploadResponse, type VerifiedUploadResponse } from './router';
export { Storage, storageError, type StoredPart, type StoredObject } from './storage';
export { parseOptions, type DirectUploadOptions, type MultipartOptions, type Configuration, type KeyContext, type UploadedObject } from './options';
export { Presigner, type PresignInput } from './presigner';
export { authenticationHandlers } from './auth';
export * from './errors';
export { partPlan, partLength, type PartPlan } from './policy/parts';
export { ownerPrefix, filenameExtension, keyProblem } from './policy/key';
export { parseContentType, parseContentTypePattern, isContentTypeAllowed } from './policy/content-type';
