// Baseline for the upload benchmark: a conventional proxying route, multipart form → busboy → S3 via lib-storage Upload.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import busboy from 'busboy';
import express, { type RequestHandler, type Router } from 'express';
import type { Meter } from './meter';
import { ROUTES, type BenchServerConfig } from './processes';

/**
 * POST /proxy-uploads multipart/form-data with one `file` field → 201 `{ key, size }` once the object is in S3.
 * Streams: busboy hands the file over as it arrives and Upload sends it on in parts (5 MiB, 4 at a time, the SDK's
 * defaults), so memory stays bounded, but every byte still crosses the app server twice and costs it CPU.
 */
export function proxyUploadRouter(settings: BenchServerConfig, authenticate: RequestHandler, meter: Meter): Router {
  // The S3 client sends through an agent the meter watches, to count the second copy of every byte.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  meter.watchAgent(agent);
  const s3 = new S3Client({
    endpoint: settings.s3.endpoint,
    region: settings.s3.region,
    forcePathStyle: true,
    credentials: settings.s3.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { httpAgent: agent },
  });
  return express.Router().post(ROUTES.proxy, authenticate, function proxyUpload(req, res) {
    const fail = (status: number, detail: string) => {
      req.unpipe();
      req.resume();
      if (!res.headersSent) res.status(status).json({ detail });
    };
    const parser = busboy({ headers: req.headers, limits: { files: 1, fields: 0, fileSize: 1024 ** 3 } });
    parser.on('file', (_field, file, info) => {
      const key = `uploads/proxied/${randomUUID()}.bin`;
      const upload = new Upload({ client: s3, params: { Bucket: settings.bucket, Key: key, Body: file, ContentType: info.mimeType } });
      let size = 0;
      file.on('data', (chunk: Buffer) => (size += chunk.length));
      file.on('limit', () => void upload.abort().finally(() => fail(413, 'file too large')));
      upload.done().then(
        () => void res.status(201).set('Cache-Control', 'no-store').json({ key, size }),
        () => fail(503, 'S3 did not take the upload'),
      );
    });
    parser.on('error', () => fail(400, 'the multipart body could not be read'));
    req.pipe(parser);
  });
}
