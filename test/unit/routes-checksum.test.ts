// The checksum option through the routes on a recording signer: which digest is signed as which header, and which input is refused.
import request from 'supertest';
import { expectProblem, fakeApp, folderOf, MiB, SUB_HEADER } from '../support/fake-deps';

const sub = 'auth0|alice';
const SHA = 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=';
const SHA2 = 'LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=';
const CRC = 'AAAAAAAAAAA=';

describe('checksum: single PUT', () => {
  it.each([
    ['SHA256', SHA, 'x-amz-checksum-sha256'],
    ['CRC64NVME', CRC, 'x-amz-checksum-crc64nvme'],
  ] as const)('with %s, signs the client\'s digest as %s and tells the client to send it', async (algorithm, digest, header) => {
    const { app, signer } = fakeApp({ checksum: algorithm });
    const res = await request(app).post('/uploads').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: 3, checksum: digest }).expect(200);
    expect(res.body.headers[header]).toBe(digest);
    expect(signer.calls[0].headers).toMatchObject({ [header]: digest, 'content-length': '3' });
  });

  it.each([
    ['missing', undefined, 'checksum is required: the base64 SHA256 digest of the file (this server signs x-amz-checksum-sha256)'],
    ['null', null, 'checksum is required: the base64 SHA256 digest of the file (this server signs x-amz-checksum-sha256)'],
    ['not a string', 42, 'checksum must be the base64 SHA256 digest of the bytes, a string of 44 characters'],
    ['a CRC where SHA-256 is configured', CRC, 'checksum must be the base64 SHA256 digest of the bytes (44 characters ending in "="), got 12 characters'],
  ])('is a 400 naming the field when the digest is %s', async (_name, checksum, detail) => {
    const { app, signer } = fakeApp({ checksum: 'SHA256' });
    const res = await request(app).post('/uploads').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: 3, checksum });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([{ field: 'checksum', detail }]);
    expect(signer.calls).toEqual([]);
  });

  it('refuses a digest when the option is off, rather than upload without the integrity the client asked for; signs none otherwise', async () => {
    const { app, signer } = fakeApp();
    const res = await request(app).post('/uploads').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: 3, checksum: SHA });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([
      { field: 'checksum', detail: 'this server does not sign checksums (its checksum option is off); leave checksum out' },
    ]);
    await request(app).post('/uploads').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: 3, checksum: null }).expect(200);
    expect(Object.keys(signer.calls[0].headers ?? {}).filter((h) => h.startsWith('x-amz-checksum'))).toEqual([]);
  });
});

describe('checksum: multipart', () => {
  const SIZE = 5 * MiB + 1;
  const key = `${folderOf(sub)}big.png`;
  const app = (checksum?: 'SHA256' | 'CRC64NVME') =>
    fakeApp({ checksum, maxFileSize: 100 * MiB, multipart: { threshold: 5 * MiB, partSize: 5 * MiB } });
  const parts = (fake: ReturnType<typeof app>, body: Record<string, unknown>) =>
    request(fake.app).post('/uploads/multipart/parts').set(SUB_HEADER, sub).send({ key, uploadId: 'u1', size: SIZE, ...body });

  it('starts the upload with the algorithm and needs no whole-file digest', async () => {
    const fake = app('CRC64NVME');
    await request(fake.app).post('/uploads').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: SIZE }).expect(201);
    expect(fake.bucket.calls[0].args[0]).toMatchObject({ checksum: { algorithm: 'CRC64NVME', header: 'x-amz-checksum-crc64nvme', multipartType: 'FULL_OBJECT' } });
  });

  it('POST /uploads/multipart needs no whole-file digest either', async () => {
    const fake = app('SHA256');
    await request(fake.app).post('/uploads/multipart').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: 10 }).expect(201);
  });

  it('signs each part\'s digest, in the order of partNumbers, and tells the client to send it with that part', async () => {
    const fake = app('SHA256');
    const res = await parts(fake, { partNumbers: [2, 1], checksums: [SHA2, SHA] }).expect(200);
    expect(res.body.parts).toEqual([
      { partNumber: 2, url: expect.any(String), size: 1, headers: { 'x-amz-checksum-sha256': SHA2 } },
      { partNumber: 1, url: expect.any(String), size: 5 * MiB, headers: { 'x-amz-checksum-sha256': SHA } },
    ]);
    expect(fake.signer.calls.map((c) => c.headers)).toEqual([
      { 'content-length': '1', 'x-amz-checksum-sha256': SHA2 },
      { 'content-length': String(5 * MiB), 'x-amz-checksum-sha256': SHA },
    ]);
  });

  it.each([
    ['missing', undefined, ['checksums must list the base64 SHA256 digest of each part, one per entry of partNumbers, in the same order']],
    ['one short', [SHA], ['checksums must list the base64 SHA256 digest of each part, one per entry of partNumbers, in the same order']],
    ['not an array', SHA, ['checksums must list the base64 SHA256 digest of each part, one per entry of partNumbers, in the same order']],
    ['with a bad entry', [SHA, 'x'], ['checksums[1] must be the base64 SHA256 digest of the bytes (44 characters ending in "="), got 1 characters']],
  ])('is a 400 when checksums is %s, signing nothing', async (_name, checksums, details) => {
    const fake = app('SHA256');
    const res = await parts(fake, { partNumbers: [1, 2], checksums });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual(details.map((detail) => ({ field: 'checksums', detail })));
    expect(fake.signer.calls).toEqual([]);
  });

  it('refuses checksums when the option is off, and signs plain part URLs otherwise', async () => {
    const fake = app();
    const res = await parts(fake, { partNumbers: [1], checksums: [SHA] });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([
      { field: 'checksums', detail: 'this server does not sign checksums (its checksum option is off); leave checksums out' },
    ]);
    const ok = await parts(fake, { partNumbers: [1] }).expect(200);
    expect(ok.body.parts[0]).not.toHaveProperty('headers');
    expect(fake.signer.calls[0].headers).toEqual({ 'content-length': String(5 * MiB) });
  });
});
