// The local POST-policy signer against the AWS SDK's own createPresignedPost: same URL, same fields, same policy and signature.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { PostPolicy, type PostPolicyInput } from '../../middleware/s3/post-policy';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const signingDate = new Date('2026-11-25T12:34:56Z');

const clients: Array<[string, S3ClientConfig, string, string]> = [
  ['AWS, virtual-hosted', { region: 'eu-west-3', credentials }, 'my-bucket', 'https://my-bucket.s3.eu-west-3.amazonaws.com/'],
  ['custom endpoint, path-style', { region: 'us-east-1', credentials, endpoint: 'http://127.0.0.1:7480', forcePathStyle: true }, 'uploads', 'http://127.0.0.1:7480/uploads'],
  ['temporary credentials', { region: 'ap-south-1', credentials: { ...credentials, sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDOSESSION+/=' } }, 'b-1', 'https://b-1.s3.ap-south-1.amazonaws.com/'],
];

const inputs: Array<[string, PostPolicyInput]> = [
  ['a declared size', { key: 'uploads/abc/0b6c.jpg', fields: { 'Content-Type': 'image/jpeg' }, contentLength: { min: 48213, max: 48213 }, expiresIn: 300, signingDate }],
  [
    'every stored field',
    {
      key: 'uploads/abc/r.png',
      fields: {
        'Content-Type': 'image/png',
        'Content-Disposition': `attachment; filename="R_sum_.png"; filename*=UTF-8''R%C3%A9sum%C3%A9.png`,
        acl: 'public-read',
        'x-amz-meta-owner': 'a b/c+d=e',
      },
      contentLength: { min: 1, max: 10 * 1024 * 1024 },
      expiresIn: 604800,
      signingDate,
    },
  ],
];

describe.each(clients)('%s', (_, config, bucket, url) => {
  const client = new S3Client(config);
  const signer = new PostPolicy(client, bucket);

  beforeAll(() => {
    // createPresignedPost signs "now": only Date is faked, so the SDK's promises and timers run as usual.
    jest.useFakeTimers({ now: signingDate, doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'queueMicrotask'] });
  });
  afterAll(() => {
    jest.useRealTimers();
    client.destroy();
  });

  it.each(inputs)('%s: identical to the SDK, signature included', async (_name, input) => {
    const ours = await signer.presignPost(input);
    const sdk = await createPresignedPost(client as never, {
      Bucket: bucket,
      Key: input.key,
      Conditions: [['content-length-range', input.contentLength.min, input.contentLength.max]],
      Fields: input.fields,
      Expires: input.expiresIn,
    });
    expect(ours.url).toBe(url);
    // The SDK normalises no trailing slash for virtual-hosted URLs; both address the bucket.
    expect(sdk.url.replace(/\/?$/, '')).toBe(url.replace(/\/?$/, ''));
    expect(ours.fields).toEqual(sdk.fields);
    expect(Object.keys(ours.fields)).toEqual(Object.keys(sdk.fields));
  });
});

describe('the policy it signs', () => {
  const client = new S3Client({ region: 'us-east-1', credentials, endpoint: 'http://127.0.0.1:7480', forcePathStyle: true });
  afterAll(() => client.destroy());

  it('pins the key, every field and the size range, and expires expiresIn seconds after signing', async () => {
    const post = await new PostPolicy(client, 'uploads').presignPost(inputs[1][1]);
    const policy = JSON.parse(Buffer.from(post.fields.Policy, 'base64').toString('utf8'));
    expect(policy.expiration).toBe('2026-12-02T12:34:56Z');
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, 10 * 1024 * 1024],
        { key: 'uploads/abc/r.png' },
        { bucket: 'uploads' },
        { 'Content-Type': 'image/png' },
        { acl: 'public-read' },
        { 'x-amz-meta-owner': 'a b/c+d=e' },
        { 'X-Amz-Credential': 'AKIDEXAMPLE/20261125/us-east-1/s3/aws4_request' },
      ]),
    );
    // Every field but the policy and its signature is named by a condition, or S3 refuses the form.
    const named = new Set(policy.conditions.filter((c: unknown) => !Array.isArray(c)).flatMap((c: object) => Object.keys(c)));
    expect(Object.keys(post.fields).filter((f) => !named.has(f))).toEqual(['Policy', 'X-Amz-Signature']);
  });

  it('refuses an expiry past 7 days and an empty range', async () => {
    const signer = new PostPolicy(client, 'uploads');
    await expect(signer.presignPost({ ...inputs[0][1], expiresIn: 604801 })).rejects.toThrow(/one week/);
    await expect(signer.presignPost({ ...inputs[0][1], contentLength: { min: 5, max: 4 } })).rejects.toThrow(RangeError);
  });
});
