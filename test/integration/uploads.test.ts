// The presign routes end to end: real RS256 tokens from a JWKS issuer, real bytes PUT to a real local S3 (s3rver).
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import express from 'express';
import request from 'supertest';
import { directUpload } from '../../middleware';
import { startUploadServices, type UploadServices } from '../support/upload-services';

let services: UploadServices;
beforeAll(async () => {
  services = await startUploadServices();
});
afterAll(async () => {
  await services?.stop();
});

const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) % 256));

async function put(url: string, headers: Record<string, string>, body: Buffer) {
  return fetch(url, { method: 'PUT', headers, body: new Uint8Array(body) });
}

describe('POST /uploads', () => {
  it('returns a PUT that lands the exact bytes and type in the bucket, under the caller\'s folder', async () => {
    const app = services.app();
    const token = await services.token('auth0|alice');
    const body = bytes(4321);
    const res = await request(app)
      .post('/uploads')
      .set('Authorization', `Bearer ${token}`)
      .send({ filename: 'holiday.JPG', contentType: 'image/jpeg', size: body.length })
      .expect(200);

    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'image/jpeg' }, size: 4321 });
    expect(res.body.key).toMatch(/^uploads\/[0-9a-f]{32}\/[0-9a-f-]{36}\.jpg$/);
    // uploadURL is the AWS sample's name, kept on its GET route; the JSON API has one name per thing.
    expect(res.body.uploadURL).toBeUndefined();

    const upload = await put(res.body.url, res.body.headers, body);
    expect(upload.status).toBe(200);

    const head = await services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: res.body.key }));
    expect(head.ContentLength).toBe(4321);
    expect(head.ContentType).toBe('image/jpeg');
    const stored = await services.client.send(new GetObjectCommand({ Bucket: services.bucket, Key: res.body.key }));
    expect(Buffer.from(await stored.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  it('signs Content-Type and Content-Length, carries no checksum parameters, and expires as configured', async () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const app = services.app({ expiresIn: 120, clock: () => now });
    const res = await request(app)
      .post('/uploads')
      .set('Authorization', `Bearer ${await services.token()}`)
      .send({ filename: 'a.png', contentType: 'image/png', size: 10 })
      .expect(200);
    const url = new URL(res.body.url);
    const signed = url.searchParams.get('X-Amz-SignedHeaders')!.split(';');
    expect(signed).toEqual(expect.arrayContaining(['content-type', 'content-length', 'host']));
    expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20261125T120000Z');
    expect(res.body.expiresAt).toBe('2026-11-25T12:02:00.000Z');
    expect([...url.searchParams.keys()].filter((k) => k.toLowerCase().startsWith('x-amz-checksum'))).toEqual([]);
    expect(url.pathname).toBe(`/${services.bucket}/${res.body.key}`);
  });

  it('gives two users keys under different folders, and never takes a key from the client', async () => {
    const app = services.app();
    const ask = async (sub: string) =>
      (
        await request(app)
          .post('/uploads')
          .set('Authorization', `Bearer ${await services.token(sub)}`)
          .send({ filename: 'x.png', contentType: 'image/png', size: 5, key: 'uploads/evil/x.png', bucket: 'other' })
          .expect(200)
      ).body.key as string;
    const [a1, a2, b] = [await ask('auth0|alice'), await ask('auth0|alice'), await ask('auth0|bob')];
    const folder = (key: string) => key.split('/').slice(0, 2).join('/');
    expect(folder(a1)).toBe(folder(a2));
    expect(folder(a1)).not.toBe(folder(b));
    expect(a1).not.toBe(a2);
    expect(a1).not.toContain('evil');
  });

  it.each([
    ['../../etc/passwd', /\/[0-9a-f-]{36}\.png$/],
    ['photo.tar.PNG', /\.png$/],
    ['ünïcødé-фото.jpeg', /[0-9a-f-]{36}\.png$/],
    ['noextension', /[0-9a-f-]{36}\.png$/],
    ['weird.p$g', /[0-9a-f-]{36}\.png$/],
    ['evil.html', /[0-9a-f-]{36}\.png$/],
    ['evil\u202Egnp.html', /[0-9a-f-]{36}\.png$/],
  ])('takes the extension from the content type, never from the filename %j', async (filename, pattern) => {
    const res = await request(services.app())
      .post('/uploads')
      .set('Authorization', `Bearer ${await services.token()}`)
      .send({ filename, contentType: 'image/png', size: 5 })
      .expect(200);
    expect(res.body.key).toMatch(pattern);
    expect(res.body.key).toMatch(/^uploads\/[0-9a-f]{32}\/[0-9a-f-]{36}(\.[a-z0-9]+)?$/);
  });
});

describe('input errors are problem+json', () => {
  const post = async (body: unknown, type = 'application/json') =>
    request(services.app())
      .post('/uploads')
      .set('Authorization', `Bearer ${await services.token()}`)
      .set('Content-Type', type)
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  it.each([
    ['a disallowed type', { filename: 'a.exe', contentType: 'application/x-msdownload', size: 10 }, 415, 'unsupported_content_type'],
    ['an oversize file', { filename: 'a.jpg', contentType: 'image/jpeg', size: 10 * 1024 * 1024 + 1 }, 413, 'file_too_large'],
    ['a missing size', { filename: 'a.jpg', contentType: 'image/jpeg' }, 400, 'invalid_request'],
    ['a missing contentType', { filename: 'a.jpg', size: 3 }, 400, 'invalid_request'],
    ['a negative size', { contentType: 'image/jpeg', size: -1 }, 400, 'invalid_request'],
    ['a fractional size', { contentType: 'image/jpeg', size: 1.5 }, 400, 'invalid_request'],
    ['a string size', { contentType: 'image/jpeg', size: '12' }, 400, 'invalid_request'],
    ['a zero size', { contentType: 'image/jpeg', size: 0 }, 400, 'invalid_request'],
    ['a malformed type', { contentType: 'image jpeg', size: 3 }, 400, 'invalid_request'],
    ['a wildcard type', { contentType: 'image/*', size: 3 }, 400, 'invalid_request'],
    ['a very long filename', { filename: `${'a'.repeat(300)}.jpg`, contentType: 'image/jpeg', size: 3 }, 400, 'invalid_request'],
    ['control characters in the filename', { filename: 'a\u0000b\n.jpg', contentType: 'image/jpeg', size: 3 }, 400, 'invalid_request'],
    ['a bad contentMD5', { contentType: 'image/jpeg', size: 3, contentMD5: 'nope' }, 400, 'invalid_request'],
    ['an array body', [1, 2], 400, 'invalid_request'],
    ['a null body', 'null', 400, 'invalid_request'],
  ])('%s', async (_, body, status, code) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code, type: `urn:express-direct-upload:problem:${code}` });
    expect(typeof res.body.detail).toBe('string');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('malformed JSON', async () => {
    const res = await post('{"contentType": "image/jpeg",', 'application/json');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/not valid JSON/);
  });

  it('a form body instead of JSON', async () => {
    const res = await post('contentType=image/jpeg&size=3', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/application\/json/);
  });

  it('an oversized request body', async () => {
    const res = await post({ contentType: 'image/jpeg', size: 3, padding: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('request_too_large');
  });

  it('a compressed or non-UTF-8 body is a clear 400', async () => {
    const token = await services.token();
    const gz = await request(services.app()).post('/uploads').set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('{}');
    expect(gz.status).toBe(400);
    expect(gz.body.detail).toMatch(/uncompressed/);
    const latin1 = await request(services.app()).post('/uploads').set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/json; charset=latin1').send('{}');
    expect(latin1.status).toBe(400);
    expect(latin1.body.detail).toMatch(/UTF-8/);
  });

  it('works behind the host app\'s own express.json()', async () => {
    const app = express();
    app.use(express.json());
    app.use(directUpload(services.options()));
    const res = await request(app).post('/uploads').set('Authorization', `Bearer ${await services.token()}`).send({ contentType: 'image/png', size: 3 });
    expect(res.status).toBe(200);
    expect(res.body.method).toBe('PUT');
  });

  it('names every bad field at once', async () => {
    const res = await post({ filename: 5, contentType: 7 });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['contentType', 'filename', 'size']);
  });

  it('an unsupported method gets 405 with Allow', async () => {
    const res = await request(services.app()).delete('/uploads').set('Authorization', `Bearer ${await services.token()}`);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, POST');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('GET /uploads (the AWS sample\'s Postman flow)', () => {
  it('returns uploadURL and key for a sized request, and the PUT lands', async () => {
    const body = bytes(999);
    const res = await request(services.app())
      .get('/uploads')
      .query({ contentType: 'image/jpeg', filename: 'p.jpg', size: body.length })
      .set('Authorization', `Bearer ${await services.token()}`)
      .expect(200);
    expect(res.body).toEqual(expect.objectContaining({ uploadURL: expect.any(String), key: expect.stringMatching(/\.jpg$/) }));
    expect(res.body.uploadURL).toBe(res.body.url);
    expect((await put(res.body.uploadURL, { 'Content-Type': 'image/jpeg' }, body)).status).toBe(200);
    const head = await services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: res.body.key }));
    expect(head.ContentLength).toBe(999);
  });

  it('a bare GET names the parameters to add', async () => {
    const res = await request(services.app()).get('/uploads').set('Authorization', `Bearer ${await services.token()}`);
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/contentType/);
    expect(res.body.detail).toMatch(/size/);
  });

  it('a bare GET gets a URL when one type is allowed and unsized uploads are explicitly allowed', async () => {
    const app = services.app({ allowedContentTypes: ['image/jpeg'], allowUnsizedUploads: true });
    const res = await request(app).get('/uploads').set('Authorization', `Bearer ${await services.token()}`).expect(200);
    expect(res.body.headers).toEqual({ 'Content-Type': 'image/jpeg', 'x-amz-acl': 'private', 'If-None-Match': '*' });
    const signed = new URL(res.body.uploadURL).searchParams.get('X-Amz-SignedHeaders')!.split(';');
    expect(signed).toContain('content-type');
    expect(signed).not.toContain('content-length');
    expect((await put(res.body.uploadURL, { 'Content-Type': 'image/jpeg' }, bytes(50))).status).toBe(200);
  });

  it('a repeated query parameter is a 400, not a crash', async () => {
    const res = await request(services.app())
      .get('/uploads?contentType=image/png&contentType=image/jpeg&size=3')
      .set('Authorization', `Bearer ${await services.token()}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('GET /uploads over 5 GiB', () => {
  it('is a 413, as POST /uploads is without multipart, even when maxFileSize allows more', async () => {
    const GiB = 1024 ** 3;
    const app = services.app({ maxFileSize: 10 * GiB });
    const token = await services.token();
    const over = await request(app).get(`/uploads?contentType=image/png&size=${5 * GiB + 1}`).set('Authorization', `Bearer ${token}`);
    expect(over.status).toBe(413);
    expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(over.body.code).toBe('file_too_large');
    await request(app).get(`/uploads?contentType=image/png&size=${5 * GiB}`).set('Authorization', `Bearer ${token}`).expect(200);
  });
});

describe('options that shape the object', () => {
  it('signs metadata, Content-Disposition and Content-MD5 into the upload', async () => {
    const body = bytes(64);
    const md5 = require('node:crypto').createHash('md5').update(body).digest('base64');
    const app = services.app({ contentDisposition: true, metadata: (ctx) => ({ owner: ctx.ownerPrefix.split('/')[1] }) });
    const res = await request(app)
      .post('/uploads')
      .set('Authorization', `Bearer ${await services.token()}`)
      .send({ filename: 'Résumé "final".png', contentType: 'image/png', size: body.length, contentMD5: md5 })
      .expect(200);
    expect(res.body.headers['Content-MD5']).toBe(md5);
    expect(res.body.headers['Content-Disposition']).toBe(`attachment; filename="R_sum_ _final_.png"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.png`);
    const signed = new URL(res.body.url).searchParams.get('X-Amz-SignedHeaders')!.split(';');
    expect(signed).toEqual(expect.arrayContaining(['content-md5', 'content-disposition', 'x-amz-meta-owner', 'x-amz-meta-declared-headers']));
    expect(new URL(res.body.url).searchParams.get('x-amz-meta-owner')).toBeNull();
    expect(res.body.headers['x-amz-meta-owner']).toMatch(/^[0-9a-f]{32}$/);
    expect((await put(res.body.url, res.body.headers, body)).status).toBe(200);
    const head = await services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: res.body.key }));
    expect(head.Metadata?.owner).toMatch(/^[0-9a-f]{32}$/);
  });

  it('uses the key hook, and refuses a key outside the caller\'s folder as a server error', async () => {
    const good = services.app({ key: (ctx) => `${ctx.ownerPrefix}avatars/${ctx.uuid}.${ctx.extension}` });
    const res = await request(good).post('/uploads').set('Authorization', `Bearer ${await services.token()}`).send({ contentType: 'image/png', size: 3 }).expect(200);
    expect(res.body.key).toMatch(/^uploads\/[0-9a-f]{32}\/avatars\/[0-9a-f-]{36}\.png$/);

    const bad = services.app({ key: () => 'uploads/someone-else/x.png' });
    const res2 = await request(bad).post('/uploads').set('Authorization', `Bearer ${await services.token()}`).send({ contentType: 'image/png', size: 3 });
    expect(res2.status).toBe(500);
    expect(res2.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res2.body.detail).not.toMatch(/someone-else/);
  });

  it('refuses a metadata hook that claims the reserved declared-size name', async () => {
    const app = services.app({ metadata: () => ({ 'Declared-Size': '1' }) });
    const res = await request(app).post('/uploads').set('Authorization', `Bearer ${await services.token()}`).send({ contentType: 'image/png', size: 3 });
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('passes unrelated routes through untouched', async () => {
    const app = services.app();
    app.get('/health', (_req, res) => void res.send('ok'));
    await request(app).get('/health').expect(200, 'ok');
  });
});

describe('rate limiting in front of the router', () => {
  it('a host limiter answers 429 problem+json with Retry-After through sendProblem', async () => {
    const { sendProblem, RateLimitedError } = await import('../../middleware');
    const app = express();
    let used = 0;
    // The smallest possible limiter: two requests, then refuse; real hosts use express-rate-limit with the same handler.
    app.use('/uploads', (_req, res, next) => (++used > 2 ? sendProblem(res, new RateLimitedError('Too many upload requests; try again in 30 seconds.', 30)) : next()));
    app.use(directUpload(services.options()));
    const token = await services.token();
    const ask = () => request(app).post('/uploads').set('Authorization', `Bearer ${token}`).send({ contentType: 'image/png', size: 3 });
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(200);
    const limited = await ask();
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('30');
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, code: 'rate_limited' });
  });
});
