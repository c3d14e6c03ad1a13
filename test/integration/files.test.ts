// The owner's files after upload (download URL, listing, deletion): on s3rver for the happy paths, on Ceph RGW for owners, other users and signatures.
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Express } from 'express';
import request from 'supertest';
import type { DirectUploadOptions } from '../../middleware';
import { ownerPrefix } from '../../middleware/upload/keys';
import { describeWithRgw } from '../support/rgw';
import { startUploadServices, type UploadServices } from '../support/upload-services';

const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256));

/** Uploads through the routes as the page does (POST /uploads, PUT, complete) and returns the key. */
async function upload(app: Express, token: string, filename: string, body: Buffer, contentType = 'image/png'): Promise<string> {
  const presigned = await request(app).post('/uploads').set('Authorization', `Bearer ${token}`).send({ filename, contentType, size: body.length }).expect(200);
  const put = await fetch(presigned.body.url, { method: 'PUT', headers: presigned.body.headers, body: new Uint8Array(body) });
  expect(put.status).toBe(200);
  await request(app).post('/uploads/complete').set('Authorization', `Bearer ${token}`).send({ key: presigned.body.key }).expect(200);
  return presigned.body.key;
}

const as = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Every page of the caller's listing, following nextCursor; the pages' sizes too. */
async function listAll(app: Express, token: string, limit: number) {
  const keys: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const res: request.Response = await request(app).get('/uploads/files').query({ limit, ...(cursor ? { cursor } : {}) }).set(as(token)).expect(200);
    keys.push(...res.body.files.map((f: { key: string }) => f.key));
    sizes.push(res.body.files.length);
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return { keys, sizes };
}

describe('the owner\'s files on a local S3 (s3rver)', () => {
  let services: UploadServices;
  let app: Express;
  beforeAll(async () => {
    services = await startUploadServices('files-test');
    app = services.app();
  });
  afterAll(async () => services?.stop());

  it('lists what the caller uploaded with size, type, time and original filename, and nothing of another user\'s', async () => {
    const alice = await services.token('auth0|files-alice');
    const bob = await services.token('auth0|files-bob');
    const key = await upload(app, alice, 'Été à la plage.png', bytes(321));
    await upload(app, bob, 'bob.png', bytes(10));

    const res = await request(app).get('/uploads/files').set(as(alice)).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.files).toEqual([
      expect.objectContaining({ key, size: 321, contentType: 'image/png', filename: 'Été à la plage.png', lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }),
    ]);
  });

  it('answers a download URL whose GET returns the exact bytes, and with download=1 an attachment under the original name', async () => {
    const token = await services.token('auth0|files-downloader');
    const body = bytes(2048, 3);
    const key = await upload(app, token, 'report 2026.png', body);
    const now = new Date();
    const res = await request(app).get('/uploads/files/url').query({ key }).set(as(token)).expect(200);
    expect(res.body.key).toBe(key);
    expect(new URL(res.body.url).searchParams.get('X-Amz-Expires')).toBe('60');
    expect(Date.parse(res.body.expiresAt) - now.getTime()).toBeGreaterThan(55_000);
    const got = await fetch(res.body.url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);

    const attachment = await request(app).get('/uploads/files/url').query({ key, download: 1 }).set(as(token)).expect(200);
    const saved = await fetch(attachment.body.url);
    expect(saved.headers.get('content-disposition')).toBe(`attachment; filename="report 2026.png"; filename*=UTF-8''report%202026.png`);
  });

  it('deletes a file: 204, gone from the bucket and the list, and 204 again for the missing key', async () => {
    const token = await services.token('auth0|files-deleter');
    const key = await upload(app, token, 'gone.png', bytes(5));
    await request(app).delete('/uploads/files').query({ key }).set(as(token)).expect(204);
    await expect(services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect((await request(app).get('/uploads/files').set(as(token)).expect(200)).body.files).toEqual([]);
    await request(app).delete('/uploads/files').query({ key }).set(as(token)).expect(204);
    await request(app).get('/uploads/files/url').query({ key }).set(as(token)).expect(404);
  });

  it('pages through 7 files 3 at a time: every key once, in order, then nextCursor null', async () => {
    const token = await services.token('auth0|files-pager');
    const keys: string[] = [];
    for (let i = 0; i < 7; i++) keys.push(await upload(app, token, `p${i}.png`, bytes(3 + i)));
    const { keys: listed, sizes } = await listAll(app, token, 3);
    expect(sizes).toEqual([3, 3, 1]);
    expect(listed).toEqual([...keys].sort());
  });

  it('refuses a cursor into another user\'s folder (403) and one it never gave out (400)', async () => {
    const token = await services.token('auth0|files-tamper');
    const otherPrefix = ownerPrefix('uploads/', 'auth0|files-alice');
    const forged = Buffer.from(`${otherPrefix}0`).toString('base64url');
    const res = await request(app).get('/uploads/files').query({ cursor: forged }).set(as(token)).expect(403);
    expect(res.body.code).toBe('forbidden');
    const junk = await request(app).get('/uploads/files').query({ cursor: 'not a cursor!' }).set(as(token)).expect(400);
    expect(junk.body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
    // A cursor only skips ahead inside the caller's own folder: one before it lists from the start.
    await request(app).get('/uploads/files').query({ cursor: Buffer.from('uploads/').toString('base64url') }).set(as(token)).expect(403);
  });

  it('checks the query: limit 1..1000, a key, download 0 or 1', async () => {
    const token = await services.token('auth0|files-query');
    for (const limit of ['0', '1001', 'ten', '-1']) {
      const res = await request(app).get('/uploads/files').query({ limit }).set(as(token)).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'limit' })]);
    }
    await request(app).get('/uploads/files?limit=1&limit=2').set(as(token)).expect(400);
    await request(app).get('/uploads/files/url').set(as(token)).expect(400);
    await request(app).delete('/uploads/files').set(as(token)).expect(400);
    const prefix = ownerPrefix('uploads/', 'auth0|files-query');
    await request(app).get('/uploads/files/url').query({ key: `${prefix}x.png`, download: 'yes' }).set(as(token)).expect(400);
  });

  it('answers 403 for another user\'s key before any S3 call (its S3 endpoint here refuses connections)', async () => {
    // Port 1 on loopback refuses connections: a route that called S3 would answer 503, not 403.
    const unreachable = services.app({ s3: { ...(services.options().s3 as object), endpoint: 'http://127.0.0.1:1' } });
    const token = await services.token('auth0|files-intruder');
    const victim = `${ownerPrefix('uploads/', 'auth0|files-alice')}secret.png`;
    for (const res of [
      await request(unreachable).get('/uploads/files/url').query({ key: victim }).set(as(token)),
      await request(unreachable).delete('/uploads/files').query({ key: victim }).set(as(token)),
      await request(unreachable).get('/uploads/files').query({ cursor: Buffer.from(victim).toString('base64url') }).set(as(token)),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    // The same app does call S3 for the caller's own key: proof that the 403 above came first.
    const own = `${ownerPrefix('uploads/', 'auth0|files-intruder')}mine.png`;
    await request(unreachable).get('/uploads/files/url').query({ key: own }).set(as(token)).expect(503);
  });

  it('needs a token on every file route', async () => {
    await request(app).get('/uploads/files').expect(401);
    await request(app).get('/uploads/files/url?key=uploads/x').expect(401);
    await request(app).delete('/uploads/files?key=uploads/x').expect(401);
  });

  it('answers the permanent public URL in a public-read deployment, and a presigned one for download=1', async () => {
    const publicApp = services.app({ acl: 'public-read' });
    const token = await services.token('auth0|files-public');
    const body = bytes(77);
    const key = await upload(publicApp, token, 'open.png', body);
    const res = await request(publicApp).get('/uploads/files/url').query({ key }).set(as(token)).expect(200);
    expect(res.body).toEqual({ url: `${services.s3.endpoint}/${services.bucket}/${key}`, key, expiresAt: null });
    const attachment = await request(publicApp).get('/uploads/files/url').query({ key, download: '1' }).set(as(token)).expect(200);
    expect(new URL(attachment.body.url).searchParams.get('response-content-disposition')).toMatch(/^attachment; filename="open.png"/);
  });

  it('lists an object stored without a filename (uploaded by other means) with its type, and names its download after the key', async () => {
    const token = await services.token('auth0|files-plain');
    const key = `${ownerPrefix('uploads/', 'auth0|files-plain')}plain.gif`;
    await services.client.send(new PutObjectCommand({ Bucket: services.bucket, Key: key, Body: bytes(9), ContentType: 'image/gif' }));
    const res = await request(app).get('/uploads/files').set(as(token)).expect(200);
    expect(res.body.files).toEqual([expect.objectContaining({ key, size: 9, contentType: 'image/gif' })]);
    expect(res.body.files[0].filename).toBeUndefined();
    const url = await request(app).get('/uploads/files/url').query({ key, download: 1 }).set(as(token)).expect(200);
    expect(new URL(url.body.url).searchParams.get('response-content-disposition')).toBe(`attachment; filename="plain.gif"; filename*=UTF-8''plain.gif`);
  });

  describe('with quarantine on: unscanned uploads under incoming/ are not served', () => {
    const quarantined = (overrides: Partial<DirectUploadOptions> = {}) => services.app({ quarantine: { prefix: 'incoming/' }, ...overrides });

    it('answers 403 for the caller\'s own incoming key on download and delete, before any S3 call', async () => {
      // Port 1 on loopback refuses connections: a route that called S3 would answer 503, not 403.
      const unreachable = quarantined({ s3: { ...(services.options().s3 as object), endpoint: 'http://127.0.0.1:1' } });
      const token = await services.token('auth0|files-quarantine-early');
      const incoming = `incoming/${ownerPrefix('uploads/', 'auth0|files-quarantine-early')}unscanned.png`;
      for (const res of [
        await request(unreachable).get('/uploads/files/url').query({ key: incoming }).set(as(token)),
        await request(unreachable).get('/uploads/files/url').query({ key: incoming, download: 1 }).set(as(token)),
        await request(unreachable).delete('/uploads/files').query({ key: incoming }).set(as(token)),
      ]) {
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ code: 'forbidden', detail: expect.stringMatching(/quarantine/) });
      }
      // Another user's incoming key is a plain 403 too; a cursor into the incoming folder lists nothing of it.
      const theirs = `incoming/${ownerPrefix('uploads/', 'auth0|files-alice')}x.png`;
      expect((await request(unreachable).get('/uploads/files/url').query({ key: theirs }).set(as(token)).expect(403)).body.detail).toMatch(/not belong to you/);
      await request(unreachable).get('/uploads/files').query({ cursor: Buffer.from(incoming).toString('base64url') }).set(as(token)).expect(403);
    });

    it('lists released files only: an object under the caller\'s incoming folder is left out, and stays', async () => {
      const token = await services.token('auth0|files-quarantine-list');
      const prefix = ownerPrefix('uploads/', 'auth0|files-quarantine-list');
      const incoming = `incoming/${prefix}waiting.png`;
      const released = `${prefix}released.png`;
      await services.client.send(new PutObjectCommand({ Bucket: services.bucket, Key: incoming, Body: bytes(8), ContentType: 'image/png' }));
      await services.client.send(new PutObjectCommand({ Bucket: services.bucket, Key: released, Body: bytes(9), ContentType: 'image/png' }));
      const res = await request(quarantined()).get('/uploads/files').set(as(token)).expect(200);
      expect(res.body.files.map((f: { key: string }) => f.key)).toEqual([released]);
      await request(quarantined()).delete('/uploads/files').query({ key: incoming }).set(as(token)).expect(403);
      await services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: incoming }));
    });
  });

  describe('switches', () => {
    const token = () => services.token('auth0|files-switch');
    const key = () => `${ownerPrefix('uploads/', 'auth0|files-switch')}x.png`;

    it.each<[string, DirectUploadOptions['files']]>([
      ['false', false],
      ['every route off', { download: false, list: false, delete: false }],
    ])('files: %s leaves the paths to the host app (its 404)', async (_, files) => {
      const off = services.app({ files });
      const t = await token();
      await request(off).get('/uploads/files').set(as(t)).expect(404);
      await request(off).get('/uploads/files/url').query({ key: key() }).set(as(t)).expect(404);
      await request(off).delete('/uploads/files').query({ key: key() }).set(as(t)).expect(404);
    });

    it('list off, delete on: GET /uploads/files is a 405 that allows DELETE', async () => {
      const partial = services.app({ files: { list: false } });
      const res = await request(partial).get('/uploads/files').set(as(await token())).expect(405);
      expect(res.headers.allow).toBe('DELETE');
      await request(partial).delete('/uploads/files').query({ key: key() }).set(as(await token())).expect(204);
    });

    it('delete off, list on: DELETE is a 405 that allows GET; download off leaves /files/url alone', async () => {
      const partial = services.app({ files: { delete: false, download: false } });
      const res = await request(partial).delete('/uploads/files').query({ key: key() }).set(as(await token())).expect(405);
      expect(res.headers.allow).toBe('GET');
      await request(partial).get('/uploads/files').set(as(await token())).expect(200);
      await request(partial).get('/uploads/files/url').query({ key: key() }).set(as(await token())).expect(404);
    });

    it('POST on a file route is a 405 with Allow', async () => {
      const res = await request(app).post('/uploads/files/url').set(as(await token())).expect(405);
      expect(res.headers.allow).toBe('GET');
      expect((await request(app).post('/uploads/files').set(as(await token())).expect(405)).headers.allow).toBe('GET, DELETE');
    });

    it('downloadExpiresIn sets the URL lifetime', async () => {
      const t = await token();
      const shortLived = services.app({ files: { downloadExpiresIn: 5 } });
      const k = await upload(shortLived, t, 'x.png', bytes(4));
      const res = await request(shortLived).get('/uploads/files/url').query({ key: k }).set(as(t)).expect(200);
      expect(new URL(res.body.url).searchParams.get('X-Amz-Expires')).toBe('5');
    });
  });
});

describeWithRgw('the owner\'s files against a verifying S3 (Ceph RGW)', (rgw) => {
  let services: UploadServices;
  let app: Express;
  let alice: string;
  let bob: string;
  const body = bytes(1500, 11);
  let key: string;

  beforeAll(async () => {
    services = await startUploadServices('files-rgw', rgw);
    app = services.app();
    [alice, bob] = await Promise.all([services.token('auth0|rgw-alice'), services.token('auth0|rgw-bob')]);
    key = await upload(app, alice, 'naïve café.png', body);
  }, 60_000);
  afterAll(async () => services?.stop());

  it('download: the owner gets a URL RGW serves with the exact bytes; another user gets 403', async () => {
    const res = await request(app).get('/uploads/files/url').query({ key }).set(as(alice)).expect(200);
    const got = await fetch(res.body.url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(body)).toBe(true);

    const denied = await request(app).get('/uploads/files/url').query({ key }).set(as(bob)).expect(403);
    expect(denied.body).toMatchObject({ code: 'forbidden', status: 403 });
  });

  it('download=1: RGW answers Content-Disposition with the original UTF-8 name; the disposition is signed', async () => {
    const res = await request(app).get('/uploads/files/url').query({ key, download: '1' }).set(as(alice)).expect(200);
    const got = await fetch(res.body.url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="na_ve caf_.png"; filename*=UTF-8''${encodeURIComponent('naïve café.png')}`);
    // Another name in the query string breaks the signature.
    const tampered = new URL(res.body.url);
    tampered.searchParams.set('response-content-disposition', 'attachment; filename="evil.exe"');
    expect((await fetch(tampered)).status).toBe(403);
  });

  it('download: a URL for another key, or past its expiry, is refused by RGW (403)', async () => {
    const res = await request(app).get('/uploads/files/url').query({ key }).set(as(alice)).expect(200);
    const other = new URL(res.body.url);
    other.pathname = other.pathname.replace(/[^/]+$/, 'other.png');
    expect((await fetch(other)).status).toBe(403);
    const past = new Date(Date.now() - 120_000);
    const expired = await request(services.app({ clock: () => past })).get('/uploads/files/url').query({ key }).set(as(alice)).expect(200);
    expect((await fetch(expired.body.url)).status).toBe(403);
  });

  it('download: a missing key of the owner is a 404', async () => {
    const missing = `${ownerPrefix('uploads/', 'auth0|rgw-alice')}nothing.png`;
    expect((await request(app).get('/uploads/files/url').query({ key: missing }).set(as(alice)).expect(404)).body.code).toBe('not_found');
  });

  it('list: the owner sees the file with its name and type; another user sees none of it, and cannot continue from its cursor', async () => {
    const mine = await request(app).get('/uploads/files').set(as(alice)).expect(200);
    expect(mine.body.files).toEqual([expect.objectContaining({ key, size: body.length, contentType: 'image/png', filename: 'naïve café.png' })]);
    const theirs = await request(app).get('/uploads/files').set(as(bob)).expect(200);
    expect(theirs.body).toEqual({ files: [], nextCursor: null });
    const forged = Buffer.from(key).toString('base64url');
    expect((await request(app).get('/uploads/files').query({ cursor: forged }).set(as(bob)).expect(403)).body.code).toBe('forbidden');
  });

  it('list: pages of 2 over 5 files cover each once', async () => {
    const token = await services.token('auth0|rgw-pager');
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push(await upload(app, token, `f${i}.png`, bytes(10 + i)));
    const { keys: listed, sizes } = await listAll(app, token, 2);
    expect(sizes).toEqual([2, 2, 1]);
    expect(listed).toEqual([...keys].sort());
  });

  it('with quarantine: before complete, the upload is not listed and its incoming key is 403 for download and delete; after, the released key is served', async () => {
    const q = services.app({ quarantine: true });
    const token = await services.token('auth0|rgw-quarantine');
    const sent = bytes(700, 5);
    const presigned = await request(q).post('/uploads').set(as(token)).send({ filename: 'scanned later.png', contentType: 'image/png', size: sent.length }).expect(200);
    const incoming: string = presigned.body.key;
    expect(incoming.startsWith(`incoming/${ownerPrefix('uploads/', 'auth0|rgw-quarantine')}`)).toBe(true);
    // The filename travels as a signed header, covered by the digest complete checks.
    expect(presigned.body.headers).toMatchObject({ 'x-amz-meta-filename': 'scanned%20later.png', 'x-amz-meta-declared-headers': expect.stringMatching(/^[\w-]{43}$/) });
    expect((await fetch(presigned.body.url, { method: 'PUT', headers: presigned.body.headers, body: new Uint8Array(sent) })).status).toBe(200);

    // Unscanned: nothing listed, no download URL, no delete (and the object stays where it landed).
    expect((await request(q).get('/uploads/files').set(as(token)).expect(200)).body).toEqual({ files: [], nextCursor: null });
    expect((await request(q).get('/uploads/files/url').query({ key: incoming }).set(as(token)).expect(403)).body.detail).toMatch(/quarantine/);
    await request(q).delete('/uploads/files').query({ key: incoming }).set(as(token)).expect(403);
    await services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: incoming }));

    const done = await request(q).post('/uploads/complete').set(as(token)).send({ key: incoming }).expect(200);
    const released: string = done.body.key;
    expect(released).toBe(incoming.slice('incoming/'.length));
    const listed = await request(q).get('/uploads/files').set(as(token)).expect(200);
    expect(listed.body.files).toEqual([expect.objectContaining({ key: released, size: sent.length, filename: 'scanned later.png' })]);
    const url = await request(q).get('/uploads/files/url').query({ key: released, download: 1 }).set(as(token)).expect(200);
    const got = await fetch(url.body.url);
    expect(Buffer.from(await got.arrayBuffer()).equals(sent)).toBe(true);
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="scanned later.png"/);
    await request(q).get('/uploads/files/url').query({ key: incoming }).set(as(token)).expect(403);
    await request(q).delete('/uploads/files').query({ key: released }).set(as(token)).expect(204);
    expect((await request(q).get('/uploads/files').set(as(token)).expect(200)).body.files).toEqual([]);
  });

  it('delete: another user gets 403 and the object stays; the owner gets 204, twice, and it is gone', async () => {
    const doomed = await upload(app, alice, 'doomed.png', bytes(12));
    const denied = await request(app).delete('/uploads/files').query({ key: doomed }).set(as(bob)).expect(403);
    expect(denied.body.code).toBe('forbidden');
    await services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: doomed }));
    await request(app).delete('/uploads/files').query({ key: doomed }).set(as(alice)).expect(204);
    await request(app).delete('/uploads/files').query({ key: doomed }).set(as(alice)).expect(204);
    await expect(services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: doomed }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});
