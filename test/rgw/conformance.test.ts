// Conformance of directUpload()'s presigned URLs against a verifying S3 (Ceph RGW): what S3 accepts, rejects, and allows by CORS.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectAclCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { DirectUploadOptions } from '../../middleware';
import type { LocalS3Connection } from '../../dev/s3-connection';
import { describeWithRgw } from '../support/rgw';
import { startUploadServices, TEST_ORIGIN, type UploadServices } from '../support/upload-services';

/** One row of the conformance table: what was sent (to S3 through a presigned URL, or to a route), and the answer. */
interface Row {
  case: string;
  /** `PUT url`, `OPTIONS url`, or the middleware route, e.g. `POST /uploads/multipart/complete`. */
  request: string;
  expected: number;
  status: number;
  /** S3's `<Code>` from its XML error, or the `code` of the middleware's problem+json; '' when there is none. */
  code: string;
}

const OTHER_ORIGIN = 'https://evil.example';
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) % 256));
const errorCode = (xml: string) => /<Code>([^<]+)<\/Code>/.exec(xml)?.[1] ?? '';

function toMarkdown(rows: Row[]): string {
  const lines = ['| case | request | expected | status | error code |', '|---|---|---|---|---|'];
  for (const row of rows) lines.push(`| ${row.case} | ${row.request} | ${row.expected} | ${row.status} | ${row.code || '-'} |`);
  return lines.join('\n');
}

describeWithRgw('presigned URLs from directUpload() against a verifying S3 (Ceph RGW)', (rgw: LocalS3Connection) => {
  const rows: Row[] = [];
  const servers: Server[] = [];
  let services: UploadServices;
  // Set in beforeAll; the tests read them through these short names.
  let bucket: string;
  let client: UploadServices['client'];

  beforeAll(async () => {
    // The dev issuer, an SDK client and a fresh bucket on RGW, as the integration tests use them.
    services = await startUploadServices('conformance', rgw);
    ({ bucket, client } = services);
    // startUploadServices gave the bucket the rule the Terraform stack deploys (uploadCorsRule), for TEST_ORIGIN.
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await services?.stop();
    if (rows.length > 0) {
      const table = toMarkdown(rows);
      console.log(`Conformance against ${rgw.endpoint}:\n${table}`);
      // `CONFORMANCE_REPORT=path npx jest test/rgw/conformance` keeps the table, e.g. for docs/conformance.md.
      if (process.env.CONFORMANCE_REPORT) writeFileSync(process.env.CONFORMANCE_REPORT, `${table}\n`);
    }
  });

  /** A real express app with directUpload() mounted, listening on loopback like a deployed server. */
  async function serve(overrides: Partial<DirectUploadOptions> = {}): Promise<string> {
    const app = services.app(overrides);
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  let defaultServer: Promise<string> | undefined;

  /**
   * Calls a route of the middleware as a browser would, with a bearer token: on `base`, on a new server built with
   * `overrides`, or on the shared default server. Records a row when `record` names the case.
   */
  async function route(
    method: string,
    path: string,
    body?: unknown,
    options: { overrides?: Partial<DirectUploadOptions>; base?: string; record?: { case: string; expected: number } } = {},
  ): Promise<{ status: number; body: any }> {
    const base = options.base ?? (options.overrides ? await serve(options.overrides) : await (defaultServer ??= serve()));
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${await services.token('auth0|conformance')}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    if (options.record) {
      const code = typeof parsed === 'object' && parsed && 'code' in parsed ? String(parsed.code) : '';
      rows.push({ ...options.record, request: `${method} ${path.split('?')[0]}`, status: res.status, code });
    }
    return { status: res.status, body: parsed };
  }

  /** Asks the middleware for a single-PUT upload: POST /uploads. */
  async function presign(
    body: { filename: string; contentType: string; size: number; contentMD5?: string },
    overrides?: Partial<DirectUploadOptions>,
  ): Promise<{ url: string; key: string; headers: Record<string, string> }> {
    const res = await route('POST', '/uploads', body, { overrides });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** PUTs the bytes to S3 and records the outcome under `name`. */
  async function upload(name: string, expected: number, url: string, headers: Record<string, string>, body: Buffer) {
    const res = await fetch(url, { method: 'PUT', headers, body: new Uint8Array(body) });
    const text = await res.text();
    rows.push({ case: name, request: 'PUT url', expected, status: res.status, code: errorCode(text) });
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
      const allowed = origin === TEST_ORIGIN;
      rows.push({ case: `preflight from ${allowed ? 'the allowed origin' : 'another origin'}`, request: 'OPTIONS url', expected: allowed ? 200 : 403, status: res.status, code: '' });
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

  describe('the other headers and options the route signs', () => {
    test('Content-Disposition (contentDisposition: true) is stored as signed, and another value is rejected', async () => {
      const named = { ...file, filename: 'Grüße "Weihnachten" 2026.png' };
      const first = await presign(named, { contentDisposition: true });
      expect(first.headers['Content-Disposition']).toMatch(/^attachment; /);
      expect((await upload('Content-Disposition as returned (non-ASCII filename)', 200, first.url, first.headers, bytes(file.size))).status).toBe(200);
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: first.key }));
      expect(head.ContentDisposition).toBe(first.headers['Content-Disposition']);

      const second = await presign(named, { contentDisposition: true });
      const changed = { ...second.headers, 'Content-Disposition': 'inline' };
      expect((await upload('Content-Disposition changed to inline', 403, second.url, changed, bytes(file.size))).status).toBe(403);
    });

    test('metadata (the metadata hook) travels as signed headers and is stored', async () => {
      const { url, key, headers } = await presign(file, { metadata: () => ({ 'Card-Id': 'c-42', note: 'hello world' }) });
      expect(new URL(url).searchParams.get('x-amz-meta-card-id')).toBeNull();
      expect(headers['x-amz-meta-card-id']).toBe('c-42');
      expect((await upload('x-amz-meta-* from the metadata hook', 200, url, headers, bytes(file.size))).status).toBe(200);
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.Metadata).toMatchObject({ 'card-id': 'c-42', note: 'hello world' });
    });

    test('Content-MD5: the right bytes land, other bytes of the same length are refused, and leaving it out is refused', async () => {
      const body = bytes(file.size);
      const contentMD5 = createHash('md5').update(body).digest('base64');
      const ok = await presign({ ...file, contentMD5 });
      expect(ok.headers['Content-MD5']).toBe(contentMD5);
      expect((await upload('Content-MD5 of the bytes sent', 200, ok.url, ok.headers, body)).status).toBe(200);

      const corrupt = await presign({ ...file, contentMD5 });
      const flipped = Buffer.from(body);
      flipped[0] ^= 0xff;
      const bad = await upload('other bytes under the signed Content-MD5', 400, corrupt.url, corrupt.headers, flipped);
      expect(bad.status).toBe(400);
      expect(bad.code).toBe('BadDigest');
      expect(await stored(corrupt.key)).toBeUndefined();

      const omitted = await presign({ ...file, contentMD5 });
      const { 'Content-MD5': _dropped, ...withoutMD5 } = omitted.headers;
      expect((await upload('signed Content-MD5 not sent', 403, omitted.url, withoutMD5, body)).status).toBe(403);
    });

    test("a key hook's key with !*'() characters is signed as S3 encodes it", async () => {
      const { url, key, headers } = await presign(file, { key: (ctx) => `${ctx.ownerPrefix}it's(1)*!_card-${ctx.uuid}.png` });
      expect(key).toMatch(/it's\(1\)\*!_card-/);
      expect((await upload("key with ! * ' ( ) characters", 200, url, headers, bytes(file.size))).status).toBe(200);
      expect(await stored(key)).toBe(file.size);
    });

    describe('acl: public-read', () => {
      let publicKey: string;

      test('is signed as the x-amz-acl header the client must send, and the PUT is accepted', async () => {
        const { url, key, headers } = await presign(file, { acl: 'public-read' });
        expect(headers['x-amz-acl']).toBe('public-read');
        expect(new URL(url).searchParams.get('x-amz-acl')).toBeNull();
        expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')!.split(';')).toContain('x-amz-acl');
        expect((await upload('public-read: x-amz-acl header as returned', 200, url, headers, bytes(file.size))).status).toBe(200);
        publicKey = key;
        const { 'x-amz-acl': _acl, ...withoutAcl } = headers;
        const second = await presign(file, { acl: 'public-read' });
        expect((await upload('public-read: signed x-amz-acl header left out', 403, second.url, withoutAcl, bytes(file.size))).status).toBe(403);
      });

      // RGW reads the canned ACL only from the header (it accepts and ignores a query-string x-amz-acl), so the
      // presigner keeps x-amz-acl a signed header: the object comes out public on RGW and AWS alike.
      test('the object is public: an anonymous GET succeeds', async () => {
        expect(await stored(publicKey)).toBe(file.size);
        const anonymous = await fetch(`${rgw.endpoint}/${bucket}/${publicKey}`);
        await anonymous.arrayBuffer();
        rows.push({ case: 'anonymous GET of the public-read upload', request: 'GET object', expected: 200, status: anonymous.status, code: '' });
        expect(anonymous.status).toBe(200);
        const acl = await client.send(new GetObjectAclCommand({ Bucket: bucket, Key: publicKey }));
        expect(acl.Grants?.some((grant) => grant.Grantee?.URI?.endsWith('/global/AllUsers'))).toBe(true);
      });
    });

    test('a Content-Type with parameters is signed exactly as the client asked, in any case', async () => {
      const overrides = { allowedContentTypes: ['text/*'] };
      // Blob.type style (no space after ";"), and what fetch() sends for a string body (upper-case UTF-8).
      for (const asked of ['text/plain;charset=utf-8', 'text/plain;charset=UTF-8']) {
        const presigned = await presign({ filename: 'note.txt', contentType: asked, size: 64 }, overrides);
        expect(presigned.headers['Content-Type']).toBe(asked);
        expect((await upload(`Content-Type ${asked}, as asked and returned`, 200, presigned.url, { ...presigned.headers, 'Content-Type': asked }, bytes(64))).status).toBe(200);
        expect((await client.send(new HeadObjectCommand({ Bucket: bucket, Key: presigned.key }))).ContentType).toBe(asked);
      }
      // Another spelling of the same type is another signed value: S3 refuses it.
      const other = await presign({ filename: 'note.txt', contentType: 'text/plain;charset=utf-8', size: 64 }, overrides);
      expect((await upload('Content-Type respelled (text/plain; charset=utf-8)', 403, other.url, { ...other.headers, 'Content-Type': 'text/plain; charset=utf-8' }, bytes(64))).status).toBe(403);
    });

    test("GET /uploads (the AWS sample's Postman flow) returns a URL that uploads with Content-Type, x-amz-acl and If-None-Match", async () => {
      const query = new URLSearchParams({ contentType: 'image/png', filename: 'p.png', size: String(file.size) });
      const res = await route('GET', `/uploads?${query}`, undefined, { record: { case: 'sample flow: ask for a URL', expected: 200 } });
      expect(res.status).toBe(200);
      expect(res.body.headers).toEqual({ 'Content-Type': 'image/png', 'x-amz-acl': 'private', 'If-None-Match': '*' });
      const sample = { 'Content-Type': 'image/png', 'x-amz-acl': 'private', 'If-None-Match': '*' };
      expect((await upload('sample flow: PUT uploadURL with the three headers returned', 200, res.body.uploadURL, sample, bytes(file.size))).status).toBe(200);
      const again = await route('GET', `/uploads?${query}`);
      expect((await upload("sample flow: PUT uploadURL with Content-Type only (the AWS sample's step)", 403, again.body.uploadURL, { 'Content-Type': 'image/png' }, bytes(file.size))).status).toBe(403);
    });

    test('allowUnsizedUploads: an unsized URL does not sign Content-Length, so S3 takes any size', async () => {
      const res = await route('GET', '/uploads', undefined, { overrides: { allowedContentTypes: ['image/png'], allowUnsizedUploads: true } });
      expect(res.status).toBe(200);
      const put = await upload('unsized GET URL, 3 bytes (size not enforced by S3)', 200, res.body.uploadURL, res.body.headers, bytes(3));
      expect(put.status).toBe(200);
    });
  });

  describe('verify after upload: POST /uploads/complete', () => {
    test('confirms an uploaded object with its size, type and ETag', async () => {
      const { url, key, headers } = await presign(file);
      expect((await upload('PUT before /uploads/complete', 200, url, headers, bytes(file.size))).status).toBe(200);
      const res = await route('POST', '/uploads/complete', { key, size: file.size, contentType: file.contentType }, { record: { case: 'verify an uploaded object', expected: 200 } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ key, size: file.size, contentType: 'image/png', etag: expect.any(String) });
    });

    test('answers 404 for a URL that was never used', async () => {
      const { key } = await presign(file);
      const res = await route('POST', '/uploads/complete', { key, size: file.size }, { record: { case: 'verify before any upload', expected: 404 } });
      expect(res.status).toBe(404);
    });
    test('catches what S3 cannot: an unsized URL used for other bytes is refused (409) and the object deleted', async () => {
      const unsized = { allowedContentTypes: ['image/png'], allowUnsizedUploads: true, minFileSize: 10 };
      const base = await serve(unsized);
      const res = await route('GET', '/uploads', undefined, { base });
      expect(res.status).toBe(200);
      // 3 bytes are under minFileSize, but nothing in the URL says so: S3 takes them.
      expect((await upload('unsized URL, 3 bytes under minFileSize', 200, res.body.uploadURL, res.body.headers, bytes(3))).status).toBe(200);
      const verdict = await route('POST', '/uploads/complete', { key: res.body.key }, { base, record: { case: 'verify the 3-byte object', expected: 409 } });
      expect(verdict.status).toBe(409);
      expect(verdict.body.code).toBe('upload_mismatch');
      expect(await stored(res.body.key)).toBeUndefined();
    });
  });

  describe('multipart uploads', () => {
    const MiB = 1024 * 1024;
    // Two parts: the 5 MiB minimum, then a short last part.
    const big = { filename: 'poster.png', contentType: 'image/png', size: 5 * MiB + 1000 };
    const multipartOptions: Partial<DirectUploadOptions> = { maxFileSize: 20 * MiB, multipart: { threshold: 5 * MiB, partSize: 5 * MiB } };
    let base: string;
    beforeAll(async () => {
      base = await serve(multipartOptions);
    });

    async function start(record?: { case: string; expected: number }) {
      const res = await route('POST', '/uploads', big, { base, record });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ method: 'MULTIPART', partSize: 5 * MiB, partCount: 2 });
      return res.body as { key: string; uploadId: string };
    }

    async function partUrls(key: string, uploadId: string, record?: { case: string; expected: number }) {
      const res = await route('POST', '/uploads/multipart/parts', { key, uploadId, size: big.size, partNumbers: [1, 2] }, { base, record });
      expect(res.status).toBe(200);
      return res.body.parts as Array<{ partNumber: number; url: string; size: number }>;
    }

    test('parts PUT to their signed URLs, complete assembles them, and a repeated complete only verifies', async () => {
      const body = bytes(big.size);
      const { key, uploadId } = await start({ case: 'start a multipart upload (size over threshold)', expected: 201 });
      const parts = await partUrls(key, uploadId, { case: 'sign part URLs', expected: 200 });
      expect(parts.map((p) => p.size)).toEqual([5 * MiB, 1000]);

      const wrong = await upload('part 2 with one byte more than signed', 403, parts[1].url, {}, bytes(1001));
      expect(wrong.status).toBe(403);
      let offset = 0;
      for (const part of parts) {
        const put = await upload(`part ${part.partNumber} (${part.size} bytes)`, 200, part.url, {}, body.subarray(offset, offset + part.size));
        expect(put.status).toBe(200);
        expect(put.headers.get('etag')).toBeTruthy();
        offset += part.size;
      }

      const listed = await route('GET', `/uploads/multipart/parts?${new URLSearchParams({ key, uploadId })}`, undefined, { base, record: { case: 'list uploaded parts', expected: 200 } });
      expect(listed.status).toBe(200);
      expect(listed.body.parts.map((p: { partNumber: number; size: number }) => [p.partNumber, p.size])).toEqual([[1, 5 * MiB], [2, 1000]]);

      const done = await route('POST', '/uploads/multipart/complete', { key, uploadId, size: big.size }, { base, record: { case: 'complete', expected: 200 } });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ key, size: big.size, contentType: 'image/png' });
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(got.ContentType).toBe('image/png');
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);

      const again = await route('POST', '/uploads/multipart/complete', { key, uploadId, size: big.size }, { base, record: { case: 'complete again (idempotent)', expected: 200 } });
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ key, size: big.size });
    });

    test('complete with a part missing is refused, and abort frees the upload', async () => {
      const { key, uploadId } = await start();
      const [first] = await partUrls(key, uploadId);
      expect((await upload('part 1 only', 200, first.url, {}, bytes(first.size))).status).toBe(200);

      const early = await route('POST', '/uploads/multipart/complete', { key, uploadId, size: big.size }, { base, record: { case: 'complete with part 2 missing', expected: 409 } });
      expect(early.status).toBe(409);
      expect(early.body.code).toBe('incomplete_upload');

      const query = new URLSearchParams({ key, uploadId });
      const aborted = await route('DELETE', `/uploads/multipart?${query}`, undefined, { base, record: { case: 'abort', expected: 204 } });
      expect(aborted.status).toBe(204);
      const gone = await route('GET', `/uploads/multipart/parts?${query}`, undefined, { base, record: { case: 'list parts after abort', expected: 404 } });
      expect(gone.status).toBe(404);
      expect(await stored(key)).toBeUndefined();
    });
  });
});
