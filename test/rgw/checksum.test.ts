// The checksum option against a verifying S3 (Ceph RGW 16): what it enforces (the signed header, Content-MD5) and what it does not (the digest itself).
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { createUploadClient } from '../../client';
import { fileOf, serveRouter, type Served } from '../client/harness';
import { describeWithRgw } from '../support/rgw';
import { startUploadServices, type UploadServices } from '../support/upload-services';

jest.setTimeout(90_000);

const MiB = 1024 * 1024;
const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256));
const sha256 = (body: Uint8Array) => createHash('sha256').update(body).digest('base64');
const errorCode = (xml: string) => /<Code>([^<]+)<\/Code>/.exec(xml)?.[1] ?? '';

describeWithRgw('checksum option against a verifying S3 (Ceph RGW)', (rgw) => {
  let stack: UploadServices;
  let sha: Served;
  let crc: Served;
  let token: string;

  beforeAll(async () => {
    stack = await startUploadServices('checksum', rgw);
    const multipart = { threshold: 5 * MiB, partSize: 5 * MiB };
    sha = await serveRouter(stack, { checksum: 'SHA256', maxFileSize: 64 * MiB, multipart });
    crc = await serveRouter(stack, { checksum: 'CRC64NVME', maxFileSize: 64 * MiB, multipart });
    token = await stack.token('auth0|checksum-carol');
  });
  afterAll(async () => {
    await Promise.all([sha?.close(), crc?.close()]);
    await stack?.stop();
  });

  async function presign(server: Served, body: object) {
    const res = await fetch(`${server.baseUrl}/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return (await res.json()) as { url: string; key: string; headers: Record<string, string> };
  }
  const put = (url: string, headers: Record<string, string>, body: Buffer) => fetch(url, { method: 'PUT', headers, body: new Uint8Array(body) });
  const stored = async (key: string) => {
    const out = await stack.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  };
  const exists = (key: string) => stack.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key })).then(() => true, () => false);

  it('the typed client computes the SHA-256 (WebCrypto) for a single PUT, and the bytes land', async () => {
    const body = bytes(300_000);
    const client = createUploadClient({ baseUrl: sha.baseUrl, getToken: () => token, checksum: 'SHA256', xhr: null, resumeStore: null });
    const result = await client.upload(fileOf(body, 'photo.png', 'image/png'));
    expect(result).toMatchObject({ method: 'PUT', verified: true, size: body.length });
    expect((await stored(result.key)).equals(body)).toBe(true);
  });

  it('the typed client sends per-part digests for multipart (SHA256 COMPOSITE and CRC64NVME FULL_OBJECT), and RGW completes them', async () => {
    for (const [server, checksum] of [[sha, 'SHA256'], [crc, 'CRC64NVME']] as const) {
      const body = bytes(11 * MiB, checksum.length);
      const client = createUploadClient({ baseUrl: server.baseUrl, getToken: () => token, checksum, xhr: null, resumeStore: null });
      const result = await client.upload(fileOf(body, 'big.png', 'image/png'));
      expect(result).toMatchObject({ method: 'MULTIPART', verified: true, size: body.length });
      expect((await stored(result.key)).equals(body)).toBe(true);
    }
  });

  it('enforces the signed header: leaving it out or changing it is 403', async () => {
    const body = bytes(1000);
    const { url, key, headers } = await presign(sha, { contentType: 'image/png', size: body.length, checksum: sha256(body) });
    const { 'x-amz-checksum-sha256': _dropped, ...without } = headers;
    expect((await put(url, without, body)).status).toBe(403);
    expect((await put(url, { ...headers, 'x-amz-checksum-sha256': sha256(bytes(1000, 9)) }, body)).status).toBe(403);
    expect(await exists(key)).toBe(false);
    expect((await put(url, headers, body)).status).toBe(200);
  });

  it('RGW 16 does NOT check the body against x-amz-checksum-sha256: other bytes under the signed digest are stored (AWS S3 answers 400 BadDigest)', async () => {
    const body = bytes(1000);
    const { url, key, headers } = await presign(sha, { contentType: 'image/png', size: body.length, checksum: sha256(body) });
    const other = bytes(1000, 99);
    const res = await put(url, headers, other);
    // If this starts failing with 400, RGW began enforcing checksums: update docs/conformance.md.
    expect(res.status).toBe(200);
    expect((await stored(key)).equals(other)).toBe(true);
  });

  it('Content-MD5 alongside the checksum IS enforced: other bytes are 400 BadDigest and nothing is stored', async () => {
    const body = bytes(1000);
    const contentMD5 = createHash('md5').update(body).digest('base64');
    const { url, key, headers } = await presign(sha, { contentType: 'image/png', size: body.length, checksum: sha256(body), contentMD5 });
    expect(headers).toMatchObject({ 'Content-MD5': contentMD5, 'x-amz-checksum-sha256': sha256(body) });
    const res = await put(url, headers, bytes(1000, 99));
    expect(res.status).toBe(400);
    expect(errorCode(await res.text())).toBe('BadDigest');
    expect(await exists(key)).toBe(false);
  });
});
