// The core on Express 4 (the peer range says ^4.18 || ^5; Backstage runs 4): presign, PUT, complete and errors.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import expressAsTheCoreSeesIt from 'express';
import express4 from 'express4';
import express4Package from 'express4/package.json';
import request from 'supertest';
import { directUpload } from '../../middleware';
import { startUploadServices, type UploadServices } from '../support/upload-services';

// The core imports the host's `express` (a peer dependency). In an Express 4 host that is Express 4, so the router
// it builds is an Express 4 router too; this repository's own `express` is 5, hence the swap.
jest.mock('express', () => jest.requireActual('express4'));

let stack: UploadServices;
beforeAll(async () => {
  stack = await startUploadServices('express4-uploads');
});
afterAll(async () => {
  await stack?.stop();
});

function express4App(overrides: Parameters<UploadServices['options']>[0] = {}) {
  const app = express4();
  app.use(directUpload(stack.options(overrides)) as unknown as express4.RequestHandler);
  return app;
}

it('runs on Express 4 for real', () => {
  expect(express4Package.version).toMatch(/^4\./);
  expect(expressAsTheCoreSeesIt).toBe(express4);
});

it('presigns, takes the PUT to S3 and verifies the upload', async () => {
  const app = express4App();
  const token = await stack.token('auth0|express4-user');
  const body = Buffer.from('a small PNG-typed body for Express 4');
  const presigned = await request(app)
    .post('/uploads')
    .set('Authorization', `Bearer ${token}`)
    .send({ filename: 'four.png', contentType: 'image/png', size: body.length })
    .expect(200);
  expect(presigned.body).toMatchObject({ method: 'PUT', size: body.length });

  const put = await fetch(presigned.body.url, { method: 'PUT', headers: presigned.body.headers, body: new Uint8Array(body) });
  expect(put.status).toBe(200);

  const done = await request(app).post('/uploads/complete').set('Authorization', `Bearer ${token}`).send({ key: presigned.body.key }).expect(200);
  expect(done.body).toMatchObject({ key: presigned.body.key, size: body.length, contentType: 'image/png' });
  const stored = await stack.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: presigned.body.key }));
  expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(body)).toBe(true);
});

it('answers errors as problem+json: a bad token, bad input, and a rejected S3 call (which Express 4 would leave hanging)', async () => {
  const noToken = await request(express4App()).post('/uploads').send({ filename: 'a.png', contentType: 'image/png', size: 1 });
  expect(noToken.status).toBe(401);
  expect(noToken.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(noToken.headers['www-authenticate']).toMatch(/^Bearer/);

  const token = await stack.token('auth0|express4-user');
  const bad = await request(express4App()).post('/uploads').set('Authorization', `Bearer ${token}`).send({ filename: 'a.png', contentType: 'image/png', size: -1 });
  expect(bad.status).toBe(400);
  expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(bad.body).toMatchObject({ status: 400, code: 'invalid_request', instance: '/uploads' });

  // Nothing listens on 127.0.0.1:9, so HeadObject fails for real inside an async route handler.
  const down = express4App({ s3: { endpoint: 'http://127.0.0.1:9', forcePathStyle: true, credentials: stack.s3.credentials } });
  const presigned = await request(down).post('/uploads').set('Authorization', `Bearer ${token}`).send({ filename: 'a.png', contentType: 'image/png', size: 1 }).expect(200);
  const unavailable = await request(down).post('/uploads/complete').set('Authorization', `Bearer ${token}`).send({ key: presigned.body.key });
  expect(unavailable.status).toBe(503);
  expect(unavailable.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(unavailable.body.code).toBe('storage_unavailable');
});
