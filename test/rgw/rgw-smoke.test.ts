// Smoke test of the throwaway Ceph RGW with the plain AWS SDK: presigned PUTs work, and RGW really checks their signatures.
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describeWithRgw } from '../support/rgw';

describeWithRgw('Ceph RGW smoke test', (rgw) => {
  const bucket = `smoke-${randomBytes(4).toString('hex')}`;
  const body = Buffer.from('hello from the rgw smoke test\n');
  let client: S3Client;

  beforeAll(async () => {
    client = new S3Client({
      endpoint: rgw.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: rgw.credentials,
      // Otherwise the SDK signs x-amz-checksum-crc32 of an empty body into presigned PUTs (see DESIGN.md).
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  afterAll(() => client?.destroy());

  /** A URL for PUT of `key` whose signature covers the Content-Type header. */
  function presignPut(key: string, contentType: string): Promise<string> {
    return getSignedUrl(client, new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType }), {
      expiresIn: 60,
      signableHeaders: new Set(['content-type']),
    });
  }

  test('a presigned PUT with a signed Content-Type uploads the bytes', async () => {
    const url = await presignPut('smoke/ok.txt', 'text/plain');
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host');

    const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body });
    expect(res.status).toBe(200);

    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'smoke/ok.txt' }));
    expect(head.ContentLength).toBe(body.length);
    expect(head.ContentType).toBe('text/plain');
  });

  test('a tampered signature is rejected with 403 SignatureDoesNotMatch', async () => {
    const url = new URL(await presignPut('smoke/tampered.txt', 'text/plain'));
    const signature = url.searchParams.get('X-Amz-Signature')!;
    // Flip the last hex digit: the same length and alphabet, so only the verification can catch it.
    const last = signature.at(-1) === '0' ? '1' : '0';
    url.searchParams.set('X-Amz-Signature', signature.slice(0, -1) + last);

    const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('SignatureDoesNotMatch');
    await expect(client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'smoke/tampered.txt' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  test('a Content-Type other than the signed one is rejected with 403', async () => {
    const url = await presignPut('smoke/type.txt', 'text/plain');
    const res = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body });
    expect(res.status).toBe(403);
  });
});
