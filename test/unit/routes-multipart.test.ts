// The multipart routes on a recording signer and an in-memory bucket: start, part URLs, list, complete and abort.
import request from 'supertest';
import { expectProblem, fakeApp, folderOf, MiB, NotFoundError, StorageUnavailableError, storedObject, SUB_HEADER, type FakeApp } from '../support/fake-deps';

const sub = 'auth0|alice';
const mine = folderOf(sub);
/** 5 MiB parts from 5 MiB up; 12 MiB + 3 bytes is three parts of 5, 5 and 2 MiB + 3. */
const options = { maxFileSize: 64 * MiB, multipart: { threshold: 5 * MiB, partSize: 5 * MiB, maxPartsPerRequest: 3 } };
const SIZE = 12 * MiB + 3;
const LAST = 2 * MiB + 3;

function app(overrides: Parameters<typeof fakeApp>[0] = {}): FakeApp {
  return fakeApp({ ...options, ...overrides });
}

/** Starts an upload through the route, as a client would, and returns its key and id. */
async function start(fake: FakeApp, size = SIZE): Promise<{ key: string; uploadId: string }> {
  const res = await request(fake.app).post('/uploads/multipart').set(SUB_HEADER, sub).send({ filename: 'film.mp4', contentType: 'video/mp4', size }).expect(201);
  return { key: res.body.key, uploadId: res.body.uploadId };
}

/** Puts parts into the fake bucket as if the client had uploaded them. */
function uploaded(fake: FakeApp, uploadId: string, sizes: Record<number, number>): void {
  fake.bucket.uploads.get(uploadId)!.parts = Object.entries(sizes).map(([n, size]) => ({ partNumber: Number(n), size, etag: `"etag-${n}"` }));
}

describe('starting a multipart upload', () => {
  it('POST /uploads above the threshold starts one in the bucket, storing the declared size and the signed-headers digest, and answers its plan', async () => {
    const fake = app({ allowedContentTypes: ['video/*'], contentDisposition: true, acl: 'public-read', metadata: () => ({ Album: '7' }) });
    const res = await request(fake.app).post('/uploads').set(SUB_HEADER, sub).send({ filename: 'film.mp4', contentType: 'video/mp4', size: SIZE }).expect(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ method: 'MULTIPART', key: expect.stringMatching(new RegExp(`^${mine}[0-9a-f-]{36}\\.mp4$`)), uploadId: 'upload-1', size: SIZE, partSize: 5 * MiB, partCount: 3 });
    expect(fake.bucket.calls).toEqual([
      {
        op: 'createMultipartUpload',
        args: [{ key: res.body.key, contentType: 'video/mp4', contentDisposition: `attachment; filename="film.mp4"; filename*=UTF-8''film.mp4`, acl: 'public-read', checksum: undefined, metadata: { 'declared-size': String(SIZE), 'declared-headers': expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), album: '7' } }],
      },
    ]);
    expect(fake.signer.calls).toEqual([]);
  });

  it('POST /uploads at exactly the threshold is still one PUT', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const res = await request(fake.app).post('/uploads').set(SUB_HEADER, sub).send({ contentType: 'video/mp4', size: 5 * MiB }).expect(200);
    expect(res.body.method).toBe('PUT');
    expect(fake.bucket.calls).toEqual([]);
  });

  it('POST /uploads/multipart starts one whatever the size, private, with only the declared size as metadata by default', async () => {
    const fake = app({ allowedContentTypes: ['image/png'] });
    const res = await request(fake.app).post('/uploads/multipart').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: 10 }).expect(201);
    expect(res.body).toMatchObject({ method: 'MULTIPART', size: 10, partSize: 5 * MiB, partCount: 1 });
    expect(fake.bucket.calls[0].args[0]).toEqual({ key: res.body.key, contentType: 'image/png', contentDisposition: undefined, acl: 'private', checksum: undefined, metadata: { 'declared-size': '10' } });
  });

  it('checks the request as POST /uploads does: 413 over maxFileSize, with no bucket call', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    expectProblem(await request(fake.app).post('/uploads/multipart').set(SUB_HEADER, sub).send({ contentType: 'video/mp4', size: 64 * MiB + 1 }), 413, 'file_too_large');
    const text = await request(fake.app).post('/uploads/multipart').set(SUB_HEADER, sub).type('text/plain').send('{}');
    expect(expectProblem(text, 400, 'invalid_request').detail).toBe('Send the request details as JSON with Content-Type: application/json.');
    expect(fake.bucket.calls).toEqual([]);
  });

  it('answers 503 when the bucket cannot be reached, and reports it to onError', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    fake.bucket.failures.createMultipartUpload = new StorageUnavailableError('The storage service could not be reached or refused the request. Try again later.');
    const res = await request(fake.app).post('/uploads/multipart').set(SUB_HEADER, sub).send({ contentType: 'video/mp4', size: SIZE });
    expect(expectProblem(res, 503, 'storage_unavailable').detail).toMatch(/could not be reached/);
    expect(fake.errors.map((e) => e.status)).toEqual([503]);
  });
});

describe('POST /uploads/multipart/parts: part URLs', () => {
  const ask = (fake: FakeApp, body: Record<string, unknown>) => request(fake.app).post('/uploads/multipart/parts').set(SUB_HEADER, sub).send(body);

  it('signs each asked part once with its exact length, sub-resources in the query; no bucket call', async () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const fake = app({ allowedContentTypes: ['video/*'], clock: () => now, expiresIn: 60 });
    const { key, uploadId } = await start(fake);
    fake.bucket.calls.length = 0;
    const res = await ask(fake, { key, uploadId, size: SIZE, partNumbers: [3, 1, 3] }).expect(200);
    expect(res.body).toEqual({
      parts: [
        { partNumber: 3, url: `https://s3.test/test-bucket/${key}?call=1`, size: LAST },
        { partNumber: 1, url: `https://s3.test/test-bucket/${key}?call=2`, size: 5 * MiB },
      ],
      expiresAt: '2026-11-25T12:01:00.000Z',
    });
    expect(fake.signer.calls).toEqual([
      { method: 'PUT', key, query: { partNumber: '3', uploadId }, headers: { 'content-length': String(LAST) }, expiresIn: 60, signingDate: now },
      { method: 'PUT', key, query: { partNumber: '1', uploadId }, headers: { 'content-length': String(5 * MiB) }, expiresIn: 60, signingDate: now },
    ]);
    expect(fake.bucket.calls).toEqual([]);
  });

  it('signs as many parts as maxPartsPerRequest allows, up to the last part', async () => {
    const fake = app();
    const res = await ask(fake, { key: `${mine}a.mp4`, uploadId: 'u1', size: SIZE, partNumbers: [1, 2, 3] }).expect(200);
    expect(res.body.parts.map((p: { size: number }) => p.size)).toEqual([5 * MiB, 5 * MiB, LAST]);
  });

  it.each([
    ['an empty list', []],
    ['a number instead of a list', 1],
    ['no list', undefined],
    ['more than maxPartsPerRequest', [1, 2, 3, 1]],
  ])('refuses %s of partNumbers with 400 and signs nothing', async (_name, partNumbers) => {
    const fake = app();
    const res = await ask(fake, { key: `${mine}a.mp4`, uploadId: 'u1', size: SIZE, partNumbers });
    const body = expectProblem(res, 400, 'invalid_request');
    expect(body.errors).toEqual([{ field: 'partNumbers', detail: '1 to 3 part numbers' }]);
    expect(body.detail).toBe('partNumbers must be a list of 1 to 3 part numbers.');
    expect(fake.signer.calls).toEqual([]);
  });

  it.each([
    ['part 0', 0],
    ['a part past the last', 4],
    ['a fractional part', 1.5],
    ['a part number as a string', '1'],
  ])('refuses %s with 400 naming the range', async (_name, n) => {
    const fake = app();
    const res = await ask(fake, { key: `${mine}a.mp4`, uploadId: 'u1', size: SIZE, partNumbers: [1, n] });
    const body = expectProblem(res, 400, 'invalid_request');
    expect(body.errors).toEqual([{ field: 'partNumbers', detail: 'each must be 1..3' }]);
    expect(body.detail).toBe(`Part number ${JSON.stringify(n)} is outside 1..3 for a ${SIZE}-byte upload.`);
    expect(fake.signer.calls).toEqual([]);
  });

  it.each([
    ['no size', undefined],
    ['a zero size', 0],
    ['a size as a string', '100'],
  ])('refuses %s with 400 on size', async (_name, size) => {
    const fake = app();
    const res = await ask(fake, { key: `${mine}a.mp4`, uploadId: 'u1', size, partNumbers: [1] });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([{ field: 'size', detail: 'size must be a positive whole number' }]);
    expect(fake.signer.calls).toEqual([]);
  });

  it('signs the one part of a 1-byte upload', async () => {
    const fake = app();
    const res = await ask(fake, { key: `${mine}a.mp4`, uploadId: 'u1', size: 1, partNumbers: [1] }).expect(200);
    expect(res.body.parts).toEqual([{ partNumber: 1, url: expect.any(String), size: 1 }]);
  });

  it('asks for JSON', async () => {
    const fake = app();
    const res = await request(fake.app).post('/uploads/multipart/parts').set(SUB_HEADER, sub).type('text/plain').send('{}');
    expect(expectProblem(res, 400, 'invalid_request').detail).toBe('Send the request details as JSON with Content-Type: application/json.');
  });

  it('refuses a size over maxFileSize with 413, and accepts exactly maxFileSize', async () => {
    const fake = app();
    expectProblem(await ask(fake, { key: `${mine}a.mp4`, uploadId: 'u1', size: 64 * MiB + 1, partNumbers: [1] }), 413, 'file_too_large');
    const res = await ask(fake, { key: `${mine}a.mp4`, uploadId: 'u1', size: 64 * MiB, partNumbers: [13] }).expect(200);
    expect(res.body.parts[0].size).toBe(4 * MiB);
  });

  it.each([
    ['an empty key', ''],
    ['a 1,025-character key', `${mine}${'k'.repeat(1025 - mine.length)}`],
    ['a key that is not a string', 7],
  ])('refuses %s with 400 on key', async (_name, key) => {
    const fake = app();
    const res = await ask(fake, { key, uploadId: 'u1', size: SIZE, partNumbers: [1] });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([{ field: 'key', detail: 'key must be the key the upload was given' }]);
    expect(fake.signer.calls).toEqual([]);
  });

  it('signs a key of exactly 1,024 characters in the caller\'s folder', async () => {
    const fake = app();
    const key = `${mine}${'k'.repeat(1024 - mine.length)}`;
    await ask(fake, { key, uploadId: 'u1', size: SIZE, partNumbers: [1] }).expect(200);
    expect(fake.signer.calls[0].key).toBe(key);
  });

  it.each([
    ['no uploadId', undefined],
    ['an empty uploadId', ''],
    ['an uploadId with a space', 'a b'],
    ['a 1,025-character uploadId', 'u'.repeat(1025)],
  ])('refuses %s with 400 on uploadId', async (_name, uploadId) => {
    const fake = app();
    const res = await ask(fake, { key: `${mine}a.mp4`, uploadId, size: SIZE, partNumbers: [1] });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([{ field: 'uploadId', detail: 'uploadId must be the id the upload was given' }]);
  });

  it('signs a 1,024-character uploadId', async () => {
    const fake = app();
    await ask(fake, { key: `${mine}a.mp4`, uploadId: 'u'.repeat(1024), size: SIZE, partNumbers: [1] }).expect(200);
  });

  it.each([
    ['another caller\'s key', `${folderOf('auth0|bob')}a.mp4`],
    ['a key that climbs out of the folder', `${mine}../x`],
    ['the folder itself', mine],
    ['a key outside the key prefix', 'elsewhere/a.mp4'],
  ])('answers 403 for %s and signs nothing', async (_name, key) => {
    const fake = app();
    const res = await ask(fake, { key, uploadId: 'u1', size: SIZE, partNumbers: [1] });
    expect(expectProblem(res, 403, 'forbidden').detail).toBe('This upload does not belong to you.');
    expect(fake.signer.calls).toEqual([]);
  });

  it('checks the identity before the fields it reads: 401 without one', async () => {
    const fake = app();
    expectProblem(await request(fake.app).post('/uploads/multipart/parts').send({ key: `${mine}a.mp4`, uploadId: 'u1', size: SIZE, partNumbers: [1] }), 401, 'invalid_token');
  });
});

describe('GET /uploads/multipart/parts: resuming', () => {
  it('lists the parts the bucket holds', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const { key, uploadId } = await start(fake);
    uploaded(fake, uploadId, { 2: 5 * MiB, 1: 5 * MiB });
    const res = await request(fake.app).get('/uploads/multipart/parts').query({ key, uploadId }).set(SUB_HEADER, sub).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ key, uploadId, parts: [{ partNumber: 1, size: 5 * MiB, etag: '"etag-1"' }, { partNumber: 2, size: 5 * MiB, etag: '"etag-2"' }] });
    expect(fake.bucket.calls.at(-1)).toEqual({ op: 'listParts', args: [key, uploadId] });
  });

  it('answers 404 for an upload the bucket does not have, and 403 for another caller\'s key without asking it', async () => {
    const fake = app();
    expectProblem(await request(fake.app).get('/uploads/multipart/parts').query({ key: `${mine}a.mp4`, uploadId: 'gone' }).set(SUB_HEADER, sub), 404, 'not_found');
    expectProblem(await request(fake.app).get('/uploads/multipart/parts').query({ key: `${folderOf('bob')}a.mp4`, uploadId: 'gone' }).set(SUB_HEADER, sub), 403, 'forbidden');
    expect(fake.bucket.ops()).toEqual(['listParts']);
  });
});

describe('POST /uploads/multipart/complete', () => {
  const complete = (fake: FakeApp, body: Record<string, unknown>) => request(fake.app).post('/uploads/multipart/complete').set(SUB_HEADER, sub).send(body);

  it('completes when every planned part is there with its planned size, then verifies the object and calls onUploaded', async () => {
    const told: unknown[] = [];
    const fake = app({ allowedContentTypes: ['video/*'], onUploaded: (object) => void told.push(object) });
    const { key, uploadId } = await start(fake);
    uploaded(fake, uploadId, { 1: 5 * MiB, 2: 5 * MiB, 3: LAST });
    fake.bucket.calls.length = 0;
    const res = await complete(fake, { key, uploadId, size: SIZE }).expect(200);
    expect(res.body).toEqual({ key, size: SIZE, contentType: 'video/mp4', etag: '"multipart-3"' });
    expect(fake.bucket.calls).toEqual([
      { op: 'listParts', args: [key, uploadId] },
      { op: 'completeMultipartUpload', args: [key, uploadId, [1, 2, 3].map((n) => ({ partNumber: n, size: n === 3 ? LAST : 5 * MiB, etag: `"etag-${n}"` }))] },
      { op: 'headObject', args: [key] },
    ]);
    expect(told).toEqual([{ key, bucket: 'test-bucket', size: SIZE, contentType: 'video/mp4', etag: '"multipart-3"', owner: sub }]);
  });

  it('completes an upload started with Content-Disposition and metadata: the signed digest matches what the bucket then holds', async () => {
    const fake = app({ allowedContentTypes: ['video/*'], contentDisposition: true, metadata: () => ({ Album: ' 7 ' }) });
    const { key, uploadId } = await start(fake);
    uploaded(fake, uploadId, { 1: 5 * MiB, 2: 5 * MiB, 3: LAST });
    await complete(fake, { key, uploadId, size: SIZE }).expect(200);
    expect(fake.bucket.objects.get(key)?.metadata).toMatchObject({ album: '7', 'declared-size': String(SIZE) });
  });

  it('a completed object whose metadata was changed after signing is refused (409) and deleted', async () => {
    const fake = app({ allowedContentTypes: ['video/*'], metadata: () => ({ album: '7' }) });
    const { key, uploadId } = await start(fake);
    fake.bucket.uploads.get(uploadId)!.created.metadata.album = '8';
    uploaded(fake, uploadId, { 1: 5 * MiB, 2: 5 * MiB, 3: LAST });
    const res = await complete(fake, { key, uploadId, size: SIZE });
    expect(expectProblem(res, 409, 'upload_mismatch').detail).toMatch(/its Content-Disposition or metadata \(x-amz-meta-album\) is not what was signed/);
    expect(fake.bucket.objects.has(key)).toBe(false);
  });

  it('verifies the object already at the key when completing loses a race (S3 refuses to replace it: If-None-Match)', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const { key, uploadId } = await start(fake);
    uploaded(fake, uploadId, { 1: 5 * MiB, 2: 5 * MiB, 3: LAST });
    fake.bucket.objects.set(key, storedObject({ size: SIZE, contentType: 'video/mp4', etag: '"first"', metadata: { 'declared-size': String(SIZE) } }));
    const res = await complete(fake, { key, uploadId, size: SIZE }).expect(200);
    expect(res.body).toEqual({ key, size: SIZE, contentType: 'video/mp4', etag: '"first"' });
    expect(fake.bucket.ops().slice(-3)).toEqual(['listParts', 'completeMultipartUpload', 'headObject']);
  });

  it('checks the object that won the race against the planned size too: another size is a 409, and it is kept', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const { key, uploadId } = await start(fake);
    uploaded(fake, uploadId, { 1: 5 * MiB, 2: 5 * MiB, 3: LAST });
    fake.bucket.objects.set(key, storedObject({ size: 1000, contentType: 'video/mp4' }));
    const res = await complete(fake, { key, uploadId, size: SIZE });
    expect(expectProblem(res, 409, 'upload_mismatch').detail).toMatch(`its size 1000 is not the ${SIZE} bytes expected`);
    expect(fake.bucket.objects.has(key)).toBe(true);
  });

  it.each([
    ['a missing part', { 1: 5 * MiB, 3: LAST }, 'missing parts 2'],
    ['no parts at all', {}, 'missing parts 1, 2, 3'],
    ['a part of the wrong size', { 1: 5 * MiB, 2: 5 * MiB - 1, 3: LAST }, `part 2 is ${5 * MiB - 1} bytes, not ${5 * MiB}`],
    ['a short last part', { 1: 5 * MiB, 2: 5 * MiB, 3: LAST - 1 }, `part 3 is ${LAST - 1} bytes, not ${LAST}`],
    ['a part past the plan', { 1: 5 * MiB, 2: 5 * MiB, 3: LAST, 4: 1 }, 'unexpected parts 4'],
  ])('answers 409 incomplete_upload for %s, naming it, and does not complete', async (_name, parts, detail) => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const { key, uploadId } = await start(fake);
    uploaded(fake, uploadId, parts);
    const res = await complete(fake, { key, uploadId, size: SIZE });
    const body = expectProblem(res, 409, 'incomplete_upload');
    expect(body.detail).toBe(`The upload is not complete: ${detail}. Upload the missing parts, then complete again.`);
    expect(fake.bucket.ops()).toEqual(['createMultipartUpload', 'listParts']);
  });

  it('names the first 20 missing parts and counts the rest', async () => {
    const fake = app({ maxFileSize: 1024 * MiB, allowedContentTypes: ['video/*'] });
    const { key, uploadId } = await start(fake, 30 * 5 * MiB);
    uploaded(fake, uploadId, { 1: 5 * MiB });
    const res = await complete(fake, { key, uploadId, size: 30 * 5 * MiB });
    const missing = Array.from({ length: 20 }, (_, i) => i + 2).join(', ');
    expect(expectProblem(res, 409, 'incomplete_upload').detail).toBe(`The upload is not complete: missing parts ${missing} and 9 more. Upload the missing parts, then complete again.`);
  });

  it('keeps the answer short: at most 5 wrong-size and 20 unexpected parts are named', async () => {
    const fake = app({ maxFileSize: 1024 * MiB, allowedContentTypes: ['video/*'] });
    const { key, uploadId } = await start(fake, 7 * 5 * MiB);
    uploaded(fake, uploadId, Object.fromEntries(Array.from({ length: 7 + 22 }, (_, i) => [i + 1, 1])));
    const detail = String(expectProblem(await complete(fake, { key, uploadId, size: 7 * 5 * MiB }), 409, 'incomplete_upload').detail);
    const wrong = [1, 2, 3, 4, 5].map((n) => `part ${n} is 1 bytes, not ${5 * MiB}`).join('; ');
    const extra = Array.from({ length: 20 }, (_, i) => i + 8).join(', ');
    expect(detail).toBe(`The upload is not complete: ${wrong}; unexpected parts ${extra}. Upload the missing parts, then complete again.`);
  });

  it('names every fault at once: missing, wrong-size and unexpected parts', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const { key, uploadId } = await start(fake);
    uploaded(fake, uploadId, { 1: 1, 3: LAST, 5: 1 });
    const res = await complete(fake, { key, uploadId, size: SIZE });
    expect(expectProblem(res, 409, 'incomplete_upload').detail).toBe(
      `The upload is not complete: missing parts 2; part 1 is 1 bytes, not ${5 * MiB}; unexpected parts 5. Upload the missing parts, then complete again.`,
    );
  });

  it('verifies instead when the upload is already gone (a repeat after completing): 200 if the object is right', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const key = `${mine}done.mp4`;
    fake.bucket.objects.set(key, storedObject({ size: SIZE, contentType: 'video/mp4', etag: '"e"', metadata: { 'declared-size': String(SIZE) } }));
    const res = await complete(fake, { key, uploadId: 'finished', size: SIZE }).expect(200);
    expect(res.body).toEqual({ key, size: SIZE, contentType: 'video/mp4', etag: '"e"' });
    expect(fake.bucket.ops()).toEqual(['listParts', 'headObject']);
  });

  it('answers 404 when neither the upload nor the object exists, and 409 (kept) when the authorised object is not the size this request says', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const key = `${mine}x.mp4`;
    expectProblem(await complete(fake, { key, uploadId: 'never', size: SIZE }), 404, 'not_found');
    fake.bucket.objects.set(key, storedObject({ size: SIZE, contentType: 'video/mp4', metadata: { 'declared-size': String(SIZE) } }));
    const res = await complete(fake, { key, uploadId: 'never', size: SIZE + 1 });
    expect(expectProblem(res, 409, 'upload_mismatch').detail).toBe(
      `The uploaded object is not what this request expects: its size ${SIZE} is not the ${SIZE + 1} bytes expected. It is what the server authorised, so it was kept.`,
    );
    expect(fake.bucket.calls.at(-1)).toEqual({ op: 'headObject', args: [key] });
    expect(fake.bucket.objects.has(key)).toBe(true);
  });

  it('answers 409 and deletes an object whose declared-size metadata contradicts its size', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const key = `${mine}x.mp4`;
    fake.bucket.objects.set(key, storedObject({ size: SIZE, contentType: 'video/mp4', metadata: { 'declared-size': '5' } }));
    const res = await complete(fake, { key, uploadId: 'finished', size: SIZE });
    expect(expectProblem(res, 409, 'upload_mismatch').detail).toMatch(`its size ${SIZE} is not the 5 bytes declared`);
    expect(fake.bucket.objects.has(key)).toBe(false);
  });

  it('passes on a failing bucket as 503, completing nothing', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    fake.bucket.failures.listParts = new StorageUnavailableError('The storage service could not be reached or refused the request. Try again later.');
    expectProblem(await complete(fake, { key: `${mine}x.mp4`, uploadId: 'u1', size: SIZE }), 503, 'storage_unavailable');
    expect(fake.bucket.ops()).toEqual(['listParts']);
  });

  it('refuses a missing size with 400 and another caller\'s key with 403, before asking the bucket', async () => {
    const fake = app();
    expect(expectProblem(await complete(fake, { key: `${mine}x.mp4`, uploadId: 'u1' }), 400, 'invalid_request').errors).toEqual([
      { field: 'size', detail: 'size must be a positive whole number' },
    ]);
    expectProblem(await complete(fake, { key: `${folderOf('bob')}x.mp4`, uploadId: 'u1', size: SIZE }), 403, 'forbidden');
    expectProblem(await complete(fake, { key: `${mine}../x`, uploadId: 'u1', size: SIZE }), 403, 'forbidden');
    const text = await request(fake.app).post('/uploads/multipart/complete').set(SUB_HEADER, sub).type('text/plain').send('x');
    expect(expectProblem(text, 400, 'invalid_request').detail).toBe('Send the request details as JSON with Content-Type: application/json.');
    expect(fake.bucket.calls).toEqual([]);
  });
});

describe('DELETE /uploads/multipart: abort', () => {
  it('aborts the upload with 204, and answers 204 again once it is gone', async () => {
    const fake = app({ allowedContentTypes: ['video/*'] });
    const { key, uploadId } = await start(fake);
    const first = await request(fake.app).delete('/uploads/multipart').query({ key, uploadId }).set(SUB_HEADER, sub).expect(204);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(fake.bucket.uploads.has(uploadId)).toBe(false);
    await request(fake.app).delete('/uploads/multipart').query({ key, uploadId }).set(SUB_HEADER, sub).expect(204);
    expect(fake.bucket.calls.slice(1)).toEqual([
      { op: 'abortMultipartUpload', args: [key, uploadId] },
      { op: 'abortMultipartUpload', args: [key, uploadId] },
    ]);
  });

  it('answers 503 when the bucket fails, and 403 for another caller\'s key without asking the bucket', async () => {
    const fake = app();
    fake.bucket.failures.abortMultipartUpload = new StorageUnavailableError('The storage service could not be reached or refused the request. Try again later.');
    expectProblem(await request(fake.app).delete('/uploads/multipart').query({ key: `${mine}a`, uploadId: 'u1' }).set(SUB_HEADER, sub), 503, 'storage_unavailable');
    expectProblem(await request(fake.app).delete('/uploads/multipart').query({ key: `${folderOf('bob')}a`, uploadId: 'u1' }).set(SUB_HEADER, sub), 403, 'forbidden');
    expectProblem(await request(fake.app).delete('/uploads/multipart').query({ key: `${mine}a` }).set(SUB_HEADER, sub), 400, 'invalid_request');
    expect(fake.bucket.ops()).toEqual(['abortMultipartUpload']);
  });

  it('treats a NotFoundError from the bucket as already aborted', async () => {
    const fake = app();
    fake.bucket.failures.abortMultipartUpload = new NotFoundError('The multipart upload was not found in the bucket.');
    await request(fake.app).delete('/uploads/multipart').query({ key: `${mine}a`, uploadId: 'u1' }).set(SUB_HEADER, sub).expect(204);
    expect(fake.errors).toEqual([]);
  });
});
