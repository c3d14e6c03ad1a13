// Conformance of directUpload()'s presigned URLs against a verifying S3 (Ceph RGW): what S3 accepts, rejects, and allows by CORS.
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import express from 'express';
import { startDevIssuer, type DevIssuer } from '../../example-server/embedded/dev-issuer';
import { directUpload, type DirectUploadOptions } from '../../middleware';
import { DEFAULT_ALLOWED_HEADERS, DEFAULT_CORS_MAX_AGE_SECONDS } from '../../terraform/direct-upload-bucket';
import { describeWithRgw, type RgwConnection } from '../support/rgw';
import { optionsFor, s3ClientFor, TEST_AUDIENCE, TEST_ORIGIN, type S3Target } from '../support/stack';

/** One row of the conformance table: what was sent through a URL from POST /uploads, and what S3 answered. */
interface Row {
  case: string;
  expected: number;
  status: number;
  /** The S3 error code from the XML body, when there is one. */
  code: string;
}

const OTHER_ORIGIN = 'https://evil.example';
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) % 256));
const errorCode = (xml: string) => /<Code>([^<]+)<\/Code>/.exec(xml)?.[1] ?? '';

function toMarkdown(rows: Row[]): string {
  const lines = ['| case | expected | RGW status | S3 error code |', '|---|---|---|---|'];
  for (const row of rows) lines.push(`| ${row.case} | ${row.expected} | ${row.status} | ${row.code || '-'} |`);
  return lines.join('\n');
}

describeWithRgw('presigned URLs from directUpload() against a verifying S3 (Ceph RGW)', (rgw: RgwConnection) => {
  const bucket = `conformance-${Date.now().toString(36)}`;
  const rows: Row[] = [];
  let issuer: DevIssuer;
  let client: S3Client;
  let target: S3Target;
  const servers: Server[] = [];

  beforeAll(async () => {
    target = {
      endpoint: rgw.endpoint,
      region: rgw.region,
      credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    };
    issuer = await startDevIssuer({ audience: TEST_AUDIENCE });
    client = s3ClientFor(target);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    // The same rule the terraform stack deploys (terraform/direct-upload-bucket.ts), for one page origin.
    await client.send(
      new PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              ID: 'direct-upload',
              AllowedOrigins: [TEST_ORIGIN],
              AllowedMethods: ['PUT'],
              AllowedHeaders: [...DEFAULT_ALLOWED_HEADERS],
              ExposeHeaders: ['ETag'],
              MaxAgeSeconds: DEFAULT_CORS_MAX_AGE_SECONDS,
            },
          ],
        },
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    client?.destroy();
    await issuer?.stop();
    if (rows.length > 0) {
      const table = toMarkdown(rows);
      console.log(`Conformance against ${rgw.endpoint}:\n${table}`);
      // `CONFORMANCE_REPORT=path npx jest test/rgw/conformance` keeps the table, e.g. for docs/conformance.md.
      if (process.env.CONFORMANCE_REPORT) writeFileSync(process.env.CONFORMANCE_REPORT, `${table}\n`);
    }
  });

  /** A real express app with directUpload() mounted, listening on loopback like a deployed server. */
  async function serve(overrides: Partial<DirectUploadOptions> = {}): Promise<string> {
    const app = express();
    app.use(directUpload(optionsFor(target, issuer, bucket, overrides)));
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  let defaultServer: Promise<string> | undefined;

  /** Asks the middleware for an upload, as a browser would: POST /uploads with a bearer token. */
  async function presign(
    body: { filename: string; contentType: string; size: number },
    overrides?: Partial<DirectUploadOptions>,
  ): Promise<{ url: string; key: string; headers: Record<string, string> }> {
    const base = overrides ? await serve(overrides) : await (defaultServer ??= serve());
    const res = await fetch(`${base}/uploads`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await issuer.issue({ sub: 'auth0|conformance' })}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { url: string; key: string; headers: Record<string, string> };
  }

  /** PUTs the bytes to S3 and records the outcome under `name`. */
  async function upload(name: string, expected: number, url: string, headers: Record<string, string>, body: Buffer) {
    const res = await fetch(url, { method: 'PUT', headers, body: new Uint8Array(body) });
    const text = await res.text();
    rows.push({ case: name, expected, status: res.status, code: errorCode(text) });
    return { status: res.status, code: errorCode(text), headers: res.headers };
  }

  async function stored(key: string): Promise<number | undefined> {
    try {
      return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }

  const file = { filename: 'card.png', contentType: 'image/png', size: 2048 };

  test('the URL, sent exactly as the route says, uploads the bytes with their type', async () => {
    const { url, key, headers } = await presign(file);
    const body = bytes(file.size);
    const res = await upload('exact headers and size', 200, url, headers, body);
    expect(res.status).toBe(200);

    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(file.size);
    expect(head.ContentType).toBe('image/png');
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
  });

  test('another Content-Type is rejected', async () => {
    const { url, key, headers } = await presign(file);
    const res = await upload('Content-Type image/jpeg instead of image/png', 403, url, { ...headers, 'Content-Type': 'image/jpeg' }, bytes(file.size));
    expect(res.status).toBe(403);
    expect(await stored(key)).toBeUndefined();
  });

  test.each([
    ['one byte more than the signed size', 1],
    ['one byte less than the signed size', -1],
  ])('%s is rejected', async (name, delta) => {
    const { url, key, headers } = await presign(file);
    const res = await upload(name, 403, url, headers, bytes(file.size + delta));
    expect(res.status).toBe(403);
    expect(await stored(key)).toBeUndefined();
  });

  test('the URL edited to another key is rejected', async () => {
    const { url, key, headers } = await presign(file);
    const edited = new URL(url);
    // Same folder, same length: only the signature can tell the difference.
    const otherKey = key.replace(/[0-9a-f](?=\.png$)/, (c) => (c === '0' ? '1' : '0'));
    expect(otherKey).not.toBe(key);
    edited.pathname = edited.pathname.replace(key, otherKey);
    const res = await upload('URL path edited to another key', 403, edited.toString(), headers, bytes(file.size));
    expect(res.status).toBe(403);
    expect(await stored(otherKey)).toBeUndefined();
    expect(await stored(key)).toBeUndefined();
  });

  test('a tampered signature is rejected', async () => {
    const { url, key, headers } = await presign(file);
    const tampered = new URL(url);
    const signature = tampered.searchParams.get('X-Amz-Signature')!;
    tampered.searchParams.set('X-Amz-Signature', signature.slice(0, -1) + (signature.endsWith('0') ? '1' : '0'));
    const res = await upload('X-Amz-Signature changed in one hex digit', 403, tampered.toString(), headers, bytes(file.size));
    expect(res.status).toBe(403);
    expect(res.code).toBe('SignatureDoesNotMatch');
    expect(await stored(key)).toBeUndefined();
  });

  test('an expired URL is rejected, while one signed as long ago but still valid is accepted', async () => {
    // The injectable clock signs "in the past" instead of the test sleeping through the expiry.
    const expiresIn = 60;
    const expired = await presign(file, { expiresIn, clock: () => new Date(Date.now() - (expiresIn + 30) * 1000) });
    const res = await upload(`expired ${30} s ago (expiresIn ${expiresIn})`, 403, expired.url, expired.headers, bytes(file.size));
    expect(res.status).toBe(403);
    expect(await stored(expired.key)).toBeUndefined();

    // The control: the same clock shift inside the lifetime works, so the 403 above is the expiry, not the skew.
    const valid = await presign(file, { expiresIn, clock: () => new Date(Date.now() - (expiresIn - 30) * 1000) });
    const ok = await upload(`signed ${expiresIn - 30} s ago, still valid (control)`, 200, valid.url, valid.headers, bytes(file.size));
    expect(ok.status).toBe(200);
  });

  describe('CORS on the bucket', () => {
    async function preflight(url: string, origin: string) {
      const res = await fetch(url, {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
      });
      await res.arrayBuffer();
      rows.push({ case: `preflight from ${origin === TEST_ORIGIN ? 'the allowed origin' : 'another origin'}`, expected: origin === TEST_ORIGIN ? 200 : 403, status: res.status, code: '' });
      return res;
    }

    test('a preflight from the allowed origin is answered with the Access-Control-Allow-* headers', async () => {
      const { url } = await presign(file);
      const res = await preflight(url, TEST_ORIGIN);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN);
      expect(res.headers.get('access-control-allow-methods')).toMatch(/\bPUT\b/);
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    });

    test('the upload itself from the allowed origin exposes ETag to the page', async () => {
      const { url, headers } = await presign(file);
      const res = await upload('PUT with Origin: the allowed origin', 200, url, { ...headers, Origin: TEST_ORIGIN }, bytes(file.size));
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN);
      expect(res.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('etag');
      expect(res.headers.get('etag')).toBeTruthy();
    });

    test('a preflight from another origin gets no Access-Control-Allow-* headers', async () => {
      const { url } = await presign(file);
      const res = await preflight(url, OTHER_ORIGIN);
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.headers.get('access-control-allow-methods')).toBeNull();
    });
  });
});
