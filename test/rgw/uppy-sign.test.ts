// POST /uploads/uppy/sign against a verifying S3 (Ceph RGW): each signed request sent as @uppy/aws-s3 6 sends it, and the rules it keeps.
import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import request from 'supertest';
import type { Express } from 'express';
import { describeWithRgw } from '../support/rgw';
import { startUploadServices, type UploadServices } from '../support/upload-services';

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256));
const errorCode = (xml: string) => /<Code>([^<]+)<\/Code>/.exec(xml)?.[1] ?? '';

describeWithRgw('POST /uploads/uppy/sign against a verifying S3 (Ceph RGW)', (rgw) => {
  let services: UploadServices;
  let app: Express;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    services = await startUploadServices('uppy-sign', rgw);
    app = services.app({ maxFileSize: 20 * MiB, multipart: { threshold: 5 * MiB, partSize: 5 * MiB }, metadata: () => ({ source: 'uppy' }) });
    [alice, bob] = await Promise.all([services.token('auth0|alice'), services.token('auth0|bob')]);
  });
  afterAll(async () => {
    await services?.stop();
  });

  const sign = (body: Record<string, unknown>, token = alice) => request(app).post('/uploads/uppy/sign').set('Authorization', `Bearer ${token}`).send(body);

  it('PutObject becomes a presigned POST under the server\'s key, which S3 bounds to 1..maxFileSize', async () => {
    const res = await sign({ method: 'PUT', key: 'uppy-proposed/../../elsewhere.png', contentType: 'image/png', filename: 'a.png' });
    expect(res.status).toBe(200);
    expect(res.body.key).toMatch(/^uploads\/[0-9a-f]{32}\/[0-9a-f-]{36}\.png$/);
    expect(res.body.fields).toMatchObject({ key: res.body.key, 'Content-Type': 'image/png' });
    const policy = JSON.parse(Buffer.from(res.body.fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toContainEqual(['content-length-range', 1, 20 * MiB]);

    const post = async (file: Buffer) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(res.body.fields as Record<string, string>)) form.append(name, value);
      form.append('file', new Blob([new Uint8Array(file)], { type: 'image/png' }));
      const answer = await fetch(res.body.url, { method: 'POST', body: form });
      return { status: answer.status, code: errorCode(await answer.text()) };
    };
    expect(await post(Buffer.alloc(20 * MiB + 1, 1))).toEqual({ status: 400, code: 'EntityTooLarge' });
    const file = bytes(777);
    expect((await post(file)).status).toBe(204);
    const object = await services.client.send(new GetObjectCommand({ Bucket: services.bucket, Key: res.body.key }));
    // The metadata option signs a digest of what was signed, which complete checks.
    // The owner's file routes are on (their default), so the original name is stored too, inside the digest.
    expect(object.Metadata).toEqual({ source: 'uppy', filename: 'a.png', 'declared-headers': res.body.fields['x-amz-meta-declared-headers'] });
    expect(res.body.fields.acl).toBe('private');
    expect(sha256(await object.Body!.transformToByteArray())).toBe(sha256(file));
  });

  it('a whole multipart upload as Uppy sends it: create, parts of exactly the planned length, list, complete; then /uploads/complete verifies', async () => {
    const file = randomBytes(11 * MiB + 123); // parts of 5, 5 and 1 MiB + 123 bytes
    const created = await sign({ method: 'POST', key: 'proposed-by-uppy', contentType: 'image/jpeg', filename: 'big.jpg', size: file.length });
    expect(created.status).toBe(200);
    const { key, headers } = created.body as { key: string; url: string; headers: Record<string, string> };
    expect(headers).toEqual({
      'Content-Type': 'image/jpeg',
      'x-amz-acl': 'private',
      'x-amz-meta-source': 'uppy',
      // The owner's file routes are on (their default), so the original name is stored, inside the digest.
      'x-amz-meta-filename': 'big.jpg',
      'x-amz-meta-declared-headers': expect.stringMatching(/^[\w-]{43}$/),
      'x-amz-meta-declared-size': String(file.length),
    });
    // Uppy sends the file's type as Content-Type; another one breaks the signature.
    expect((await fetch(created.body.url, { method: 'POST', headers: { 'Content-Type': 'text/html' } })).status).toBe(403);
    const init = await fetch(created.body.url, { method: 'POST', headers });
    const initXml = await init.text();
    expect(init.status).toBe(200);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(initXml)![1];

    const etags: string[] = [];
    for (const [partNumber, start, end] of [[1, 0, 5 * MiB], [2, 5 * MiB, 10 * MiB], [3, 10 * MiB, file.length]]) {
      const signed = await sign({ method: 'PUT', key, uploadId, partNumber, size: file.length });
      expect(signed.status).toBe(200);
      if (partNumber === 3) {
        // The URL signs the part's exact length: a byte more is refused.
        const longer = await fetch(signed.body.url, { method: 'PUT', body: new Uint8Array(file.subarray(start - 1, end)) });
        expect(longer.status).toBe(403);
      }
      const put = await fetch(signed.body.url, { method: 'PUT', body: new Uint8Array(file.subarray(start, end)) });
      expect(put.status).toBe(200);
      etags.push(put.headers.get('etag')!);
    }
    const listed = await fetch((await sign({ method: 'GET', key, uploadId })).body.url);
    expect((await listed.text()).match(/<PartNumber>/g)).toHaveLength(3);

    const completeXml = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const completeSigned = await sign({ method: 'POST', key, uploadId });
    // Signed like our own multipart complete: it only creates. Uppy sends the headers; leaving them out breaks the signature.
    expect(completeSigned.body.headers).toEqual({ 'If-None-Match': '*' });
    const unconditional = await fetch(completeSigned.body.url, { method: 'POST', headers: { 'Content-Type': 'application/xml' }, body: completeXml });
    expect(unconditional.status).toBe(403);
    const completed = await fetch(completeSigned.body.url, { method: 'POST', headers: { ...completeSigned.body.headers, 'Content-Type': 'application/xml' }, body: completeXml });
    expect(completed.status).toBe(200);

    const head = await services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: key }));
    expect(head).toMatchObject({ ContentType: 'image/jpeg', ContentLength: file.length, Metadata: { source: 'uppy', 'declared-size': String(file.length), 'declared-headers': headers['x-amz-meta-declared-headers'] } });
    const verified = await request(app).post('/uploads/complete').set('Authorization', `Bearer ${alice}`).send({ key });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ key, size: file.length, contentType: 'image/jpeg' });
  });

  it('AbortMultipartUpload is signed for the owner, and frees the upload', async () => {
    const created = await sign({ method: 'POST', key: 'x', contentType: 'image/png', size: 6 * MiB });
    const init = await fetch(created.body.url, { method: 'POST', headers: created.body.headers });
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await init.text())![1];
    const key = created.body.key;
    expect((await sign({ method: 'DELETE', key, uploadId }, bob)).status).toBe(403);
    const aborted = await fetch((await sign({ method: 'DELETE', key, uploadId })).body.url, { method: 'DELETE' });
    expect(aborted.status).toBe(204);
    expect((await fetch((await sign({ method: 'GET', key, uploadId })).body.url)).status).toBe(404);
  });

  it('with quarantine: new objects are signed under incoming/, and /uploads/complete releases what the browser completed', async () => {
    const quarantined = services.app({ maxFileSize: 20 * MiB, multipart: { threshold: 5 * MiB, partSize: 5 * MiB }, quarantine: true });
    const signQ = (body: Record<string, unknown>) => request(quarantined).post('/uploads/uppy/sign').set('Authorization', `Bearer ${alice}`).send(body);
    const put = await signQ({ method: 'PUT', key: 'x', contentType: 'image/png', size: 10 });
    expect(put.body.key).toMatch(/^incoming\/uploads\//);
    expect(put.body.fields.key).toBe(put.body.key);

    const file = randomBytes(6 * MiB);
    const created = await signQ({ method: 'POST', key: 'x', contentType: 'image/png', size: file.length });
    const key = created.body.key as string;
    expect(key).toMatch(/^incoming\/uploads\//);
    const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await (await fetch(created.body.url, { method: 'POST', headers: created.body.headers })).text())![1];
    const etags: string[] = [];
    for (const [partNumber, start, end] of [[1, 0, 5 * MiB], [2, 5 * MiB, file.length]]) {
      const part = await fetch((await signQ({ method: 'PUT', key, uploadId, partNumber, size: file.length })).body.url, { method: 'PUT', body: new Uint8Array(file.subarray(start, end)) });
      etags.push(part.headers.get('etag')!);
    }
    const signed = await signQ({ method: 'POST', key, uploadId });
    const xml = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    expect((await fetch(signed.body.url, { method: 'POST', headers: { ...signed.body.headers, 'Content-Type': 'application/xml' }, body: xml })).status).toBe(200);
    const released = await request(quarantined).post('/uploads/complete').set('Authorization', `Bearer ${alice}`).send({ key });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ key: key.slice('incoming/'.length), size: file.length });
    const object = await services.client.send(new GetObjectCommand({ Bucket: services.bucket, Key: released.body.key }));
    expect(sha256(await object.Body!.transformToByteArray())).toBe(sha256(file));
  });

  it('with the checksum option every request is a 400: Uppy sends no checksums', async () => {
    const withChecksum = services.app({ checksum: 'SHA256' });
    for (const body of [{ method: 'PUT', key: 'x', contentType: 'image/png', size: 10 }, { method: 'POST', key: 'x', contentType: 'image/png', size: 6 * MiB }]) {
      const res = await request(withChecksum).post('/uploads/uppy/sign').set('Authorization', `Bearer ${alice}`).send(body);
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/checksum.*@uppy\/aws-s3 does not send/);
    }
  });

  it('keeps our rules: another user\'s key 403, type 415, size 413, part outside the plan 400, object reads and deletes 400', async () => {
    const created = await sign({ method: 'POST', key: 'x', contentType: 'image/png', size: 6 * MiB });
    const { key } = created.body;
    for (const body of [
      { method: 'PUT', key, uploadId: 'u', partNumber: 1, size: 6 * MiB },
      { method: 'GET', key, uploadId: 'u' },
      { method: 'POST', key, uploadId: 'u' },
      { method: 'DELETE', key, uploadId: 'u' },
    ]) {
      expect({ body, status: (await sign(body, bob)).status }).toEqual({ body, status: 403 });
    }
    expect((await sign({ method: 'PUT', key: 'a.html', contentType: 'text/html' })).status).toBe(415);
    expect((await sign({ method: 'POST', key: 'a.png', contentType: 'image/png', size: 21 * MiB })).status).toBe(413);
    expect((await sign({ method: 'PUT', key: 'a.png', contentType: 'image/png', size: 21 * MiB })).status).toBe(413);
    expect((await sign({ method: 'POST', key: 'a.png', contentType: 'image/png' })).body).toMatchObject({ status: 400, errors: [{ field: 'size' }] });
    expect((await sign({ method: 'PUT', key, uploadId: 'u', partNumber: 3, size: 6 * MiB })).body).toMatchObject({ status: 400, errors: [{ field: 'partNumber' }] });
    expect((await sign({ method: 'PUT', key, uploadId: 'u', partNumber: 1 })).body).toMatchObject({ status: 400, errors: [{ field: 'size' }] });
    expect((await sign({ method: 'DELETE', key })).body).toMatchObject({ status: 400, errors: [{ field: 'uploadId' }] });
    expect((await sign({ method: 'GET', key })).status).toBe(400);
    expect((await sign({ method: 'PATCH', key })).body).toMatchObject({ status: 400, errors: [{ field: 'method' }] });
    expect((await request(app).post('/uploads/uppy/sign').send({ method: 'PUT', key, contentType: 'image/png' })).status).toBe(401);
    expect((await request(app).get('/uploads/uppy/sign').set('Authorization', `Bearer ${alice}`)).headers.allow).toBe('POST');
  });
});
