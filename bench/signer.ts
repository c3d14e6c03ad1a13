// Part 2, run as its own child process: µs per presigned URL for Presigner.presign() vs the SDK's signers, and per RS256 verify.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import { Presigner, type PresignInput } from '../middleware/s3/presigner';
import { referencePresigner, urlDifference, type ReferenceTarget } from './signer-reference';

export interface SignerResult {
  /** Medians over blocks, in µs per call. */
  presignerUs: number;
  /** The SDK's SignatureV4.presign() on a prepared request: what Presigner used before it signed by itself. */
  signatureV4Us: number;
  getSignedUrlUs: number;
  /** jose jwtVerify of an RS256 token with the key in hand: the floor under every authenticated route. */
  rs256VerifyUs: number;
  blocks: number;
  callsPerBlock: { presigner: number; signatureV4: number; getSignedUrl: number; rs256Verify: number };
  /** Inputs whose URL was checked to carry the same signature as SignatureV4's. */
  checkedAgainstSignatureV4: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** µs per call of `fn`, called `count` times one after another (each awaited, as a route awaits one URL). */
async function timePerCall(count: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / 1000 / count;
}

async function main(): Promise<void> {
  const client = new S3Client({
    endpoint: 'http://127.0.0.1:9000',
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  const presigner = new Presigner(client, 'bench-uploads');
  const signingDate = new Date();
  // Same inputs as POST /uploads signs: a fresh key per URL, Content-Type and Content-Length signed.
  const key = (i: number) => `uploads/0123456789abcdef0123456789abcdef/${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-dddddddddddd.jpg`;
  const viaPresigner = (i: number) =>
    presigner.presign({ method: 'PUT', key: key(i), headers: { 'content-type': 'image/jpeg', 'content-length': '2345678' }, expiresIn: 300, signingDate });
  const signableHeaders = new Set(['content-type', 'content-length']);
  const viaGetSignedUrl = (i: number) =>
    getSignedUrl(client, new PutObjectCommand({ Bucket: 'bench-uploads', Key: key(i), ContentType: 'image/jpeg', ContentLength: 2345678 }), {
      expiresIn: 300,
      signableHeaders,
      signingDate,
    });

  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const token = await new SignJWT({ scope: 'write:uploads' })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setIssuer('http://127.0.0.1/')
    .setSubject('auth0|bench-user')
    .setAudience('https://uploads.bench/api')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
  const verify = () => jwtVerify(token, publicKey, { issuer: 'http://127.0.0.1/', audience: 'https://uploads.bench/api', algorithms: ['RS256'] });

  // Correctness before speed: the fast signer must produce the SDK signer's URL (up to parameter order).
  const reference = referencePresigner(client, (await (presigner as unknown as { target: Promise<ReferenceTarget> }).target));
  const viaSignatureV4 = (i: number) =>
    reference({ method: 'PUT', key: key(i), headers: { 'content-type': 'image/jpeg', 'content-length': '2345678' }, expiresIn: 300, signingDate });
  const checks: PresignInput[] = [
    { method: 'PUT', key: key(1), headers: { 'content-type': 'image/jpeg', 'content-length': '2345678' }, expiresIn: 300, signingDate },
    {
      method: 'PUT',
      key: "uploads/ab/d e+f(1)!*'ü.jpg",
      headers: { 'content-type': 'image/jpeg; q="a  b"', 'content-length': '1', 'x-amz-acl': 'public-read', 'x-amz-meta-who': 'x y', 'content-md5': 'XrY7u+Ae7tCTyyK7j1rNww==' },
      expiresIn: 604800,
      signingDate: new Date('2030-12-31T23:59:59.999Z'),
    },
    { method: 'PUT', key: 'uploads/ab/c.bin', query: { partNumber: '7', uploadId: 'x/y+z=~' }, expiresIn: 60, signingDate },
    { method: 'DELETE', key: 'uploads/ab/c.bin', query: { uploadId: 'u' }, expiresIn: 60, signingDate },
  ];
  for (const input of checks) {
    const difference = urlDifference(await presigner.presign(input), await reference(input));
    if (difference) throw new Error(`Presigner and SignatureV4 disagree on ${input.method} ${input.key}: ${difference}`);
  }

  // Sanity: both sign the same headers, so the comparison is like for like.
  const [a, b] = [new URL(await viaPresigner(0)), new URL(await viaGetSignedUrl(0))];
  if (a.searchParams.get('X-Amz-SignedHeaders') !== b.searchParams.get('X-Amz-SignedHeaders')) {
    throw new Error(`signed headers differ: ${a.searchParams.get('X-Amz-SignedHeaders')} vs ${b.searchParams.get('X-Amz-SignedHeaders')}`);
  }

  const calls = { presigner: 5000, signatureV4: 2000, getSignedUrl: 500, rs256Verify: 1000 };
  // Warm-up, so the JIT has compiled every path before anything is timed.
  await timePerCall(20_000, viaPresigner);
  await timePerCall(5_000, viaSignatureV4);
  await timePerCall(2_000, viaGetSignedUrl);
  await timePerCall(2_000, verify);

  const blocks = Number(process.env.BENCH_SIGNER_BLOCKS ?? 9);
  const samples = { presigner: [] as number[], signatureV4: [] as number[], getSignedUrl: [] as number[], rs256Verify: [] as number[] };
  for (let block = 0; block < blocks; block++) {
    // Alternating blocks: noise on the shared machine hits all four alike.
    samples.presigner.push(await timePerCall(calls.presigner, viaPresigner));
    samples.signatureV4.push(await timePerCall(calls.signatureV4, viaSignatureV4));
    samples.getSignedUrl.push(await timePerCall(calls.getSignedUrl, viaGetSignedUrl));
    samples.rs256Verify.push(await timePerCall(calls.rs256Verify, verify));
  }
  const result: SignerResult = {
    presignerUs: median(samples.presigner),
    signatureV4Us: median(samples.signatureV4),
    getSignedUrlUs: median(samples.getSignedUrl),
    rs256VerifyUs: median(samples.rs256Verify),
    blocks,
    callsPerBlock: calls,
    checkedAgainstSignatureV4: checks.length,
  };
  client.destroy();
  process.send?.(result);
}

if (require.main === module) {
  main().then(
    () => process.disconnect?.(),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
