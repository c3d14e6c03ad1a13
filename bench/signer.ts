// Part 2, run as its own child process: µs per presigned URL for Presigner.presign() and getSignedUrl(), and per RS256 verify.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignJWT, generateKeyPair, jwtVerify } from 'jose';
import { Presigner } from '../middleware/s3/presigner';
import { median } from './route-cost';

/** Medians over blocks, in µs per call. rs256Verify (jose, key in hand) is the floor under every authenticated route. */
export type SignerResult = { presignerUs: number; getSignedUrlUs: number; rs256VerifyUs: number; blocks: number; callsPerBlock: Record<string, number> };

/** µs per call of `fn`, called `count` times one after another (each awaited, as a route awaits one URL). */
async function timePerCall(count: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / 1000 / count;
}

async function main(): Promise<void> {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
  const client = new S3Client({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  const presigner = new Presigner(client, 'bench-uploads');
  const signingDate = new Date();
  // Same inputs as POST /uploads signs: a fresh key per URL, Content-Type and Content-Length signed.
  const key = (i: number) => `uploads/0123456789abcdef0123456789abcdef/${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-dddddddddddd.jpg`;
  const headers = { 'content-type': 'image/jpeg', 'content-length': '2345678' };
  const signableHeaders = new Set(Object.keys(headers));
  const fns = {
    presigner: (i: number) => presigner.presign({ method: 'PUT', key: key(i), headers, expiresIn: 300, signingDate }),
    getSignedUrl: (i: number) =>
      getSignedUrl(client, new PutObjectCommand({ Bucket: 'bench-uploads', Key: key(i), ContentType: 'image/jpeg', ContentLength: 2345678 }), { expiresIn: 300, signableHeaders, signingDate }),
    rs256Verify: async () => jwtVerify(token, publicKey, { issuer: 'http://127.0.0.1/', audience: 'https://uploads.bench/api', algorithms: ['RS256'] }),
  };
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer('http://127.0.0.1/').setSubject('auth0|bench-user')
    .setAudience('https://uploads.bench/api').setIssuedAt().setExpirationTime('1h').sign(privateKey);

  // Like for like: both sign the same headers. (That the URLs are right is test/unit/presigner.test.ts's and test/rgw's job.)
  const [a, b] = await Promise.all([fns.presigner(0), fns.getSignedUrl(0)]);
  const signed = (url: string) => new URL(url).searchParams.get('X-Amz-SignedHeaders');
  if (signed(a) !== signed(b)) throw new Error(`signed headers differ: ${signed(a)} vs ${signed(b)}`);

  const calls = { presigner: 5000, getSignedUrl: 500, rs256Verify: 1000 };
  const names = Object.keys(calls) as Array<keyof typeof calls>;
  // Warm-up, so the JIT has compiled every path before anything is timed.
  for (const name of names) await timePerCall(calls[name] * 4, fns[name]);
  const blocks = 9;
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<keyof typeof calls, number[]>;
  // Alternating blocks: noise on the shared machine hits all three alike.
  for (let block = 0; block < blocks; block++) for (const name of names) samples[name].push(await timePerCall(calls[name], fns[name]));
  client.destroy();
  const [presignerUs, getSignedUrlUs, rs256VerifyUs] = names.map((name) => median(samples[name]));
  process.send?.({ presignerUs, getSignedUrlUs, rs256VerifyUs, blocks, callsPerBlock: calls } satisfies SignerResult);
}

main().then(
  () => process.disconnect?.(),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
