// Large files: stateless multipart through presigned part URLs, resume across server processes, ownership, verify-after-upload.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import request from 'supertest';
import type { Express } from 'express';
import { describeWithRgw } from '../support/rgw';
import { startUploadServices, type UploadServices } from '../support/upload-services';

const MiB = 1024 * 1024;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function objectSha256(services: UploadServices, key: string): Promise<string> {
  const out = await services.client.send(new GetObjectCommand({ Bucket: services.bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of out.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

type Api = (method: 'get' | 'post' | 'delete', url: string, body?: object) => Promise<request.Response>;

function apiFor(app: Express | string, token: string): Api {
  return (method, url, body) => {
    const req = request(app)[method](url).set('Authorization', `Bearer ${token}`);
    return body ? req.send(body) : req;
  };
}

/** PUTs the given parts of `data` through freshly signed part URLs; returns the HTTP status of each. */
async function uploadParts(api: Api, started: { key: string; uploadId: string; size: number; partSize: number }, data: Buffer, numbers: number[]) {
  const signed = await api('post', '/uploads/multipart/parts', { key: started.key, uploadId: started.uploadId, size: started.size, partNumbers: numbers });
  expect(signed.status).toBe(200);
  const statuses: number[] = [];
  for (const part of signed.body.parts as Array<{ partNumber: number; url: string; size: number }>) {
    const start = (part.partNumber - 1) * started.partSize;
    const res = await fetch(part.url, { method: 'PUT', body: new Uint8Array(data.subarray(start, start + part.size)) });
    statuses.push(res.status);
  }
  return statuses;
}

describe('multipart and verification routes (any S3)', () => {
  let services: UploadServices;
  beforeAll(async () => {
    services = await startUploadServices('mp-local');
  });
  afterAll(async () => services?.stop());

  it('POST /uploads switches to multipart above the threshold, with a plan from the declared size', async () => {
    const app = services.app({ maxFileSize: 1024 * MiB, multipart: { threshold: 16 * MiB, partSize: 8 * MiB } });
    const api = apiFor(app, await services.token());
    const small = await api('post', '/uploads', { filename: 'a.png', contentType: 'image/png', size: 16 * MiB });
    expect(small.body.method).toBe('PUT');
    const big = await api('post', '/uploads', { filename: 'a.png', contentType: 'image/png', size: 100 * MiB + 1 });
    expect(big.status).toBe(201);
    expect(big.body).toMatchObject({ method: 'MULTIPART', size: 100 * MiB + 1, partSize: 8 * MiB, partCount: 13 });
    expect(big.body.uploadId).toEqual(expect.any(String));
  });

  it('signs part URLs that sign each part\'s exact length', async () => {
    const app = services.app({ maxFileSize: 1024 * MiB });
    const api = apiFor(app, await services.token());
    const started = await api('post', '/uploads/multipart', { filename: 'v.png', contentType: 'image/png', size: 20 * MiB + 5 });
    expect(started.status).toBe(201);
    const res = await api('post', '/uploads/multipart/parts', { key: started.body.key, uploadId: started.body.uploadId, size: 20 * MiB + 5, partNumbers: [1, 3, 3] });
    expect(res.status).toBe(200);
    expect(res.body.parts.map((p: { partNumber: number; size: number }) => [p.partNumber, p.size])).toEqual([
      [1, 8 * MiB],
      [3, 4 * MiB + 5],
    ]);
    const url = new URL(res.body.parts[1].url);
    expect(url.searchParams.get('partNumber')).toBe('3');
    expect(url.searchParams.get('uploadId')).toBe(started.body.uploadId);
    expect(url.searchParams.get('X-Amz-SignedHeaders')!.split(';')).toContain('content-length');

    const outside = await api('post', '/uploads/multipart/parts', { key: started.body.key, uploadId: started.body.uploadId, size: 20 * MiB + 5, partNumbers: [4] });
    expect(outside.status).toBe(400);
    const tooMany = await api('post', '/uploads/multipart/parts', { key: started.body.key, uploadId: started.body.uploadId, size: 20 * MiB + 5, partNumbers: Array.from({ length: 101 }, (_, i) => i + 1) });
    expect(tooMany.status).toBe(400);
    const oversize = await api('post', '/uploads/multipart/parts', { key: started.body.key, uploadId: started.body.uploadId, size: 2048 * MiB, partNumbers: [1] });
    expect(oversize.status).toBe(413);
  });

  it('refuses every route on another user\'s key with 403, before touching S3', async () => {
    const app = services.app({ maxFileSize: 1024 * MiB });
    const alice = apiFor(app, await services.token('auth0|alice'));
    const mallory = apiFor(app, await services.token('auth0|mallory'));
    const started = await alice('post', '/uploads/multipart', { filename: 'v.png', contentType: 'image/png', size: 6 * MiB });
    const { key, uploadId } = started.body;
    const q = `key=${encodeURIComponent(key)}&uploadId=${encodeURIComponent(uploadId)}`;
    const attempts = [
      await mallory('post', '/uploads/multipart/parts', { key, uploadId, size: 6 * MiB, partNumbers: [1] }),
      await mallory('get', `/uploads/multipart/parts?${q}`),
      await mallory('post', '/uploads/multipart/complete', { key, uploadId, size: 6 * MiB }),
      await mallory('delete', `/uploads/multipart?${q}`),
      await mallory('post', '/uploads/complete', { key }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it.each([
    ['no key', { uploadId: 'x', size: 1, partNumbers: [1] }],
    ['a non-string uploadId', { key: 'uploads/x', uploadId: 5, size: 1, partNumbers: [1] }],
  ])('a request with %s is a 400', async (_, body) => {
    const res = await apiFor(services.app(), await services.token())('post', '/uploads/multipart/parts', body);
    expect(res.status).toBe(400);
  });

  it('POST /uploads/complete verifies a single PUT, calls onUploaded, and is idempotent', async () => {
    const seen: Array<{ key: string; size: number; owner: string }> = [];
    const app = services.app({ onUploaded: (object) => void seen.push(object) });
    const api = apiFor(app, await services.token('auth0|carol'));
    const body = randomBytes(3000);
    const presigned = await api('post', '/uploads', { filename: 'c.png', contentType: 'image/png', size: body.length });
    expect((await fetch(presigned.body.url, { method: 'PUT', headers: presigned.body.headers, body: new Uint8Array(body) })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const done = await api('post', '/uploads/complete', { key: presigned.body.key, size: 3000, contentType: 'image/png' });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ key: presigned.body.key, size: 3000, contentType: 'image/png' });
    }
    // The hook runs on every successful verification; README tells hosts to make it idempotent (upsert by key).
    expect(seen).toHaveLength(2);
    expect(seen[0]).toEqual(expect.objectContaining({ key: presigned.body.key, size: 3000, owner: 'auth0|carol', bucket: services.bucket }));
  });

  it('POST /uploads/complete: 404 when nothing was uploaded, 409 (and deleted) when the object is not what was authorised', async () => {
    const app = services.app();
    const token = await services.token('auth0|dave');
    const api = apiFor(app, token);
    const presigned = await api('post', '/uploads', { filename: 'd.png', contentType: 'image/png', size: 10 });
    const missing = await api('post', '/uploads/complete', { key: presigned.body.key });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);

    // s3rver does not enforce the signed type, so this stands in for any S3 that stored something else under the key.
    await services.client.send(new PutObjectCommand({ Bucket: services.bucket, Key: presigned.body.key, Body: 'MZ', ContentType: 'application/x-msdownload' }));
    const wrong = await api('post', '/uploads/complete', { key: presigned.body.key });
    expect(wrong.status).toBe(409);
    expect(wrong.body.code).toBe('upload_mismatch');
    expect(wrong.body.detail).toMatch(/not allowed/);
    await expect(services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: presigned.body.key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('POST /uploads/complete with a wrong size or type from the client is a 409, and the authorised object is kept', async () => {
    const seen: string[] = [];
    const app = services.app({ onUploaded: (object) => void seen.push(object.key) });
    const api = apiFor(app, await services.token('auth0|erin'));
    const body = randomBytes(500);
    const presigned = await api('post', '/uploads', { filename: 'e.png', contentType: 'image/png', size: body.length });
    const put = await fetch(presigned.body.url, { method: 'PUT', headers: presigned.body.headers, body: new Uint8Array(body) });
    expect(put.status).toBe(200);
    for (const claim of [{ size: 501 }, { contentType: 'image/jpeg' }]) {
      const res = await api('post', '/uploads/complete', { key: presigned.body.key, ...claim });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('upload_mismatch');
      expect(res.body.detail).toMatch(/expected.*kept/);
    }
    expect(seen).toEqual([]);
    const head = await services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: presigned.body.key }));
    expect(head.ContentLength).toBe(500);
    // The object is still there and still what was authorised: a complete with the right claims accepts it, with its stored ETag.
    const done = await api('post', '/uploads/complete', { key: presigned.body.key, size: 500, contentType: 'image/png' });
    expect(done.status).toBe(200);
    expect(done.body.etag).toBe(head.ETag);
    expect(done.body.etag).toBe(put.headers.get('etag'));
    expect(seen).toEqual([presigned.body.key]);
  });

  it('a failing S3 is a 503 on the routes that call it, and the presign routes keep working', async () => {
    const app = services.app({ s3: { endpoint: 'http://127.0.0.1:1', forcePathStyle: true, credentials: services.s3.credentials, maxAttempts: 1 } });
    const api = apiFor(app, await services.token());
    const start = await api('post', '/uploads/multipart', { filename: 'v.png', contentType: 'image/png', size: 6 * MiB });
    expect(start.status).toBe(503);
    expect(start.body.code).toBe('storage_unavailable');
    expect((await api('post', '/uploads', { filename: 'v.png', contentType: 'image/png', size: 6 })).status).toBe(200);
  });
});

/** Starts test/support/upload-server.ts as its own process, so a test can kill it like a crashed instance. */
async function startServerProcess(options: object): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, '../support/upload-server.ts')], {
    env: { ...process.env, UPLOAD_SERVER_OPTIONS: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`upload server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

describeWithRgw('multipart against a verifying S3 (Ceph RGW)', (rgw) => {
  let services: UploadServices;
  beforeAll(async () => {
    services = await startUploadServices('mp-rgw', rgw);
  }, 60_000);
  afterAll(async () => services?.stop());

  const options = () => ({ maxFileSize: 1024 * MiB, multipart: { threshold: 16 * MiB, partSize: 8 * MiB } });

  it('uploads 64 MiB + 123 bytes in parts; the object is byte-identical (SHA-256)', async () => {
    const data = randomBytes(64 * MiB + 123);
    const app = services.app(options());
    const api = apiFor(app, await services.token());
    const started = await api('post', '/uploads', { filename: 'film.webm', contentType: 'video/webm', size: data.length });
    expect(started.status).toBe(415);
    const app2 = services.app({ ...options(), allowedContentTypes: ['video/*'] });
    const api2 = apiFor(app2, await services.token());
    const mp = await api2('post', '/uploads', { filename: 'film.webm', contentType: 'video/webm', size: data.length });
    expect(mp.status).toBe(201);
    expect(mp.body.partCount).toBe(9);
    const statuses = await uploadParts(api2, mp.body, data, Array.from({ length: 9 }, (_, i) => i + 1));
    expect(statuses).toEqual(Array(9).fill(200));
    const listed = await api2('get', `/uploads/multipart/parts?key=${encodeURIComponent(mp.body.key)}&uploadId=${encodeURIComponent(mp.body.uploadId)}`);
    expect(listed.body.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const done = await api2('post', '/uploads/multipart/complete', { key: mp.body.key, uploadId: mp.body.uploadId, size: data.length });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ key: mp.body.key, size: data.length, contentType: 'video/webm' });
    expect(await objectSha256(services, mp.body.key)).toBe(sha256(data));
    // Completing again only verifies: the route is idempotent.
    const again = await api2('post', '/uploads/multipart/complete', { key: mp.body.key, uploadId: mp.body.uploadId, size: data.length });
    expect(again.status).toBe(200);
  }, 120_000);

  it('resumes after the server process is killed between parts: a new process finishes the upload', async () => {
    const data = randomBytes(24 * MiB + 7);
    const serverOptions = services.options(options());
    const token = await services.token('auth0|resumer');
    const first = await startServerProcess(serverOptions);
    let second: { url: string; child: ChildProcess } | undefined;
    try {
      const api = apiFor(first.url, token);
      const mp = await api('post', '/uploads', { filename: 'r.png', contentType: 'image/png', size: data.length });
      expect(mp.status).toBe(201);
      expect(await uploadParts(api, mp.body, data, [1, 3])).toEqual([200, 200]);
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));

      second = await startServerProcess(serverOptions);
      const api2 = apiFor(second.url, token);
      const listed = await api2('get', `/uploads/multipart/parts?key=${encodeURIComponent(mp.body.key)}&uploadId=${encodeURIComponent(mp.body.uploadId)}`);
      expect(listed.status).toBe(200);
      const have = new Set(listed.body.parts.map((p: { partNumber: number }) => p.partNumber));
      expect([...have]).toEqual([1, 3]);
      const rest = [1, 2, 3, 4].filter((n) => !have.has(n));
      expect(await uploadParts(api2, mp.body, data, rest)).toEqual([200, 200]);
      const done = await api2('post', '/uploads/multipart/complete', { key: mp.body.key, uploadId: mp.body.uploadId, size: data.length });
      expect(done.status).toBe(200);
      expect(await objectSha256(services, mp.body.key)).toBe(sha256(data));
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
    }
  }, 120_000);

  it('S3 rejects a part of the wrong size; complete with a missing part fails clearly', async () => {
    const data = randomBytes(12 * MiB);
    const api = apiFor(services.app(options()), await services.token());
    const mp = await api('post', '/uploads/multipart', { filename: 'w.png', contentType: 'image/png', size: data.length });
    const signed = await api('post', '/uploads/multipart/parts', { key: mp.body.key, uploadId: mp.body.uploadId, size: data.length, partNumbers: [1] });
    const short = await fetch(signed.body.parts[0].url, { method: 'PUT', body: new Uint8Array(data.subarray(0, 8 * MiB - 1)) });
    expect(short.status).toBe(403);
    expect(await uploadParts(api, mp.body, data, [1])).toEqual([200]);
    const incomplete = await api('post', '/uploads/multipart/complete', { key: mp.body.key, uploadId: mp.body.uploadId, size: data.length });
    expect(incomplete.status).toBe(409);
    expect(incomplete.body.code).toBe('incomplete_upload');
    expect(incomplete.body.detail).toMatch(/missing parts 2/);
  }, 60_000);

  it('a completed object whose size differs from the declared one is rejected and deleted', async () => {
    const data = randomBytes(10 * MiB);
    const api = apiFor(services.app(options()), await services.token());
    const mp = await api('post', '/uploads/multipart', { filename: 'x.png', contentType: 'image/png', size: data.length });
    // A client can sign parts for another total; the declared size recorded at start still catches it.
    const other = { ...mp.body, size: 9 * MiB };
    expect(await uploadParts(api, other, data, [1, 2])).toEqual([200, 200]);
    const res = await api('post', '/uploads/multipart/complete', { key: mp.body.key, uploadId: mp.body.uploadId, size: 9 * MiB });
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/not the 10485760 bytes declared/);
    await expect(services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: mp.body.key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  }, 60_000);

  it('abort leaves nothing behind, and is idempotent', async () => {
    const data = randomBytes(6 * MiB);
    const api = apiFor(services.app(options()), await services.token());
    const mp = await api('post', '/uploads/multipart', { filename: 'a.png', contentType: 'image/png', size: data.length });
    expect(await uploadParts(api, mp.body, data, [1])).toEqual([200]);
    const q = `key=${encodeURIComponent(mp.body.key)}&uploadId=${encodeURIComponent(mp.body.uploadId)}`;
    expect((await api('delete', `/uploads/multipart?${q}`)).status).toBe(204);
    expect((await api('delete', `/uploads/multipart?${q}`)).status).toBe(204);
    expect((await api('get', `/uploads/multipart/parts?${q}`)).status).toBe(404);
    const uploads = await services.client.send(new ListMultipartUploadsCommand({ Bucket: services.bucket, Prefix: mp.body.key }));
    expect(uploads.Uploads ?? []).toEqual([]);
    await expect(services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: mp.body.key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  }, 60_000);
});
