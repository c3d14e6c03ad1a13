// The plugin in a real Backstage test backend against a real local S3 (s3rver): presign, PUT, complete; who may do what.
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mockCredentials } from '@backstage/backend-test-utils';
import { startLocalPluginS3, type PluginS3 } from './__testUtils__/s3';
import { as, recordingLogger, startUploadBackend, UPLOADS, type UploadBackend } from './__testUtils__/uploadBackend';

// Backstage runs Express 4, and the core takes the host's Express (a peer dependency): in a Backstage app that is 4.
// This repository's own Express is 5, so the core is handed Express 4 here, as it is in production.
jest.mock('express', () => jest.requireActual('express4'));

const BUCKET = 'backstage-uploads';
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256));

let s3: PluginS3;
let backend: UploadBackend;

const configFor = (local: PluginS3) => local.config({ allowedContentTypes: ['image/*', 'text/plain'], maxFileSize: 1024 * 1024 });

beforeAll(async () => {
  s3 = await startLocalPluginS3(BUCKET);
  backend = await startUploadBackend(configFor(s3));
});

afterAll(async () => {
  await backend?.stop();
  await s3?.stop();
});

/** Presigns as `user` and PUTs the bytes to the URL it got, as the browser would. */
async function upload(user: string, body: Buffer, contentType = 'image/png') {
  const presigned = await backend.http().post(UPLOADS).set(as.user(user)).send({ filename: 'a.png', contentType, size: body.length });
  expect(presigned.status).toBe(200);
  const put = await fetch(presigned.body.url, { method: 'PUT', headers: presigned.body.headers, body: new Uint8Array(body) });
  expect(put.status).toBe(200);
  return presigned.body as { key: string; url: string };
}

describe('a signed-in user', () => {
  it('presigns under /api/direct-upload, PUTs the bytes to S3 and completes; the object is stored', async () => {
    const body = bytes(4321);
    const presigned = await backend.http().post(UPLOADS).set(as.user(ALICE)).send({ filename: 'team-photo.png', contentType: 'image/png', size: body.length });
    expect(presigned.status).toBe(200);
    expect(presigned.body).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'image/png' }, size: 4321 });
    expect(presigned.body.url.startsWith(`${s3.endpoint}/${BUCKET}/uploads/`)).toBe(true);

    const put = await fetch(presigned.body.url, { method: 'PUT', headers: presigned.body.headers, body: new Uint8Array(body) });
    expect(put.status).toBe(200);

    const done = await backend.http().post(`${UPLOADS}/complete`).set(as.user(ALICE)).send({ key: presigned.body.key });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ key: presigned.body.key, size: 4321, contentType: 'image/png' });

    const stored = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: presigned.body.key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('gets the AWS sample\'s GET route too, and the core\'s limits from app-config as problem+json', async () => {
    const get = await backend.http().get(UPLOADS).query({ contentType: 'text/plain', size: 5 }).set(as.user(ALICE));
    expect(get.status).toBe(200);
    expect(get.body.uploadURL).toBe(get.body.url);

    const tooBig = await backend.http().post(UPLOADS).set(as.user(ALICE)).send({ filename: 'big.png', contentType: 'image/png', size: 1024 * 1024 + 1 });
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers['content-type']).toMatch(/^application\/problem\+json/);
    const wrongType = await backend.http().post(UPLOADS).set(as.user(ALICE)).send({ filename: 'a.pdf', contentType: 'application/pdf', size: 10 });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body).toMatchObject({ code: 'unsupported_content_type', instance: UPLOADS });
  });

  it('gets a 400 problem for a malformed body, and the backend keeps answering (no hung Express 4 request)', async () => {
    const bad = await backend.http().post(UPLOADS).set(as.user(ALICE)).set('Content-Type', 'application/json').send('{"filename":');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    const after = await backend.http().post(UPLOADS).set(as.user(ALICE)).send({ filename: 'a.png', contentType: 'image/png', size: 1 });
    expect(after.status).toBe(200);
  });
});

describe('identity comes from Backstage', () => {
  it('answers a request without a Backstage token with a 401 problem, on every route', async () => {
    for (const req of [
      backend.http().post(UPLOADS).set(as.nobody()).send({ filename: 'a.png', contentType: 'image/png', size: 10 }),
      backend.http().get(UPLOADS).query({ contentType: 'image/png', size: 10 }),
      backend.http().post(`${UPLOADS}/complete`).send({ key: 'uploads/x/y.png' }),
      backend.http().post(`${UPLOADS}/multipart`).send({ filename: 'a.png', contentType: 'image/png', size: 10 }),
    ]) {
      const res = await req;
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(res.body.code).toBe('invalid_token');
    }
  });

  it('answers a token that does not verify with 401', async () => {
    const res = await backend.http().post(UPLOADS).set('Authorization', mockCredentials.user.invalidHeader()).send({ filename: 'a.png', contentType: 'image/png', size: 10 });
    expect(res.status).toBe(401);
  });

  it('refuses a service principal with a 403 problem naming the setting', async () => {
    const res = await backend.http().post(UPLOADS).set(as.service()).send({ filename: 'a.png', contentType: 'image/png', size: 10 });
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/directUpload\.allowServicePrincipals/);
  });

  it('lets a service principal upload when directUpload.allowServicePrincipals is true', async () => {
    const services = await startUploadBackend({ ...configFor(s3), allowServicePrincipals: true });
    try {
      const res = await services.http().post(UPLOADS).set(as.service()).send({ filename: 'a.png', contentType: 'image/png', size: 10 });
      expect(res.status).toBe(200);
      // Its folder is not any user's.
      const user = await services.http().post(UPLOADS).set(as.user(ALICE)).send({ filename: 'a.png', contentType: 'image/png', size: 10 });
      expect(path.posix.dirname(res.body.key)).not.toBe(path.posix.dirname(user.body.key));
    } finally {
      await services.stop();
    }
  });
});

describe('two users', () => {
  it('get separate folders and cannot complete, list or abort each other\'s uploads (403)', async () => {
    const alices = await upload(ALICE, bytes(100));
    const bobs = await upload(BOB, bytes(100, 9));
    expect(path.posix.dirname(alices.key)).not.toBe(path.posix.dirname(bobs.key));

    const complete = await backend.http().post(`${UPLOADS}/complete`).set(as.user(BOB)).send({ key: alices.key });
    expect(complete.status).toBe(403);
    expect(complete.body.code).toBe('forbidden');

    // The ownership check comes before any S3 call, so any upload id will do: the key is Alice's.
    const ref = { key: alices.key, uploadId: 'an-upload-id' };
    const parts = await backend.http().post(`${UPLOADS}/multipart/parts`).set(as.user(BOB)).send({ ...ref, size: 100, partNumbers: [1] });
    expect(parts.status).toBe(403);
    const list = await backend.http().get(`${UPLOADS}/multipart/parts`).query(ref).set(as.user(BOB));
    expect(list.status).toBe(403);
    const abort = await backend.http().delete(`${UPLOADS}/multipart`).query(ref).set(as.user(BOB));
    expect(abort.status).toBe(403);

    // Alice's own completion still works, and her object is untouched.
    const mine = await backend.http().post(`${UPLOADS}/complete`).set(as.user(ALICE)).send({ key: alices.key });
    expect(mine.status).toBe(200);
  });
});

describe('logging', () => {
  it('reports verified uploads and server-side failures to the Backstage logger', async () => {
    const logger = recordingLogger();
    // Nothing listens on port 9 of 127.0.0.1: the S3 calls of /complete fail for real (connection refused).
    const unreachable = await startUploadBackend({ ...configFor(s3), endpoint: 'http://127.0.0.1:9' }, { logger });
    try {
      const res = await unreachable.http().post(`${UPLOADS}/complete`).set(as.user(ALICE)).send({ key: 'uploads/0123/x.png' });
      // Ownership fails first for a key outside Alice's folder; that is a 403, logged at debug level only.
      expect(res.status).toBe(403);
      expect(logger.error).not.toHaveBeenCalled();

      const presigned = await unreachable.http().post(UPLOADS).set(as.user(ALICE)).send({ filename: 'a.png', contentType: 'image/png', size: 3 });
      expect(presigned.status).toBe(200); // signing needs no network
      const down = await unreachable.http().post(`${UPLOADS}/complete`).set(as.user(ALICE)).send({ key: presigned.body.key });
      expect(down.status).toBe(503);
      expect(down.body.code).toBe('storage_unavailable');
      expect(logger.error).toHaveBeenCalledWith('Upload request failed', expect.any(Error));
    } finally {
      await unreachable.stop();
    }

    const ok = await startUploadBackend(configFor(s3), { logger });
    try {
      const done = await upload(ALICE, bytes(10));
      expect((await ok.http().post(`${UPLOADS}/complete`).set(as.user(ALICE)).send({ key: done.key })).status).toBe(200);
      expect(logger.info).toHaveBeenCalledWith(expect.stringContaining(`Upload verified: ${done.key} (10 bytes, image/png) for ${ALICE}`));
    } finally {
      await ok.stop();
    }
  });
});
