// Quarantine against a verifying S3 (Ceph RGW): an upload reaches its key only after complete verified (and scanned) it; a rejected one never does.
import { GetObjectAclCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { QuarantinedObject, UploadedObject } from '../../middleware';
import { createUploadClient } from '../../client';
import { fileOf, serveRouter, type Served } from '../client/harness';
import { describeWithRgw } from '../support/rgw';
import { startUploadServices, type UploadServices } from '../support/upload-services';

jest.setTimeout(90_000);

const MiB = 1024 * 1024;
const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256));
/** The EICAR anti-virus test file: harmless, and every scanner reports it as infected. */
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

describeWithRgw('quarantine against a verifying S3 (Ceph RGW)', (rgw) => {
  let stack: UploadServices;
  let server: Served;
  let token: string;
  const uploaded: UploadedObject[] = [];
  const scanned: QuarantinedObject[] = [];
  /** What the scan hook answers while an upload is still being scanned elsewhere; flipped by a test. */
  let pending = false;

  beforeAll(async () => {
    stack = await startUploadServices('quarantine', rgw);
    server = await serveRouter(stack, {
      allowedContentTypes: ['image/png', 'text/plain'],
      allowUnsizedUploads: true,
      maxFileSize: 64 * MiB,
      multipart: { threshold: 5 * MiB, partSize: 5 * MiB },
      quarantine: {
        prefix: 'incoming/',
        // A real look at the bytes where they landed: infected when they hold the EICAR signature.
        scan: async (object) => {
          scanned.push(object);
          if (pending) return 'pending';
          const out = await stack.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: object.incomingKey }));
          return (await out.Body!.transformToString()).includes('EICAR-STANDARD-ANTIVIRUS-TEST-FILE') ? 'infected' : 'clean';
        },
      },
      onUploaded: (object) => {
        uploaded.push(object);
      },
    });
    token = await stack.token('auth0|quarantine-dan');
  });
  afterAll(async () => {
    await server?.close();
    await stack?.stop();
  });

  async function call(method: string, route: string, body?: object, as = token) {
    const res = await fetch(`${server.baseUrl}${route}`, {
      method,
      headers: { Authorization: `Bearer ${as}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, headers: res.headers, body: (await res.json().catch(() => undefined)) as any };
  }
  const put = (url: string, headers: Record<string, string>, body: Buffer | string) =>
    fetch(url, { method: 'PUT', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const exists = (key: string) => stack.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key })).then(() => true, () => false);
  const stored = async (key: string) => Buffer.from(await (await stack.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }))).Body!.transformToByteArray());

  it('a verified, clean upload reaches its key only at complete, with identical bytes, and leaves nothing in incoming', async () => {
    const body = bytes(4000);
    const presigned = await call('POST', '/uploads', { filename: 'card.png', contentType: 'image/png', size: body.length });
    expect(presigned.status).toBe(200);
    const incomingKey: string = presigned.body.key;
    expect(incomingKey).toMatch(/^incoming\/uploads\/[0-9a-f]{32}\/[0-9a-f-]{36}\.png$/);
    const finalKey = incomingKey.slice('incoming/'.length);
    expect(new URL(presigned.body.url).pathname).toBe(`/${stack.bucket}/${incomingKey}`);

    expect((await put(presigned.body.url, presigned.body.headers, body)).status).toBe(200);
    expect(await exists(incomingKey)).toBe(true);
    expect(await exists(finalKey)).toBe(false);

    const completed = await call('POST', '/uploads/complete', { key: incomingKey, size: body.length });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ key: finalKey, size: body.length, contentType: 'image/png' });
    expect((await stored(finalKey)).equals(body)).toBe(true);
    expect(await exists(incomingKey)).toBe(false);
    expect(scanned.at(-1)).toMatchObject({ key: finalKey, incomingKey, size: body.length, owner: 'auth0|quarantine-dan' });
    expect(uploaded.at(-1)).toMatchObject({ key: finalKey, size: body.length, bucket: stack.bucket });
    // The signed Content-Type travelled with the copy (MetadataDirective COPY).
    expect((await stack.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: finalKey }))).ContentType).toBe('image/png');

    // Idempotent: completing again answers the released object, by either key.
    const again = await call('POST', '/uploads/complete', { key: incomingKey });
    expect(again.status).toBe(200);
    expect(again.body.key).toBe(finalKey);
    expect((await call('POST', '/uploads/complete', { key: finalKey })).body.key).toBe(finalKey);
  });

  it('an upload the server did not authorise (under minFileSize) is deleted from incoming and never reaches its key (409 upload_mismatch)', async () => {
    // An unsized URL is the one way to store a size the server refuses: the size is not signed into it.
    const presigned = await call('GET', '/uploads?contentType=text/plain&filename=short.txt');
    expect(presigned.status).toBe(200);
    const incomingKey: string = presigned.body.key;
    expect((await put(presigned.body.url, presigned.body.headers, '')).status).toBe(200);

    const scansBefore = scanned.length;
    const completed = await call('POST', '/uploads/complete', { key: incomingKey });
    expect(completed.status).toBe(409);
    expect(completed.body.code).toBe('upload_mismatch');
    expect(scanned.length).toBe(scansBefore);
    expect(await exists(incomingKey)).toBe(false);
    expect(await exists(incomingKey.slice('incoming/'.length))).toBe(false);
    expect((await call('POST', '/uploads/complete', { key: incomingKey })).status).toBe(404);
  });

  it('an upload the scan finds infected is deleted and never reaches its key (422 upload_rejected)', async () => {
    const presigned = await call('POST', '/uploads', { filename: 'eicar.txt', contentType: 'text/plain', size: EICAR.length });
    const incomingKey: string = presigned.body.key;
    expect((await put(presigned.body.url, presigned.body.headers, EICAR)).status).toBe(200);

    const completed = await call('POST', '/uploads/complete', { key: incomingKey });
    expect(completed.status).toBe(422);
    expect(completed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(completed.body.code).toBe('upload_rejected');
    expect(await exists(incomingKey)).toBe(false);
    expect(await exists(incomingKey.slice('incoming/'.length))).toBe(false);
    expect(uploaded.map((u) => u.key)).not.toContain(incomingKey.slice('incoming/'.length));
  });

  it('a scan without a verdict yet is 409 scan_pending with Retry-After, and the upload waits in incoming', async () => {
    const body = bytes(2000, 3);
    const presigned = await call('POST', '/uploads', { contentType: 'image/png', size: body.length });
    const incomingKey: string = presigned.body.key;
    const finalKey = incomingKey.slice('incoming/'.length);
    expect((await put(presigned.body.url, presigned.body.headers, body)).status).toBe(200);
    pending = true;
    try {
      const waiting = await call('POST', '/uploads/complete', { key: incomingKey });
      expect(waiting.status).toBe(409);
      expect(waiting.body.code).toBe('scan_pending');
      expect(waiting.headers.get('retry-after')).toBe('5');
      expect(await exists(incomingKey)).toBe(true);
      expect(await exists(finalKey)).toBe(false);
    } finally {
      pending = false;
    }
    const released = await call('POST', '/uploads/complete', { key: incomingKey });
    expect(released.status).toBe(200);
    expect((await stored(finalKey)).equals(body)).toBe(true);
  });

  it("another user cannot complete someone's upload, by its incoming or its final key (403)", async () => {
    const presigned = await call('POST', '/uploads', { contentType: 'image/png', size: 10 });
    const other = await stack.token('auth0|quarantine-eve');
    expect((await call('POST', '/uploads/complete', { key: presigned.body.key }, other)).status).toBe(403);
    expect((await call('POST', '/uploads/complete', { key: presigned.body.key.slice('incoming/'.length) }, other)).status).toBe(403);
  });

  it('a multipart upload is assembled in incoming and released to its key by the typed client', async () => {
    const body = bytes(11 * MiB, 5);
    const client = createUploadClient({ baseUrl: server.baseUrl, getToken: () => token, xhr: null, resumeStore: null });
    let started = '';
    const result = await client.upload(fileOf(body, 'big.png', 'image/png'), { onStart: ({ key }) => (started = key) });
    expect(started).toMatch(/^incoming\/uploads\//);
    expect(result).toMatchObject({ method: 'MULTIPART', verified: true, key: started.slice('incoming/'.length) });
    expect((await stored(result.key)).equals(body)).toBe(true);
    expect(await exists(started)).toBe(false);
    // The size declared at the start travelled with the copy (MetadataDirective COPY).
    expect((await stack.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: result.key }))).Metadata).toMatchObject({ 'declared-size': String(body.length) });
    const open = await stack.client.send(new ListMultipartUploadsCommand({ Bucket: stack.bucket, Prefix: 'incoming/' }));
    expect(open.Uploads ?? []).toEqual([]);
  });

  it('a public-read upload keeps its ACL when it is released (CopyObject does not copy ACLs)', async () => {
    const publicServer = await serveRouter(stack, { acl: 'public-read', quarantine: true });
    try {
      const body = bytes(500);
      const res = await fetch(`${publicServer.baseUrl}/uploads`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ contentType: 'image/png', size: body.length }),
      });
      const presigned = (await res.json()) as { url: string; key: string; headers: Record<string, string> };
      expect((await put(presigned.url, presigned.headers, body)).status).toBe(200);
      const done = await fetch(`${publicServer.baseUrl}/uploads/complete`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ key: presigned.key }),
      });
      const { key } = (await done.json()) as { key: string };
      expect(key).toBe(presigned.key.slice('incoming/'.length));
      const acl = await stack.client.send(new GetObjectAclCommand({ Bucket: stack.bucket, Key: key }));
      expect(acl.Grants?.some((g) => g.Grantee?.URI === 'http://acs.amazonaws.com/groups/global/AllUsers' && g.Permission === 'READ')).toBe(true);
    } finally {
      await publicServer.close();
    }
  });
});
