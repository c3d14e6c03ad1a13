// Multipart through the plugin on a verifying S3 (Ceph RGW): start, signed part PUTs, complete, and the object is stored.
import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describeWithRgw } from '../../../test/support/rgw';
import { rgwPluginS3, type PluginS3 } from './__testUtils__/s3';
import { as, startUploadBackend, UPLOADS, type UploadBackend } from './__testUtils__/uploadBackend';

jest.mock('express', () => jest.requireActual('express4'));

const MiB = 1024 * 1024;
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describeWithRgw('multipart through the Backstage plugin (Ceph RGW)', (rgw) => {
  let s3: PluginS3;
  let backend: UploadBackend;

  beforeAll(async () => {
    s3 = await rgwPluginS3(rgw, 'backstage-mp');
    backend = await startUploadBackend(
      s3.config({ maxFileSize: 64 * MiB, allowedContentTypes: ['application/octet-stream'], multipart: { threshold: 5 * MiB, partSize: 5 * MiB } }),
    );
  });

  afterAll(async () => {
    await backend?.stop();
    await s3?.stop();
  });

  it('uploads 11 MiB in three signed parts, completes, and S3 holds exactly those bytes', async () => {
    const data = randomBytes(11 * MiB + 3);
    const started = await backend.http().post(UPLOADS).set(as.user(ALICE)).send({ filename: 'build.bin', contentType: 'application/octet-stream', size: data.length });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ method: 'MULTIPART', size: data.length, partSize: 5 * MiB, partCount: 3 });
    const ref = { key: started.body.key, uploadId: started.body.uploadId, size: data.length };

    // Another user can neither sign parts for it, nor list it, nor complete it.
    expect((await backend.http().post(`${UPLOADS}/multipart/parts`).set(as.user(BOB)).send({ ...ref, partNumbers: [1] })).status).toBe(403);
    expect((await backend.http().get(`${UPLOADS}/multipart/parts`).query(ref).set(as.user(BOB))).status).toBe(403);
    expect((await backend.http().post(`${UPLOADS}/multipart/complete`).set(as.user(BOB)).send(ref)).status).toBe(403);

    const signed = await backend.http().post(`${UPLOADS}/multipart/parts`).set(as.user(ALICE)).send({ ...ref, partNumbers: [1, 2, 3] });
    expect(signed.status).toBe(200);
    const parts = signed.body.parts as Array<{ partNumber: number; url: string; size: number }>;
    expect(parts.map((p) => p.size)).toEqual([5 * MiB, 5 * MiB, MiB + 3]);

    // RGW checks the signed length: one byte short is refused, so the URLs really do bind the part's size.
    const short = await fetch(parts[2].url, { method: 'PUT', body: new Uint8Array(data.subarray(10 * MiB, 11 * MiB + 2)) });
    expect(short.status).toBe(403);

    for (const part of parts) {
      const start = (part.partNumber - 1) * 5 * MiB;
      const res = await fetch(part.url, { method: 'PUT', body: new Uint8Array(data.subarray(start, start + part.size)) });
      expect(res.status).toBe(200);
    }
    const listed = await backend.http().get(`${UPLOADS}/multipart/parts`).query(ref).set(as.user(ALICE));
    expect(listed.status).toBe(200);
    expect(listed.body.parts.map((p: { partNumber: number }) => p.partNumber)).toEqual([1, 2, 3]);

    const done = await backend.http().post(`${UPLOADS}/multipart/complete`).set(as.user(ALICE)).send(ref);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ key: ref.key, size: data.length, contentType: 'application/octet-stream' });

    const stored = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: ref.key }));
    expect(sha256(await stored.Body!.transformToByteArray())).toBe(sha256(data));
  });

  it('completes only when every part is there (409), and aborts for its owner (204)', async () => {
    const data = randomBytes(6 * MiB);
    const started = await backend.http().post(`${UPLOADS}/multipart`).set(as.user(ALICE)).send({ filename: 'b.bin', contentType: 'application/octet-stream', size: data.length });
    expect(started.status).toBe(201);
    const ref = { key: started.body.key, uploadId: started.body.uploadId, size: data.length };
    const signed = await backend.http().post(`${UPLOADS}/multipart/parts`).set(as.user(ALICE)).send({ ...ref, partNumbers: [1] });
    expect((await fetch(signed.body.parts[0].url, { method: 'PUT', body: new Uint8Array(data.subarray(0, 5 * MiB)) })).status).toBe(200);

    const incomplete = await backend.http().post(`${UPLOADS}/multipart/complete`).set(as.user(ALICE)).send(ref);
    expect(incomplete.status).toBe(409);
    expect(incomplete.body.detail).toMatch(/missing parts 2/);

    expect((await backend.http().delete(`${UPLOADS}/multipart`).query(ref).set(as.user(BOB))).status).toBe(403);
    expect((await backend.http().delete(`${UPLOADS}/multipart`).query(ref).set(as.user(ALICE))).status).toBe(204);
  });
});
