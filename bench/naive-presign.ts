// Baseline for the route benchmark: the same auth and validation as POST /uploads, but signing with the SDK's getSignedUrl().
import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import express, { type RequestHandler, type Router } from 'express';
import { BadRequestError as InvalidRequestError, AuthenticationRequiredError as UnauthorizedError } from '../middleware/errors';
import { problemHandler } from '../middleware/http/problem';
import type { Configuration } from '../middleware/options';
import { extensionForContentType } from '../middleware/upload/content-types';
import { defaultObjectKey, filenameExtension, ownerPrefix } from '../middleware/upload/keys';
import { readUploadRequest } from '../middleware/upload/request';

/**
 * POST <path> { filename, contentType, size } → the same JSON as directUpload()'s POST /uploads.
 * Only the signing differs: a PutObjectCommand through getSignedUrl(), the way the AWS sample and most code do it,
 * so the comparison isolates what the SDK's per-command middleware stack costs per URL.
 */
export function naivePresignRouter(config: Configuration, authenticate: RequestHandler[], path: string): Router {
  const router = express.Router();
  const jsonBody = express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] });
  // The same signed headers as the middleware: S3 must refuse another type or length.
  const signableHeaders = new Set(['content-type', 'content-length']);

  router.post(path, ...authenticate, jsonBody, function naivePresign(req, res, next) {
    (async () => {
      if (!req.is('application/json')) throw new InvalidRequestError('Send JSON.');
      const upload = readUploadRequest(req.body, false, config);
      const owner = config.owner(req);
      if (!owner) throw new UnauthorizedError('No "sub" claim.');
      const extension = filenameExtension(upload.filename) || extensionForContentType(upload.contentType.essence);
      const key = defaultObjectKey(ownerPrefix(config.keyPrefix, owner), randomUUID(), extension);
      const now = config.clock();
      const command = new PutObjectCommand({ Bucket: config.bucket, Key: key, ContentType: upload.contentType.value, ContentLength: upload.size });
      const url = await getSignedUrl(config.s3, command, { expiresIn: config.expiresIn, signableHeaders, signingDate: now });
      res.status(200).setHeader('Cache-Control', 'no-store');
      res.json({
        method: 'PUT',
        url,
        uploadURL: url,
        key,
        headers: { 'Content-Type': upload.contentType.value },
        size: upload.size,
        expiresAt: new Date(now.getTime() + config.expiresIn * 1000).toISOString(),
      });
    })().catch(next);
  });
  router.use(problemHandler((err, mapped) => config.onError(err, mapped.status)));
  return router;
}
