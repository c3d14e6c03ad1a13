// The quarantine option on an in-memory bucket: uploads are signed under the incoming prefix, and complete verifies, scans and releases them.
import request from 'supertest';
import type { ScanVerdict } from '../../middleware/options';
import { expectProblem, fakeApp, folderOf, storedObject, SUB_HEADER, type FakeApp } from '../support/fake-deps';

const sub = 'auth0|alice';
const finalKey = `${folderOf(sub)}photo.png`;
const incomingKey = `incoming/${finalKey}`;

/** A quarantining app whose bucket holds an upload at the incoming key; `scan` answers with the verdicts given, in turn. */
function quarantined(verdicts: ScanVerdict[] | undefined, overrides: Parameters<typeof fakeApp>[0] = {}) {
  const scanned: Array<{ object: unknown; path: string }> = [];
  const scan = verdicts && (async (object: unknown, req: { path: string }) => (scanned.push({ object, path: req.path }), verdicts.shift() as ScanVerdict));
  const fake = fakeApp({ quarantine: scan ? { scan } : true, maxFileSize: 1000, ...overrides });
  fake.bucket.objects.set(incomingKey, storedObject({ etag: '"in"' }));
  return { fake, scanned };
}

const complete = (fake: FakeApp, body: Record<string, unknown>, who = sub) => request(fake.app).post('/uploads/complete').set(SUB_HEADER, who).send(body);

describe('quarantine: where uploads land', () => {
  it('signs a PUT for the key under the incoming prefix, and the key hook still chooses the final key', async () => {
    const { fake } = quarantined(undefined, { key: (ctx) => `${ctx.ownerPrefix}a/${ctx.uuid}.${ctx.extension}` });
    const res = await request(fake.app).post('/uploads').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: 10 }).expect(200);
    expect(res.body.key).toMatch(new RegExp(`^incoming/${folderOf(sub)}a/[0-9a-f-]{36}\\.png$`));
    expect(fake.signer.calls[0].key).toBe(res.body.key);
  });

  it('starts a multipart upload under the incoming prefix with a configured prefix', async () => {
    const { fake } = quarantined(undefined, { quarantine: { prefix: 'scan/' }, maxFileSize: 100 * 1024 * 1024 });
    const res = await request(fake.app).post('/uploads/multipart').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: 10 }).expect(201);
    expect(res.body.key.startsWith(`scan/${folderOf(sub)}`)).toBe(true);
    expect(fake.bucket.calls[0].args[0]).toMatchObject({ key: res.body.key });
  });
});

describe('quarantine: complete releases a verified upload', () => {
  it('without a scan hook: copies the upload to its final key, deletes the incoming copy, and answers (and tells onUploaded) the final key', async () => {
    const told: unknown[] = [];
    const { fake } = quarantined(undefined, { acl: 'public-read', onUploaded: (o) => void told.push(o) });
    const res = await complete(fake, { key: incomingKey, size: 500 }).expect(200);
    expect(res.body).toEqual({ key: finalKey, size: 500, contentType: 'image/png', etag: '"in"' });
    expect(fake.bucket.calls).toEqual([
      { op: 'headObject', args: [incomingKey] },
      { op: 'copyObject', args: [{ from: incomingKey, to: finalKey, acl: 'public-read', checksum: undefined }] },
      { op: 'deleteObject', args: [incomingKey] },
      { op: 'headObject', args: [finalKey] },
    ]);
    expect([...fake.bucket.objects.keys()]).toEqual([finalKey]);
    expect(told).toEqual([{ key: finalKey, bucket: 'test-bucket', size: 500, contentType: 'image/png', etag: '"in"', owner: sub }]);
  });

  it('tells the scan hook the verified upload (final and incoming key, owner) and releases it on "clean"', async () => {
    const { fake, scanned } = quarantined(['clean']);
    await complete(fake, { key: incomingKey }).expect(200);
    expect(scanned).toEqual([
      { object: { key: finalKey, incomingKey, bucket: 'test-bucket', size: 500, contentType: 'image/png', etag: '"in"', owner: sub }, path: '/uploads/complete' },
    ]);
    expect(fake.bucket.objects.has(finalKey)).toBe(true);
  });

  it('leaves etag out of what the scan hook is told when the bucket gives none', async () => {
    const { fake, scanned } = quarantined(['clean']);
    fake.bucket.objects.set(incomingKey, storedObject());
    await complete(fake, { key: incomingKey }).expect(200);
    expect(scanned[0].object).not.toHaveProperty('etag');
  });

  it('answers a repeat (nothing left under the incoming key) with the released object, scanning nothing again', async () => {
    const { fake, scanned } = quarantined(['clean']);
    await complete(fake, { key: incomingKey }).expect(200);
    const again = await complete(fake, { key: incomingKey }).expect(200);
    expect(again.body.key).toBe(finalKey);
    expect(scanned).toHaveLength(1);
    expect(fake.bucket.ops().slice(4)).toEqual(['headObject', 'headObject']);
  });

  it('is a 404 when nothing was ever uploaded at either key', async () => {
    const { fake } = quarantined(['clean']);
    fake.bucket.objects.clear();
    expectProblem(await complete(fake, { key: incomingKey }), 404, 'not_found');
    expect(fake.bucket.ops()).toEqual(['headObject', 'headObject']);
  });

  it('verifies a key outside the incoming prefix where it is, releasing nothing', async () => {
    const { fake } = quarantined(['infected']);
    fake.bucket.objects.set(finalKey, storedObject());
    await complete(fake, { key: finalKey }).expect(200);
    expect(fake.bucket.ops()).toEqual(['headObject']);
  });
});

describe('quarantine: complete refuses', () => {
  it('"infected": deletes the upload, even with deleteRejectedUploads: false, and answers 422 upload_rejected', async () => {
    const { fake } = quarantined(['infected'], { deleteRejectedUploads: false });
    const res = await complete(fake, { key: incomingKey });
    expect(expectProblem(res, 422, 'upload_rejected').detail).toBe('The upload was rejected by the malware scan and deleted.');
    expect(fake.bucket.ops()).toEqual(['headObject', 'deleteObject']);
    expect(fake.bucket.objects.size).toBe(0);
  });

  it('"pending": keeps the upload where it is and answers 409 scan_pending with Retry-After; a later "clean" releases it', async () => {
    const { fake } = quarantined(['pending', 'clean']);
    const res = await complete(fake, { key: incomingKey });
    expect(expectProblem(res, 409, 'scan_pending').detail).toBe('The upload has not been scanned yet. Complete it again in a few seconds.');
    expect(res.headers['retry-after']).toBe('5');
    expect(fake.bucket.ops()).toEqual(['headObject']);
    await complete(fake, { key: incomingKey }).expect(200);
    expect([...fake.bucket.objects.keys()]).toEqual([finalKey]);
  });

  it('a verdict that is none of the three: a 500 that keeps the upload and reaches onError', async () => {
    const { fake } = quarantined(['maybe' as ScanVerdict]);
    expectProblem(await complete(fake, { key: incomingKey }), 500, 'internal_error');
    expect(fake.errors.map((e) => (e.err as Error).message)).toEqual(['The quarantine.scan hook returned "maybe"; it must return "clean", "infected" or "pending".']);
    expect(fake.bucket.ops()).toEqual(['headObject']);
  });

  it('an upload that is not what was authorised is deleted before any scan (409 upload_mismatch)', async () => {
    const { fake, scanned } = quarantined(['clean']);
    fake.bucket.objects.set(incomingKey, storedObject({ size: 1001 }));
    expectProblem(await complete(fake, { key: incomingKey }), 409, 'upload_mismatch');
    expect(scanned).toEqual([]);
    expect(fake.bucket.ops()).toEqual(['headObject', 'deleteObject']);
  });

  it('someone else\'s incoming key is a 403, with no bucket call', async () => {
    const { fake } = quarantined(['clean']);
    expectProblem(await complete(fake, { key: incomingKey }, 'auth0|mallory'), 403, 'forbidden');
    expect(fake.bucket.calls).toEqual([]);
  });
});
