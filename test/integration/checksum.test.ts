// The checksum option: the digest a client sends is signed as exactly one x-amz-checksum-* header, and with the option off no checksum appears anywhere.
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import request from 'supertest';
import { s3Client } from '../../dev/s3-connection';
import type { DirectUploadOptions } from '../../middleware';
import { recomputeSignature, signedHeaderNames } from '../support/sigv4-check';
import { startUploadServices, type UploadServices } from '../support/upload-services';

let services: UploadServices;
beforeAll(async () => {
  services = await startUploadServices('checksum-uploads');
});
afterAll(async () => {
  await services?.stop();
});

const MiB = 1024 * 1024;
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64');
/** A well-formed CRC64NVME digest: 8 bytes in base64. Its value is irrelevant to signing. */
const crc64 = (seed: number) => Buffer.from([seed, 1, 2, 3, 4, 5, 6, 7]).toString('base64');
const checksumNames = (names: Iterable<string>) => [...names].filter((name) => /^x-amz-(sdk-)?checksum/i.test(name));

/** An app whose S3 client records the headers of every request the server itself sends (CreateMultipartUpload...). */
function recordingApp(overrides: Partial<DirectUploadOptions>): { app: ReturnType<UploadServices['app']>; sent: Array<{ command: string; headers: Record<string, string> }>; client: S3Client } {
  const client = s3Client(services.s3);
  const sent: Array<{ command: string; headers: Record<string, string> }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: String(context.commandName), headers: { ...(args.request as { headers: Record<string, string> }).headers } });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordSentHeaders' },
  );
  return { app: services.app({ ...overrides, s3: client }), sent, client };
}

async function presign(app: ReturnType<UploadServices['app']>, body: object, status = 200) {
  const token = await services.token('auth0|alice');
  return request(app).post('/uploads').set('Authorization', `Bearer ${token}`).send(body).expect(status);
}

describe('checksum: "SHA256"', () => {
  it('signs the digest as the x-amz-checksum-sha256 header the client must send, and nothing else besides the usual', async () => {
    const digest = sha256('hello');
    const res = await presign(services.app({ checksum: 'SHA256' }), { filename: 'a.png', contentType: 'image/png', size: 5, checksum: digest });
    expect(res.body.headers).toEqual({ 'Content-Type': 'image/png', 'If-None-Match': '*', 'x-amz-acl': 'private', 'x-amz-checksum-sha256': digest });
    expect(signedHeaderNames(res.body.url)).toEqual(['content-length', 'content-type', 'host', 'if-none-match', 'x-amz-acl', 'x-amz-checksum-sha256']);
    // A header, not a query parameter: S3 checks bodies against the request header.
    expect(checksumNames(new URL(res.body.url).searchParams.keys())).toEqual([]);

    const signature = new URL(res.body.url).searchParams.get('X-Amz-Signature');
    const sent = { ...res.body.headers, 'Content-Length': '5' };
    expect(recomputeSignature(res.body.url, sent, services.s3.credentials)).toBe(signature);
    // Any other digest gives another signature, so storage refuses the request that carries it.
    expect(recomputeSignature(res.body.url, { ...sent, 'x-amz-checksum-sha256': sha256('other') }, services.s3.credentials)).not.toBe(signature);
  });

  it('refuses a request without a digest, or with one of the wrong length, as a 400 naming the field', async () => {
    const app = services.app({ checksum: 'SHA256' });
    const missing = await presign(app, { contentType: 'image/png', size: 5 }, 400);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.body.errors).toEqual([{ field: 'checksum', detail: expect.stringMatching(/required.*SHA256.*x-amz-checksum-sha256/) }]);

    const md5Sized = await presign(app, { contentType: 'image/png', size: 5, checksum: createHash('md5').update('hello').digest('base64') }, 400);
    expect(md5Sized.body.errors[0]).toEqual({ field: 'checksum', detail: expect.stringMatching(/44 characters/) });
    await presign(app, { contentType: 'image/png', size: 5, checksum: crc64(1) }, 400);
    await presign(app, { contentType: 'image/png', size: 5, checksum: 12345 }, 400);
  });

  it('takes the digest from the query string on GET /uploads', async () => {
    const digest = sha256('query');
    const token = await services.token();
    const res = await request(services.app({ checksum: 'SHA256' }))
      .get('/uploads')
      .query({ contentType: 'image/png', size: 5, checksum: digest })
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(res.body.headers['x-amz-checksum-sha256']).toBe(digest);
    expect(signedHeaderNames(res.body.uploadURL)).toContain('x-amz-checksum-sha256');
  });

  it('declares SHA256 (COMPOSITE) when a multipart upload starts, and signs each part\'s own digest', async () => {
    const { app, sent } = recordingApp({ checksum: 'SHA256', maxFileSize: 64 * MiB, multipart: { threshold: 5 * MiB, partSize: 5 * MiB } });
    const size = 12 * MiB;
    // Above the threshold no whole-file digest is asked for: the parts carry theirs.
    const started = await presign(app, { filename: 'big.png', contentType: 'image/png', size }, 201);
    expect(started.body).toMatchObject({ method: 'MULTIPART', partCount: 3 });
    const create = sent.find((s) => s.command === 'CreateMultipartUploadCommand');
    expect(create?.headers['x-amz-checksum-algorithm']).toBe('SHA256');
    expect(create?.headers['x-amz-checksum-type']).toBe('COMPOSITE');

    const token = await services.token('auth0|alice');
    const ref = { key: started.body.key, uploadId: started.body.uploadId, size };
    const withoutDigests = await request(app).post('/uploads/multipart/parts').set('Authorization', `Bearer ${token}`).send({ ...ref, partNumbers: [1, 2] }).expect(400);
    expect(withoutDigests.body.errors[0].field).toBe('checksums');
    await request(app).post('/uploads/multipart/parts').set('Authorization', `Bearer ${token}`).send({ ...ref, partNumbers: [1, 2], checksums: [sha256('1')] }).expect(400);

    const digests = [sha256('part 1'), sha256('part 3')];
    const parts = await request(app).post('/uploads/multipart/parts').set('Authorization', `Bearer ${token}`).send({ ...ref, partNumbers: [1, 3], checksums: digests }).expect(200);
    parts.body.parts.forEach((part: { url: string; size: number; headers: Record<string, string> }, i: number) => {
      expect(part.headers).toEqual({ 'x-amz-checksum-sha256': digests[i] });
      expect(signedHeaderNames(part.url)).toEqual(['content-length', 'host', 'x-amz-checksum-sha256']);
      const signature = new URL(part.url).searchParams.get('X-Amz-Signature');
      expect(recomputeSignature(part.url, { ...part.headers, 'content-length': String(part.size) }, services.s3.credentials)).toBe(signature);
      expect(recomputeSignature(part.url, { 'x-amz-checksum-sha256': digests[1 - i], 'content-length': String(part.size) }, services.s3.credentials)).not.toBe(signature);
    });
  });
});

describe('checksum: "CRC64NVME"', () => {
  it('signs x-amz-checksum-crc64nvme (12 base64 characters) and declares FULL_OBJECT for multipart', async () => {
    const { app, sent } = recordingApp({ checksum: 'CRC64NVME', maxFileSize: 64 * MiB, multipart: { threshold: 5 * MiB, partSize: 5 * MiB } });
    const digest = crc64(9);
    const res = await presign(app, { contentType: 'image/png', size: 5, checksum: digest });
    expect(res.body.headers['x-amz-checksum-crc64nvme']).toBe(digest);
    expect(signedHeaderNames(res.body.url)).toEqual(['content-length', 'content-type', 'host', 'if-none-match', 'x-amz-acl', 'x-amz-checksum-crc64nvme']);
    expect(recomputeSignature(res.body.url, { ...res.body.headers, 'content-length': '5' }, services.s3.credentials)).toBe(new URL(res.body.url).searchParams.get('X-Amz-Signature'));

    const wrongLength = await presign(app, { contentType: 'image/png', size: 5, checksum: sha256('x') }, 400);
    expect(wrongLength.body.errors[0].detail).toMatch(/12 characters/);

    await presign(app, { contentType: 'image/png', size: 6 * MiB }, 201);
    const create = sent.find((s) => s.command === 'CreateMultipartUploadCommand');
    expect(create?.headers['x-amz-checksum-algorithm']).toBe('CRC64NVME');
    expect(create?.headers['x-amz-checksum-type']).toBe('FULL_OBJECT');
  });
});

describe('checksum off (the default)', () => {
  it('puts no x-amz-checksum anywhere: PUT URL and headers, multipart create, part URLs', async () => {
    const { app, sent } = recordingApp({ maxFileSize: 64 * MiB, multipart: { threshold: 5 * MiB, partSize: 5 * MiB } });
    const put = await presign(app, { contentType: 'image/png', size: 5 });
    expect(checksumNames(Object.keys(put.body.headers))).toEqual([]);
    expect(checksumNames(signedHeaderNames(put.body.url))).toEqual([]);
    expect(checksumNames(new URL(put.body.url).searchParams.keys())).toEqual([]);

    const started = await presign(app, { contentType: 'image/png', size: 11 * MiB }, 201);
    const create = sent.find((s) => s.command === 'CreateMultipartUploadCommand');
    expect(create).toBeDefined();
    expect(checksumNames(Object.keys(create!.headers))).toEqual([]);

    const token = await services.token('auth0|alice');
    const parts = await request(app)
      .post('/uploads/multipart/parts')
      .set('Authorization', `Bearer ${token}`)
      .send({ key: started.body.key, uploadId: started.body.uploadId, size: 11 * MiB, partNumbers: [1, 2, 3] })
      .expect(200);
    for (const part of parts.body.parts) {
      expect(part.headers).toBeUndefined();
      expect(signedHeaderNames(part.url)).toEqual(['content-length', 'host']);
      expect(checksumNames(new URL(part.url).searchParams.keys())).toEqual([]);
    }
  });

  it('refuses a digest rather than silently not signing it', async () => {
    const res = await presign(services.app(), { contentType: 'image/png', size: 5, checksum: sha256('x') }, 400);
    expect(res.body.errors[0]).toEqual({ field: 'checksum', detail: expect.stringMatching(/checksum option is off/) });
  });

  it('names the option when it is misspelt or unknown', () => {
    expect(() => services.app({ checksum: 'sha256' as never })).toThrow(/Did you mean "SHA256"/);
    expect(() => services.app({ checksum: 'CRC32' as never })).toThrow(/Use "SHA256" or "CRC64NVME"/);
  });
});
