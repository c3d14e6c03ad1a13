// The app server under test, run as a child of bench/run.ts: directUpload() beside its no-op and proxy baselines.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import { auth } from 'express-oauth2-jwt-bearer';
import { directUpload, type DirectUploadOptions } from '../middleware';
import { Meter } from './meter';
import { ROUTES, type BenchServerConfig, type MeterRequest } from './processes';
import { proxyUploadRouter } from './proxy-upload';

const settings = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}') as BenchServerConfig;
const jwtAuth = { issuerBaseURL: settings.issuerBaseURL, audience: settings.audience };
const options: DirectUploadOptions = {
  bucket: settings.bucket,
  region: settings.s3.region,
  s3: { endpoint: settings.s3.endpoint, forcePathStyle: true, credentials: settings.s3.credentials },
  auth: jwtAuth,
  allowedContentTypes: ['image/*', 'application/octet-stream'],
  maxFileSize: 1024 ** 3,
  // One PUT per file whatever its size, so the server's share of an upload stays one request.
  multipart: false,
};

/** The least an authenticated route does: answer with res.json(); POST also reads the same body with express.json(). */
function noopRoutes(authenticate: RequestHandler[]): express.Router {
  const answer: RequestHandler = function noop(_req, res) {
    res.set('Cache-Control', 'no-store').json({ ok: true });
  };
  return express.Router().get(ROUTES.noop, ...authenticate, answer).post(ROUTES.noop, ...authenticate, express.json(), answer);
}

const meter = new Meter();
const app = express();
app.disable('x-powered-by');
// The same token check as directUpload() builds from the same options: express-oauth2-jwt-bearer's auth().
app.use(noopRoutes([auth(jwtAuth)]), directUpload(options));
app.use(ROUTES.open, noopRoutes([]), directUpload({ ...options, auth: false, owner: () => 'auth0|bench-user' }));
app.use(proxyUploadRouter(settings, auth(jwtAuth), meter));

const server = http.createServer(app);
meter.watchServer(server);
server.keepAliveTimeout = 60_000;
process.on('message', (message: MeterRequest) => {
  if (message.op === 'meter-start') void meter.start().then(() => process.send?.({ id: message.id }));
  else process.send?.({ id: message.id, reading: meter.stop() });
});
// The parent owns our lifetime: if it goes away, even by crashing, so do we.
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
