// How S3 failures become client errors. These use a stub S3Client: the responses below (AWS's 403 for a missing key
// without s3:ListBucket, a 500 from S3) cannot be produced by the local S3 servers, which answer 404 and never fail.
import type { S3Client } from '@aws-sdk/client-s3';
import { NotFoundError, StorageUnavailableError, UploadMismatchError } from '../../middleware/errors';
import { Bucket, fromS3Error } from '../../middleware/s3/bucket';

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
