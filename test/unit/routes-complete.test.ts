// POST /uploads/complete on an in-memory bucket: what verification accepts, what it refuses and deletes, and what onUploaded is told.
import request from 'supertest';
import { UnreadableObjectError } from '../../middleware/s3/bucket';
import { expectProblem, fakeApp, folderOf, StorageUnavailableError, storedObject, SUB_HEADER, type FakeApp, type StoredObject } from '../support/fake-deps';

const sub = 'auth0|alice';
const key = `${folderOf(sub)}photo.png`;

function withObject(object: Partial<StoredObject>, overrides: Parameters<typeof fakeApp>[0] = {}): FakeApp {
  const fake = fakeApp({ maxFileSize: 1000, minFileSize: 10, ...overrides });
  fake.bucket.objects.set(key, storedObject({ etag: '"abc"', ...object }));
  return fake;
}

const complete = (fake: FakeApp, body: Record<string, unknown>) => request(fake.app).post('/uploads/complete').set(SUB_HEADER, sub).send(body);

describe('POST /uploads/complete: the object is what was authorised', () => {
  it('answers 200 with what the bucket holds and tells onUploaded the owner, bucket and etag', async () => {
    const told: Array<{ object: unknown; path: string }> = [];
    const fake = withObject({}, { onUploaded: async (object, req) => void told.push({ object, path: req.path }) });
    const res = await complete(fake, { key, size: 500, contentType: 'image/png' }).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ key, size: 500, contentType: 'image/png', etag: '"abc"' });
    expect(told).toEqual([{ object: { key, bucket: 'test-bucket', size: 500, contentType: 'image/png', etag: '"abc"', owner: sub }, path: '/uploads/complete' }]);
    expect(fake.bucket.calls).toEqual([{ op: 'headObject', args: [key] }]);
  });

  it('is idempotent: a repeat verifies again', async () => {
    const fake = withObject({});
    await complete(fake, { key }).expect(200);
    await complete(fake, { key }).expect(200);
    expect(fake.bucket.ops()).toEqual(['headObject', 'headObject']);
  });

  it('accepts exactly maxFileSize and exactly minFileSize bytes, and an expected type that differs only in parameters', async () => {
    await complete(withObject({ size: 1000 }), { key }).expect(200);
    await complete(withObject({ size: 10 }), { key }).expect(200);
    await complete(withObject({ contentType: 'image/png; q=1' }), { key, contentType: 'IMAGE/PNG' }).expect(200);
  });

  it('accepts an object whose declared-size metadata agrees, and leaves etag out when the bucket gives none', async () => {
    const res = await complete(withObject({ metadata: { 'declared-size': '500' }, etag: undefined }), { key, size: 500 }).expect(200);
    expect(res.body).toEqual({ key, size: 500, contentType: 'image/png' });
  });
});

describe('POST /uploads/complete: the object is not what was authorised', () => {
  it.each([
    ['over maxFileSize', { size: 1001 }, {}, 'its size 1001 is over the limit of 1000 bytes'],
    ['under minFileSize', { size: 9 }, {}, 'its size 9 is under the minimum of 10 bytes'],
    ['contradicting its declared size', { metadata: { 'declared-size': '400' } }, {}, 'its size 500 is not the 400 bytes declared'],
    ['of a type not allowed', { contentType: 'text/html', contentDisposition: 'attachment' }, {}, 'its type "text/html" is not allowed'],
    ['of no valid type', { contentType: '' }, {}, 'its type "" is not allowed'],
    ['of no valid type where the client names one', { contentType: 'png' }, { contentType: 'image/png' }, 'its type "png" is not allowed'],
  ])('answers 409 for an object %s, and deletes it', async (_name, object, body, problem) => {
    const told: unknown[] = [];
    const fake = withObject(object, { onUploaded: (o) => void told.push(o) });
    const res = await complete(fake, { key, ...body });
    expect(expectProblem(res, 409, 'upload_mismatch').detail).toBe(`The uploaded object does not match what was authorised: ${problem}. It was deleted.`);
    expect(fake.bucket.calls).toEqual([
      { op: 'headObject', args: [key] },
      { op: 'deleteObject', args: [key] },
    ]);
    expect(told).toEqual([]);
  });

  it.each([
    ['of another size', { size: 499 }, 'its size 500 is not the 499 bytes expected'],
    ['of another type', { contentType: 'image/jpeg' }, 'its type "image/png" is not the "image/jpeg" expected'],
    ['of both', { size: 499, contentType: 'image/jpeg' }, 'its size 500 is not the 499 bytes expected; its type "image/png" is not the "image/jpeg" expected'],
  ])('answers 409 but keeps an authorised object %s than the client says, and does not tell onUploaded', async (_name, body, problem) => {
    const told: unknown[] = [];
    const fake = withObject({}, { onUploaded: (o) => void told.push(o) });
    const res = await complete(fake, { key, ...body });
    expect(expectProblem(res, 409, 'upload_mismatch').detail).toBe(
      `The uploaded object is not what this request expects: ${problem}. It is what the server authorised, so it was kept.`,
    );
    expect(fake.bucket.ops()).toEqual(['headObject']);
    expect(fake.bucket.objects.has(key)).toBe(true);
    expect(told).toEqual([]);
  });

  it('lists every problem at once', async () => {
    const res = await complete(withObject({ size: 2000, contentType: 'text/html', contentDisposition: 'attachment' }), { key });
    expect(expectProblem(res, 409, 'upload_mismatch').detail).toBe(
      'The uploaded object does not match what was authorised: its size 2000 is over the limit of 1000 bytes; its type "text/html" is not allowed. It was deleted.',
    );
  });

  it('keeps the object with deleteRejectedUploads: false, and says nothing of deleting it', async () => {
    const fake = withObject({ size: 1001 }, { deleteRejectedUploads: false });
    const res = await complete(fake, { key });
    expect(expectProblem(res, 409, 'upload_mismatch').detail).toBe('The uploaded object does not match what was authorised: its size 1001 is over the limit of 1000 bytes.');
    expect(fake.bucket.ops()).toEqual(['headObject']);
    expect(fake.bucket.objects.has(key)).toBe(true);
  });
});

describe('POST /uploads/complete: refused before or by the bucket', () => {
  it('deletes an object the server cannot read (HeadObject refused) and answers 409', async () => {
    const fake = withObject({});
    fake.bucket.failures.headObject = new UnreadableObjectError('The server cannot read the uploaded object (S3 answered 400, e.g. for a customer-provided encryption key).');
    const res = await complete(fake, { key });
    expect(expectProblem(res, 409, 'upload_mismatch').detail).toBe(
      'The uploaded object does not match what was authorised: The server cannot read the uploaded object (S3 answered 400, e.g. for a customer-provided encryption key). It was deleted.',
    );
    expect(fake.bucket.ops()).toEqual(['headObject', 'deleteObject']);
  });

  it('answers 404 when nothing is at the key yet', async () => {
    const fake = fakeApp();
    expectProblem(await complete(fake, { key }), 404, 'not_found');
  });

  it('answers 403 for another caller\'s key or a key that climbs out, without asking the bucket', async () => {
    const fake = withObject({});
    expectProblem(await complete(fake, { key: `${folderOf('bob')}photo.png` }), 403, 'forbidden');
    expectProblem(await complete(fake, { key: `${folderOf(sub)}../photo.png` }), 403, 'forbidden');
    expect(fake.bucket.calls).toEqual([]);
  });

  it.each([
    ['a size that is not a whole number', { size: 1.5 }, 'size', 'whole number of bytes'],
    ['a size as a string', { size: '500' }, 'size', 'whole number of bytes'],
    ['a type that is not a string', { contentType: 5 }, 'contentType', 'a media type such as "image/jpeg"'],
    ['a malformed type', { contentType: 'png' }, 'contentType', 'a media type such as "image/jpeg"'],
    ['no key', { key: undefined }, 'key', 'key must be the key the upload was given'],
  ])('refuses %s with 400, without asking the bucket', async (_name, body, field, detail) => {
    const fake = withObject({});
    const res = await complete(fake, { key, ...body });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([{ field, detail }]);
    expect(fake.bucket.calls).toEqual([]);
  });

  it('refuses a body that is not JSON, or JSON null, with 400', async () => {
    const fake = withObject({});
    const text = await request(fake.app).post('/uploads/complete').set(SUB_HEADER, sub).type('text/plain').send(key);
    expect(expectProblem(text, 400, 'invalid_request').detail).toBe('Send the request details as JSON with Content-Type: application/json.');
    const nothing = await request(fake.app).post('/uploads/complete').set(SUB_HEADER, sub).type('application/json').send('null');
    expect(expectProblem(nothing, 400, 'invalid_request').errors).toEqual([{ field: 'key', detail: 'key must be the key the upload was given' }]);
    expect(fake.bucket.calls).toEqual([]);
  });

  it('answers 503 when the bucket cannot be reached', async () => {
    const fake = withObject({});
    fake.bucket.failures.headObject = new StorageUnavailableError('The storage service could not be reached or refused the request. Try again later.');
    expectProblem(await complete(fake, { key }), 503, 'storage_unavailable');
  });

  it('a failing onUploaded is a 500 whose message stays in onError, out of the body', async () => {
    const fake = withObject({}, { onUploaded: () => Promise.reject(new Error('database password rejected for user admin')) });
    const res = await complete(fake, { key });
    const body = expectProblem(res, 500, 'internal_error');
    expect(body).toEqual({
      type: 'urn:express-direct-upload:problem:internal_error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The server failed to handle this request.',
      code: 'internal_error',
      instance: '/uploads/complete',
    });
    expect(res.text).not.toMatch(/password/);
    expect(fake.errors).toHaveLength(1);
    expect(fake.errors[0].status).toBe(500);
    expect((fake.errors[0].err as Error).message).toBe('database password rejected for user admin');
  });
});
