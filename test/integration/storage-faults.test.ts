// A hung, closed or unusable S3 on loopback: every route that calls S3 answers 503 storage_unavailable within s3Timeouts, never hangs and never a 500.
import { S3Client } from '@aws-sdk/client-s3';
import request from 'supertest';
import { s3ClientConfig } from '../../dev/s3-connection';
import { directUpload, DirectUploadOptionsError } from '../../middleware';
import { closedPort, startSilentPort } from '../support/fault-servers';
import { startUploadServices, type UploadServices } from '../support/upload-services';

/** Short deadlines keep the tests quick; the bound on each answer adds a margin for a loaded 2-core machine. */
const S3_TIMEOUTS = { connectionTimeout: 500, requestTimeout: 1500 };
const BOUND = S3_TIMEOUTS.requestTimeout + 3000;

let services: UploadServices;
let silent: Awaited<ReturnType<typeof startSilentPort>>;
let closed: string;
const timings: string[] = [];
beforeAll(async () => {
  services = await startUploadServices('storage-faults');
  silent = await startSilentPort();
  closed = await closedPort();
});
afterAll(async () => {
  console.log(`answer times with s3Timeouts ${JSON.stringify(S3_TIMEOUTS)}:\n${timings.join('\n')}`);
  await silent?.stop();
  await services?.stop();
});

/** A router whose S3 is at `endpoint`, otherwise configured like the healthy one. */
function appAt(endpoint: string, extra: object = {}) {
  return services.app({ s3: { ...s3ClientConfig(services.s3), endpoint, ...extra }, s3Timeouts: S3_TIMEOUTS, multipart: { threshold: 5 * 1024 * 1024 } });
}

/** The S3 calls of each route, with a key the caller owns (signed locally, which needs no S3). */
async function routeCalls(app: ReturnType<typeof appAt>, token: string) {
  const auth = { Authorization: `Bearer ${token}` };
  const signed = await request(app).post('/uploads').set(auth).send({ filename: 'a.jpg', contentType: 'image/jpeg', size: 10 });
  expect(signed.status).toBe(200);
  const { key } = signed.body as { key: string };
  const uploadId = 'upload-id-1';
  return {
    'POST /uploads/complete (HeadObject)': () => request(app).post('/uploads/complete').set(auth).send({ key }),
    'POST /uploads/multipart (CreateMultipartUpload)': () => request(app).post('/uploads/multipart').set(auth).send({ filename: 'a.jpg', contentType: 'image/jpeg', size: 10 * 1024 * 1024 }),
    'POST /uploads above the threshold (CreateMultipartUpload)': () => request(app).post('/uploads').set(auth).send({ filename: 'a.jpg', contentType: 'image/jpeg', size: 10 * 1024 * 1024 }),
    'GET /uploads/multipart/parts (ListParts)': () => request(app).get('/uploads/multipart/parts').set(auth).query({ key, uploadId }),
    'DELETE /uploads/multipart (AbortMultipartUpload)': () => request(app).delete('/uploads/multipart').set(auth).query({ key, uploadId }),
    'POST /uploads/multipart/complete (ListParts)': () => request(app).post('/uploads/multipart/complete').set(auth).send({ key, uploadId, size: 10 * 1024 * 1024 }),
  };
}

async function expectStorageOutage(label: string, call: () => request.Test) {
  const started = Date.now();
  const res = await call();
  const ms = Date.now() - started;
  timings.push(`  ${label}: ${res.status} in ${ms} ms`);
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 503, code: 'storage_unavailable' });
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(ms).toBeLessThan(BOUND);
  return ms;
}

describe('an S3 that accepts connections and never answers', () => {
  it('every route that calls S3 answers 503 within requestTimeout, retries included', async () => {
    const app = appAt(silent.endpoint);
    const calls = await routeCalls(app, await services.token());
    for (const [label, call] of Object.entries(calls)) {
      const ms = await expectStorageOutage(`hung S3, ${label}`, call);
      expect(ms).toBeGreaterThanOrEqual(S3_TIMEOUTS.requestTimeout - 100);
    }
    expect(silent.connections()).toBeGreaterThan(0);
  });
});

describe('an S3 port nothing listens on', () => {
  it('every route that calls S3 answers 503, quickly', async () => {
    const app = appAt(closed);
    const calls = await routeCalls(app, await services.token());
    for (const [label, call] of Object.entries(calls)) await expectStorageOutage(`closed port, ${label}`, call);
  });
});

describe('a credential provider that throws', () => {
  // A real failure mode (an expired SSO session, an unreachable metadata service): the provider function fails as those do.
  const failingCredentials = async () => {
    throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
  };

  it('signing (GET and POST /uploads) and the S3 routes answer 503, not 500', async () => {
    const app = services.app({ s3: { ...s3ClientConfig(services.s3), credentials: failingCredentials }, s3Timeouts: S3_TIMEOUTS });
    const auth = { Authorization: `Bearer ${await services.token()}` };
    await expectStorageOutage('credentials throw, POST /uploads', () => request(app).post('/uploads').set(auth).send({ filename: 'a.jpg', contentType: 'image/jpeg', size: 10 }));
    await expectStorageOutage('credentials throw, GET /uploads', () => request(app).get('/uploads').set(auth).query({ contentType: 'image/jpeg', size: 10 }));
    await expectStorageOutage('credentials throw, POST /uploads/multipart', () => request(app).post('/uploads/multipart').set(auth).send({ filename: 'a.jpg', contentType: 'image/jpeg', size: 10 * 1024 * 1024 }));
  });
});

describe('an injected S3Client', () => {
  it('is used as is: s3Timeouts with it is a construction error that says where its timeouts go', () => {
    const client = new S3Client(s3ClientConfig(services.s3));
    expect(() => directUpload(services.options({ s3: client, s3Timeouts: S3_TIMEOUTS }))).toThrow(DirectUploadOptionsError);
    expect(() => directUpload(services.options({ s3: client, s3Timeouts: S3_TIMEOUTS }))).toThrow(/requestHandler/);
    expect(() => directUpload(services.options({ s3: client }))).not.toThrow();
    client.destroy();
  });
});
