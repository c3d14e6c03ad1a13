// The app server under test, run as a child of bench/run.ts: directUpload() next to its baselines, with meters over IPC.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import express from 'express';
import { directUpload, type DirectUploadOptions } from '../middleware';
import { authenticationHandlers } from '../middleware/http/auth';
import { createRouter } from '../middleware/http/routes';
import { parseOptions } from '../middleware/options';
import { Bucket } from '../middleware/s3/bucket';
import { Presigner } from '../middleware/s3/presigner';
import { ROUTES, type BenchServerConfig, type ServerRequest } from './contract';
import { Meter } from './meter';
import { leanPresignRouter } from './lean-presign';
import { naivePresignRouter } from './naive-presign';
import { proxyUploadRouter } from './proxy-upload';

/** Largest file the bench uploads, with room: every route accepts up to this. */
const MAX_FILE_SIZE = 1024 ** 3;

function main(): void {
  const settings = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}') as BenchServerConfig;
  const options: DirectUploadOptions = {
    bucket: settings.bucket,
    region: settings.s3.region,
    s3: { endpoint: settings.s3.endpoint, forcePathStyle: true, credentials: settings.s3.credentials },
    auth: { issuerBaseURL: settings.issuerBaseURL, audience: settings.audience },
    allowedContentTypes: ['image/*', 'application/octet-stream'],
    maxFileSize: MAX_FILE_SIZE,
    // The upload part measures one PUT per file, whatever the size, so the server's share stays one request.
    multipart: false,
  };
  // The baselines get the middleware's own parsed configuration and auth(): only what they compare differs.
  const config = parseOptions(options);
  const authenticate = authenticationHandlers(config);

  const meter = new Meter();
  // The proxy's S3 client sends through an agent the meter watches, to count the second copy of every byte.
  const s3Agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  meter.watchAgent(s3Agent);
  const proxyS3 = new S3Client({
    endpoint: settings.s3.endpoint,
    region: settings.s3.region,
    forcePathStyle: true,
    credentials: settings.s3.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { httpAgent: s3Agent },
  });

  const app = express();
  app.disable('x-powered-by');
  // (a) What authentication alone costs: the same auth(), then the smallest JSON answer.
  app.post(ROUTES.noop, ...authenticate, function authenticatedNoop(_req, res) {
    res.status(200).setHeader('Cache-Control', 'no-store');
    res.json({ ok: true });
  });
  // (b) The library, as users mount it.
  app.use(directUpload(options));
  // (c) The same route signing with getSignedUrl().
  app.use(naivePresignRouter(config, authenticate, ROUTES.naive));
  // Diagnostics that split (b) - (a) into its parts: reading the JSON body, and the route minus signing.
  const jsonBody = express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] });
  app.post(ROUTES.json, ...authenticate, jsonBody, function authenticatedJsonNoop(_req, res) {
    res.status(200).setHeader('Cache-Control', 'no-store');
    res.json({ ok: true });
  });
  app.post(ROUTES.leanJson, ...authenticate, function authenticatedLeanJson(req, res, next) {
    // The least a route can do to get the JSON body: collect the chunks, parse once. No type/charset negotiation.
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > 16 * 1024) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks, length).toString('utf8')) as unknown;
        res.status(200).setHeader('Cache-Control', 'no-store');
        res.json({ ok: typeof body === 'object' });
      } catch (err) {
        next(err);
      }
    });
  });
  const fixedUrl = `${settings.s3.endpoint}/${settings.bucket}/uploads/${'0'.repeat(32)}/${'0'.repeat(36)}.jpg?${'X'.repeat(420)}`;
  const unsignedPresigner = { presign: async () => fixedUrl } as unknown as Presigner;
  app.use('/diag/unsigned', createRouter(config, { presigner: unsignedPresigner, bucket: new Bucket(config.s3, config.bucket), authenticate }));
  app.use('/diag/signed', createRouter(config, { presigner: new Presigner(config.s3, config.bucket), bucket: new Bucket(config.s3, config.bucket), authenticate }));
  app.use(leanPresignRouter(config, new Presigner(config.s3, config.bucket), authenticate, ROUTES.lean));
  app.use(leanPresignRouter(config, new Presigner(config.s3, config.bucket), authenticate, ROUTES.leanExpressJson, { expressJson: true }));
  app.use(leanPresignRouter(config, new Presigner(config.s3, config.bucket), authenticate, ROUTES.leanResJson, { resJson: true }));
  // The conventional alternative to direct upload.
  app.use(proxyUploadRouter(config, proxyS3, authenticate, ROUTES.proxy));

  const server = http.createServer(app);
  meter.watchServer(server);
  server.keepAliveTimeout = 60_000;

  process.on('message', (message: ServerRequest) => {
    if (message.op === 'meter-start') {
      void meter.start().then(() => process.send?.({ id: message.id }));
    } else if (message.op === 'meter-stop') {
      process.send?.({ id: message.id, reading: meter.stop() });
    } else if (message.op === 'clock') {
      // The monotonic clock in µs, the time base of --cpu-prof samples: profile.ts keeps only what follows a mark.
      process.send?.({ id: message.id, clockUs: Number(process.hrtime.bigint() / 1000n) });
    }
  });
  // The parent owns our lifetime: if it goes away, even by crashing, so do we.
  process.on('disconnect', () => process.exit(0));
  // An orderly exit on SIGTERM, so that --cpu-prof (BENCH_CPU_PROF) gets to write its profile.
  process.on('SIGTERM', () => process.exit(0));

  server.listen(0, '127.0.0.1', () => {
    process.send?.({ ready: true, port: (server.address() as AddressInfo).port });
  });
}

if (require.main === module) main();
