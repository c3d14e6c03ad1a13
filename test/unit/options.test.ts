// Options are validated once, at construction, with messages that name the option and the fix.
import { S3Client } from '@aws-sdk/client-s3';
import { directUpload, DirectUploadOptionsError, type DirectUploadOptions } from '../../middleware';
import { parseOptions } from '../../middleware/options';

const auth = { issuerBaseURL: 'https://tenant.auth0.com/', audience: 'https://api.example.com' };
const base: DirectUploadOptions = { bucket: 'my-bucket', region: 'us-east-1', auth };

function errorOf(options: unknown, env: NodeJS.ProcessEnv = {}): DirectUploadOptionsError {
  try {
    parseOptions(options as DirectUploadOptions, env);
  } catch (err) {
    expect(err).toBeInstanceOf(DirectUploadOptionsError);
    return err as DirectUploadOptionsError;
  }
  throw new Error('expected parseOptions to throw');
}

describe('defaults', () => {
  it('fills every option', () => {
    const config = parseOptions(base, {});
    expect(config).toMatchObject({
      maxFileSize: 10 * 1024 * 1024,
      minFileSize: 1,
      expiresIn: 300,
      keyPrefix: 'uploads/',
      path: '/uploads',
      allowUnsizedUploads: false,
      contentDisposition: false,
      deleteRejectedUploads: true,
      requiredScopes: [],
      multipart: { threshold: 100 * 1024 * 1024, partSize: 8 * 1024 * 1024, maxPartsPerRequest: 100 },
    });
    expect(config.allowedContentTypes.map((t) => `${t.type}/${t.subtype}`)).toEqual(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
  });
  it('treats undefined like an omitted option', () => {
    expect(parseOptions({ ...base, maxFileSize: undefined, expiresIn: undefined }, {}).expiresIn).toBe(300);
  });
  it('takes the region from AWS_REGION, and from the S3 config', () => {
    expect(parseOptions({ bucket: 'my-bucket', auth }, { AWS_REGION: 'eu-west-3' }).region).toBe('eu-west-3');
    expect(parseOptions({ bucket: 'my-bucket', auth, s3: { region: 'ap-south-1' } }, {}).region).toBe('ap-south-1');
  });
  it('builds a client that only computes checksums when required', async () => {
    const config = parseOptions(base, {});
    expect(await config.s3.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
  });
  it('uses an injected S3Client as is', () => {
    const client = new S3Client({ region: 'us-west-2' });
    expect(parseOptions({ bucket: 'my-bucket', auth, s3: client }, {}).s3).toBe(client);
  });
  it('accepts a dotted bucket name, signed path-style, and an empty keyPrefix', () => {
    expect(parseOptions({ ...base, bucket: 'uploads.example.com', keyPrefix: '' }, {})).toMatchObject({ bucket: 'uploads.example.com', keyPrefix: '' });
  });
  it('reads multipart: true as multipart with its defaults', () => {
    expect(parseOptions({ ...base, multipart: true as never }, {}).multipart).toEqual(parseOptions(base, {}).multipart);
  });
  it('gives every outside call a deadline: authTimeout 5 s, S3 3 s to connect and 10 s a call, JSON bodies 10 s', async () => {
    const config = parseOptions(base, {});
    expect(config).toMatchObject({ authTimeout: 5000, s3Timeouts: { connectionTimeout: 3000, requestTimeout: 10000 }, bodyTimeout: 10000 });
    // The SDK has no deadline of its own, and a requestTimeout without throwOnRequestTimeout only logs a warning.
    const handler = config.s3.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    expect(await handler.configProvider).toMatchObject({ connectionTimeout: 3000, requestTimeout: 10000, throwOnRequestTimeout: true });
  });
  it('leaves an injected S3Client’s timeouts alone', () => {
    expect(parseOptions({ bucket: 'my-bucket', auth, s3: new S3Client({ region: 'us-west-2' }) }, {}).s3Timeouts).toBeUndefined();
  });
  it('returns an Express router', () => {
    const router = directUpload(base);
    expect(typeof router).toBe('function');
    expect(typeof (router as unknown as { use: unknown }).use).toBe('function');
  });
});

describe('validation', () => {
  it.each([
    ['no options', undefined, 'options', /options object/],
    ['no bucket', { ...base, bucket: undefined }, 'bucket', /bucket is required/],
    ['a bad bucket name', { ...base, bucket: 'My_Bucket' }, 'bucket', /not a valid S3 bucket name/],
    ['no region', { bucket: 'my-bucket', auth }, 'region', /AWS_REGION/],
    ['no auth', { bucket: 'my-bucket', region: 'us-east-1' }, 'auth', /auth is required/],
    ['auth without issuer', { ...base, auth: { audience: 'x' } }, 'auth', /issuerBaseURL/],
    ['auth without audience', { ...base, auth: { issuerBaseURL: 'https://t.auth0.com/' } }, 'auth.audience', /audience is required/],
    ['auth: false without owner', { ...base, auth: false }, 'auth', /owner/],
    ['a negative maxFileSize', { ...base, maxFileSize: -1 }, 'maxFileSize', /positive|from 1/],
    ['a fractional maxFileSize', { ...base, maxFileSize: 1.5 }, 'maxFileSize', /integer/],
    ['a string maxFileSize', { ...base, maxFileSize: '10MB' }, 'maxFileSize', /not a valid value for maxFileSize/],
    ['minFileSize over maxFileSize', { ...base, maxFileSize: 10, minFileSize: 11 }, 'minFileSize', /from 0 to 10/],
    ['expiresIn over 7 days', { ...base, expiresIn: 604801 }, 'expiresIn', /604800/],
    ['expiresIn of 0', { ...base, expiresIn: 0 }, 'expiresIn', /from 1/],
    ['an empty type list', { ...base, allowedContentTypes: [] }, 'allowedContentTypes', /non-empty/],
    ['a bad type pattern', { ...base, allowedContentTypes: ['image/jp*'] }, 'allowedContentTypes', /not a valid content type/],
    ['a keyPrefix without slash', { ...base, keyPrefix: 'uploads' }, 'keyPrefix', /ending with "\/"/],
    ['a keyPrefix with ..', { ...base, keyPrefix: '../x/' }, 'keyPrefix', /not a valid keyPrefix/],
    ['a leading-slash keyPrefix', { ...base, keyPrefix: '/uploads/' }, 'keyPrefix', /not a valid keyPrefix/],
    ['a relative path', { ...base, path: 'uploads' }, 'path', /absolute/],
    ['a path with a trailing slash', { ...base, path: '/uploads/' }, 'path', /trailing slash/],
    ['a non-function key hook', { ...base, key: 'x' }, 'key', /must be a function/],
    ['an unknown acl', { ...base, acl: 'public-read-write' }, 'acl', /public-read/],
    ['a small part size', { ...base, multipart: { partSize: 1024 } }, 'multipart.partSize', /5242880/],
    ['an authTimeout of 0', { ...base, authTimeout: 0 }, 'authTimeout', /from 1 to 600000/],
    ['a bodyTimeout in seconds as a string', { ...base, bodyTimeout: '10s' }, 'bodyTimeout', /not a valid value for bodyTimeout/],
    ['a misspelt s3Timeouts member', { ...base, s3Timeouts: { requestTimeOut: 5 } }, 's3Timeouts.requestTimeout', /Did you mean s3Timeouts.requestTimeout/],
    ['s3Timeouts with an injected client', { ...base, s3: new S3Client({ region: 'us-east-1' }), s3Timeouts: {} }, 's3Timeouts', /requestHandler/],
    ['over 5 GiB without multipart', { ...base, multipart: false, maxFileSize: 6 * 1024 ** 3 }, 'maxFileSize', /5 GiB/],
    ['bad scopes', { ...base, requiredScopes: ['a b'] }, 'requiredScopes', /without spaces/],
    ['the maxSize typo', { ...base, maxSize: 5 }, 'maxFileSize', /Did you mean maxFileSize/],
    ['the expires typo', { ...base, expires: 5 }, 'expiresIn', /Did you mean expiresIn/],
    ['the contentTypes typo', { ...base, contentTypes: ['image/png'] }, 'allowedContentTypes', /Did you mean allowedContentTypes/],
    ['a misspelt option', { ...base, maxFileSiz: 5 }, 'maxFileSize', /Unknown option maxFileSiz\. Did you mean maxFileSize\?/],
    ['an option in the wrong case', { ...base, keyprefix: 'x/' }, 'keyPrefix', /Did you mean keyPrefix\?/],
    ['an unknown option', { ...base, colour: 'red' }, 'colour', /Unknown option colour\. Known options: bucket, region/],
    ['a misspelt multipart option', { ...base, multipart: { threshhold: 6 * 1024 ** 2 } }, 'multipart.threshold', /Did you mean multipart\.threshold\?/],
    ['a reserved bucket prefix', { ...base, bucket: 'amzn-s3-demo-uploads' }, 'bucket', /reserved/],
    ['adjacent dots in the bucket', { ...base, bucket: 'my..bucket' }, 'bucket', /not a valid S3 bucket name/],
    ['an IP address as the bucket', { ...base, bucket: '10.0.0.1' }, 'bucket', /IP address/],
    ['a keyPrefix with an empty segment', { ...base, keyPrefix: 'a//b/' }, 'keyPrefix', /not a valid keyPrefix/],
  ])('%s', (_, options, option, message) => {
    const error = errorOf(options);
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^express-direct-upload: /);
  });
});
