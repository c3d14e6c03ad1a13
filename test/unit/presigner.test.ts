// The local SigV4 presigner against the AWS SDK's own SignatureV4: same URL, signature included, on varied inputs.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Presigner, type PresignInput } from '../../middleware/s3/presigner';
import { referencePresigner, urlDifference, type ReferenceTarget } from '../support/signer-reference';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const signingDate = new Date('2026-11-25T12:34:56Z');

const clients: Array<[string, S3ClientConfig, string, ReferenceTarget]> = [
  ['AWS, virtual-hosted', { region: 'eu-west-3', credentials }, 'my-bucket', { protocol: 'https:', hostname: 'my-bucket.s3.eu-west-3.amazonaws.com', basePath: '/', region: 'eu-west-3' }],
  ['AWS, dotted bucket goes path-style', { region: 'us-east-1', credentials }, 'my.bucket', { protocol: 'https:', hostname: 's3.us-east-1.amazonaws.com', basePath: '/my.bucket/', region: 'us-east-1' }],
  [
    'custom endpoint with port and path-style',
    { region: 'us-east-1', credentials, endpoint: 'http://127.0.0.1:7480', forcePathStyle: true },
    'uploads',
    { protocol: 'http:', hostname: '127.0.0.1', port: 7480, basePath: '/uploads/', region: 'us-east-1' },
  ],
  [
    'temporary credentials (session token)',
    { region: 'ap-south-1', credentials: { ...credentials, sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDOSESSION+/=' } },
    'b-1',
    { protocol: 'https:', hostname: 'b-1.s3.ap-south-1.amazonaws.com', basePath: '/', region: 'ap-south-1' },
  ],
];

const inputs: Array<[string, PresignInput]> = [
  ['a plain PUT', { method: 'PUT', key: 'uploads/abc/0b6c.jpg', headers: { 'content-type': 'image/jpeg', 'content-length': '48213' }, expiresIn: 300, signingDate }],
  [
    'every signed feature',
    {
      method: 'PUT',
      key: "uploads/abc/it's (1)*!_~.png",
      headers: {
        'content-type': 'Text/Plain;Charset=UTF-8',
        'content-length': '1',
        'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==',
        'content-disposition': `attachment; filename="R_sum_.png"; filename*=UTF-8''R%C3%A9sum%C3%A9.png`,
        'x-amz-meta-owner': 'a b/c+d=e',
        'x-amz-acl': 'public-read',
        'if-none-match': '*',
      },
      expiresIn: 604800,
      signingDate,
    },
  ],
  ['an UploadPart', { method: 'PUT', key: 'uploads/abc/v.webm', query: { partNumber: '12', uploadId: 'VXBsb2FkIElE+/=.~_-' }, headers: { 'content-length': '8388608' }, expiresIn: 60, signingDate }],
  ['a header with runs of blanks', { method: 'PUT', key: 'k', headers: { 'content-type': 'text/plain;  a="x  y"', 'content-length': '3' }, expiresIn: 1, signingDate }],
];

describe.each(clients)('%s', (_, config, bucket, target) => {
  const client = new S3Client(config);
  afterAll(() => client.destroy());
  const presigner = new Presigner(client, bucket);
  const reference = referencePresigner(client, target);

  it.each(inputs)('signs %s exactly as SignatureV4 does', async (__, input) => {
    const url = await presigner.presign(input);
    expect(urlDifference(url, await reference(input))).toBeUndefined();
    expect(url.startsWith(`${target.protocol}//${target.hostname}${target.port ? `:${target.port}` : ''}${target.basePath}`)).toBe(true);
  });
});

it('keeps every x-amz-* header a signed header: none moves into the query string', async () => {
  const client = new S3Client(clients[0][1]);
  const url = new URL(await new Presigner(client, 'my-bucket').presign(inputs[1][1]));
  client.destroy();
  expect(url.searchParams.get('x-amz-acl')).toBeNull();
  expect(url.searchParams.get('x-amz-meta-owner')).toBeNull();
  expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-disposition;content-length;content-md5;content-type;host;if-none-match;x-amz-acl;x-amz-meta-owner');
});

it('refuses a lifetime over 7 days', async () => {
  const client = new S3Client(clients[0][1]);
  await expect(new Presigner(client, 'my-bucket').presign({ ...inputs[0][1], expiresIn: 604801 })).rejects.toThrow(/one week/);
  client.destroy();
});
