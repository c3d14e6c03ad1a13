// Baseline for the upload benchmark: a conventional proxying route, multipart form → busboy → S3 via lib-storage Upload.
import { randomUUID } from 'node:crypto';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Client } from '@aws-sdk/client-s3';
import busboy from 'busboy';
import express, { type RequestHandler, type Router } from 'express';
import { FileTooLargeError, BadRequestError as InvalidRequestError, StorageUnavailableError, AuthenticationRequiredError as UnauthorizedError } from '../middleware/errors';
import { problemHandler } from '../middleware/http/problem';
import type { Configuration } from '../middleware/options';
import { extensionForContentType } from '../middleware/upload/content-types';
import { defaultObjectKey, filenameExtension, ownerPrefix } from '../middleware/upload/keys';
import { readUploadRequest } from '../middleware/upload/request';

/**
 * POST <path> multipart/form-data with one `file` field → `{ key, size }` once the object is in S3.
 * Streams: busboy hands the file over as it arrives and Upload sends it on in parts (5 MiB, 4 at a time, the SDK's
 * defaults), so memory stays bounded, but every byte still crosses the app server twice and costs it CPU.
 */
export function proxyUploadRouter(config: Configuration, s3: S3Client, authenticate: RequestHandler[], path: string): Router {
  const router = express.Router();

  router.post(path, ...authenticate, function proxyUpload(req, res, next) {
    const owner = config.owner(req);
    if (!owner) return next(new UnauthorizedError('No "sub" claim.'));
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: 0, fileSize: config.maxFileSize } });
    } catch {
      return next(new InvalidRequestError('Send the file as multipart/form-data.'));
    }
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.resume();
      next(err);
    };

    let sawFile = false;
    parser.on('file', (_field, file, info) => {
      sawFile = true;
      let upload: Upload;
      let key: string;
      try {
        // The same policy as the presign route: type allowed, declared size (here the request's) within the limit.
        const declared = Number(req.headers['content-length'] ?? 0);
        const checked = readUploadRequest({ filename: info.filename, contentType: info.mimeType, size: Math.min(declared, config.maxFileSize) }, false, config);
        const extension = filenameExtension(checked.filename) || extensionForContentType(checked.contentType.essence);
        key = defaultObjectKey(ownerPrefix(config.keyPrefix, owner), randomUUID(), extension);
        upload = new Upload({ client: s3, params: { Bucket: config.bucket, Key: key, Body: file, ContentType: checked.contentType.value } });
      } catch (err) {
        file.resume();
        return fail(err);
      }
      let size = 0;
      file.on('data', (chunk: Buffer) => (size += chunk.length));
      file.on('limit', () => {
        void upload.abort();
        fail(new FileTooLargeError(`The file is over the limit of ${config.maxFileSize} bytes.`));
      });
      upload.done().then(
        () => {
          if (settled) return;
          settled = true;
          res.status(201).setHeader('Cache-Control', 'no-store');
          res.json({ key, size });
        },
        () => fail(new StorageUnavailableError('S3 did not take the upload.')),
      );
    });
    parser.on('error', () => fail(new InvalidRequestError('The multipart body could not be read.')));
    parser.on('close', () => {
      if (!sawFile) fail(new InvalidRequestError('The form has no file field.'));
    });
    req.pipe(parser);
  });
  router.use(problemHandler((err, mapped) => config.onError(err, mapped.status)));
  return router;
}
