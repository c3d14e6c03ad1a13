// How S3 failures become client errors. These use a stub S3Client: the responses below (AWS's 403 for a missing key
// without s3:ListBucket, a 500 from S3) cannot be produced by the local S3 servers, which answer 404 and never fail.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { NotFoundError, StorageUnavailableError, UploadMismatchError } from '../../middleware/errors';
import { Bucket, fromS3Error, UnreadableObjectError } from '../../middleware/s3/bucket';

const failingClient = (error: object) => ({ send: async () => Promise.reject(error) }) as unknown as S3Client;

describe('fromS3Error', () => {
  it.each([
    [{ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } }, NotFoundError],
    [{ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }, NotFoundError],
    [{ name: 'InvalidPart', $metadata: { httpStatusCode: 400 } }, UploadMismatchError],
    [{ name: 'EntityTooSmall', $metadata: { httpStatusCode: 400 } }, UploadMismatchError],
    [{ name: 'InternalError', $metadata: { httpStatusCode: 500 } }, StorageUnavailableError],
    [{ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, StorageUnavailableError],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), StorageUnavailableError],
  ])('%j → %p', (err, type) => {
    expect(fromS3Error(err, 'The upload')).toBeInstanceOf(type);
  });
});

describe('Bucket.headObject', () => {
  it('reads a 403 as "not uploaded yet", as AWS answers when the server may not list the bucket', async () => {
    const storage = new Bucket(failingClient({ name: '403', $metadata: { httpStatusCode: 403 } }), 'b');
    await expect(storage.headObject('k')).rejects.toBeInstanceOf(NotFoundError);
  });
  it('reads a 5xx as storage unavailable', async () => {
    const storage = new Bucket(failingClient({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }), 'b');
    await expect(storage.headObject('k')).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});

/**
 * A loopback S3 that answers every request with one status and records the request headers. Ceph RGW 16 ignores
 * If-None-Match on CompleteMultipartUpload, and answers SSE-C over plain HTTP with 400 before storing anything, so
 * AWS's 412 and its 400 for a HEAD without the customer key are produced here.
 */
async function answering(status: number, body = ''): Promise<{ client: S3Client; seen: http.IncomingHttpHeaders[]; close: () => Promise<void> }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(status, { 'Content-Type': 'application/xml' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
  return { client, seen, close: () => new Promise((resolve) => { client.destroy(); server.close(() => resolve()); }) };
}

describe('Bucket.completeMultipartUpload', () => {
  it('sends If-None-Match: * and reads 412 (an object is already there) as false, not as an outage', async () => {
    const s3 = await answering(412, '<Error><Code>PreconditionFailed</Code></Error>');
    try {
      await expect(new Bucket(s3.client, 'b').completeMultipartUpload('k', 'u', [{ partNumber: 1, size: 5, etag: '"e"' }])).resolves.toBe(false);
      expect(s3.seen[0]['if-none-match']).toBe('*');
    } finally {
      await s3.close();
    }
  });
});

describe('Bucket.headObject on an object the server cannot read', () => {
  it('reads a 400 (an SSE-C object, HEAD without its key) as an unauthorised object, not as an outage', async () => {
    const s3 = await answering(400);
    try {
      await expect(new Bucket(s3.client, 'b').headObject('k')).rejects.toBeInstanceOf(UnreadableObjectError);
    } finally {
      await s3.close();
    }
  });
});
