// A wrong app-config stops the Backstage backend at start-up, with an error that names the config key to fix.
import { startUploadBackend } from './__testUtils__/uploadBackend';

jest.mock('express', () => jest.requireActual('express4'));

const valid = { bucket: 'uploads-bucket', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true };

/** Starts a backend that must fail, and returns the error message. */
async function startupError(directUpload: Record<string, unknown>): Promise<string> {
  let backend: Awaited<ReturnType<typeof startUploadBackend>> | undefined;
  try {
    backend = await startUploadBackend(directUpload);
  } catch (err) {
    return String((err as Error).message ?? err);
  }
  await backend.stop();
  throw new Error(`the backend started with ${JSON.stringify(directUpload)}`);
}

describe('start-up with a bad directUpload config', () => {
  it.each([
    ['a missing bucket', 'directUpload.bucket', { region: 'eu-west-1' }],
    ['a bucket name S3 refuses', 'directUpload.bucket', { ...valid, bucket: 'My_Bucket' }],
    ['a size given as text', 'directUpload.maxFileSize', { ...valid, maxFileSize: 'ten megabytes' }],
    ['a negative size', 'directUpload.maxFileSize', { ...valid, maxFileSize: -1 }],
    ['an expiry over 7 days', 'directUpload.expiresIn', { ...valid, expiresIn: 604801 }],
    ['a key prefix without a slash', 'directUpload.keyPrefix', { ...valid, keyPrefix: 'uploads' }],
    ['an unknown content type', 'directUpload.allowedContentTypes', { ...valid, allowedContentTypes: ['images'] }],
    ['a part size under 5 MiB', 'directUpload.multipart.partSize', { ...valid, multipart: { partSize: 1024 } }],
    ['half the credentials', 'directUpload.credentials', { ...valid, credentials: { accessKeyId: 'AKIA' } }],
    ['a flag that is not a boolean', 'directUpload.allowServicePrincipals', { ...valid, allowServicePrincipals: 'sometimes' }],
  ])('fails on %s, naming %s', async (_what, key, config) => {
    const message = await startupError(config);
    expect(message).toContain('direct-upload');
    expect(message).toContain(key);
  });

  it('fails when the directUpload section is missing altogether', async () => {
    const message = await startupError(undefined as never);
    expect(message).toContain('directUpload.bucket');
  });

  it('starts with the same config once it is valid (the failures above are the config\'s, not the harness\'s)', async () => {
    const backend = await startUploadBackend(valid);
    await backend.stop();
  });
});
