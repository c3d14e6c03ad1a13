// Presigned POST uploads against a verifying S3 (Ceph RGW): S3 itself enforces the policy's key, Content-Type, size range and expiry.
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import request from 'supertest';
import type { DirectUploadOptions } from '../../middleware';
import { describeWithRgw } from '../support/rgw';
import { startUploadServices, type UploadServices } from '../support/upload-services';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytes = (n: number, seed = 7) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) % 256));
const errorCode = (xml: string) => /<Code>([^<]+)<\/Code>/.exec(xml)?.[1] ?? '';

interface PostAnswer {
  method: 'POST';
  url: string;
  fields: Record<string, string>;
  key: string;
  size?: number;
  expiresAt: string;
}

/** Sends the form as a browser does: every field in order, then the file last. */
async function postForm(answer: Pick<PostAnswer, 'url' | 'fields'>, body: Buffer, type: string, change: Record<string, string> = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...answer.fields, ...change })) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(body)], { type }), 'upload.bin');
  const res = await fetch(answer.url, { method: 'POST', body: form });
  const text = await res.text();
  return { status: res.status, code: errorCode(text), text };
}

describeWithRgw('presigned POST against a verifying S3 (Ceph RGW)', (rgw) => {
  let services: UploadServices;
  let token: string;

  beforeAll(async () => {
    services = await startUploadServices('post', rgw);
    token = await services.token('auth0|poster');
  });
  afterAll(async () => {
    await services?.stop();
  });

  /** POST /uploads with `method: 'POST'` on an app built with `overrides`. */
  async function authorise(body: Record<string, unknown>, overrides: Partial<DirectUploadOptions> = {}) {
    return request(services.app(overrides)).post('/uploads').set('Authorization', `Bearer ${token}`).send({ method: 'POST', ...body });
  }

  async function stored(key: string) {
    const head = await services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: key }));
    const object = await services.client.send(new GetObjectCommand({ Bucket: services.bucket, Key: key }));
    return { head, bytes: Buffer.from(await object.Body!.transformToByteArray()) };
  }

  it('a correct POST stores the bytes under the server\'s key, and POST /uploads/complete verifies them', async () => {
    const file = bytes(4321);
    const res = await authorise({ filename: 'photo.png', contentType: 'image/png', size: file.length });
    expect(res.status).toBe(200);
    const answer = res.body as PostAnswer;
    expect(answer).toMatchObject({ method: 'POST', size: file.length, url: `${rgw.endpoint}/${services.bucket}` });
    expect(answer.key).toMatch(/^uploads\/[0-9a-f]{32}\/[0-9a-f-]{36}\.png$/);
    expect(answer.fields).toMatchObject({ key: answer.key, 'Content-Type': 'image/png' });
    const policy = JSON.parse(Buffer.from(answer.fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toContainEqual(['content-length-range', file.length, file.length]);

    const sent = await postForm(answer, file, 'image/png');
    expect({ status: sent.status, code: sent.code }).toEqual({ status: 204, code: '' });
    const object = await stored(answer.key);
    expect(object.head.ContentType).toBe('image/png');
    expect(sha256(object.bytes)).toBe(sha256(file));

    const complete = await request(services.app()).post('/uploads/complete').set('Authorization', `Bearer ${token}`).send({ key: answer.key, size: file.length });
    expect(complete.status).toBe(200);
    expect(complete.body).toMatchObject({ key: answer.key, size: file.length, contentType: 'image/png' });
  });

  it('over the declared size, or over maxFileSize when none was declared: 400 EntityTooLarge from S3', async () => {
    const declared = (await authorise({ contentType: 'image/png', size: 100 })).body as PostAnswer;
    expect(await postForm(declared, bytes(101), 'image/png')).toMatchObject({ status: 400, code: 'EntityTooLarge' });

    // uploadMethod: 'POST' makes POST the default; without a size the policy allows 1..maxFileSize.
    const res = await request(services.app({ uploadMethod: 'POST', maxFileSize: 1000 }))
      .get('/uploads?contentType=image/png')
      .set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    const unsized = res.body as PostAnswer;
    expect(unsized.method).toBe('POST');
    expect(unsized.size).toBeUndefined();
    expect(JSON.parse(Buffer.from(unsized.fields.Policy, 'base64').toString('utf8')).conditions).toContainEqual(['content-length-range', 1, 1000]);
    expect(await postForm(unsized, bytes(1001), 'image/png')).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect(await postForm(unsized, bytes(1000), 'image/png')).toMatchObject({ status: 204 });
    expect((await stored(unsized.key)).head.ContentLength).toBe(1000);
  });

  it('another Content-Type: 403', async () => {
    const answer = (await authorise({ contentType: 'image/png', size: 50 })).body as PostAnswer;
    const sent = await postForm(answer, bytes(50), 'text/html', { 'Content-Type': 'text/html' });
    expect(sent.status).toBe(403);
    await expect(services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: answer.key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('another key: 403, nothing stored there', async () => {
    const answer = (await authorise({ contentType: 'image/png', size: 50 })).body as PostAnswer;
    const otherKey = answer.key.replace(/[^/]+$/, 'elsewhere.png');
    expect((await postForm(answer, bytes(50), 'image/png', { key: otherKey })).status).toBe(403);
    await expect(services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: otherKey }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('an expired policy: 403', async () => {
    // Signed 10 minutes ago for 60 seconds: expired 9 minutes ago.
    const clock = () => new Date(Date.now() - 10 * 60_000);
    const answer = (await authorise({ contentType: 'image/png', size: 50 }, { clock, expiresIn: 60 })).body as PostAnswer;
    expect(new Date(answer.expiresAt).getTime()).toBeLessThan(Date.now());
    expect((await postForm(answer, bytes(50), 'image/png')).status).toBe(403);
  });

  it('a tampered signature: 403', async () => {
    const answer = (await authorise({ contentType: 'image/png', size: 50 })).body as PostAnswer;
    const signature = answer.fields['X-Amz-Signature'];
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    expect((await postForm(answer, bytes(50), 'image/png', { 'X-Amz-Signature': flipped })).status).toBe(403);
  });

  it('pins what a PUT would sign: public-read ACL, metadata and Content-Disposition; the ACL and metadata are stored', async () => {
    const overrides: Partial<DirectUploadOptions> = { acl: 'public-read', contentDisposition: true, metadata: (ctx) => ({ album: 'summer', owner: ctx.owner.replace('|', '-') }) };
    const file = bytes(300, 3);
    const answer = (await authorise({ filename: 'Résumé.png', contentType: 'image/png', size: file.length }, overrides)).body as PostAnswer;
    expect(answer.fields).toMatchObject({ acl: 'public-read', 'x-amz-meta-album': 'summer', 'Content-Disposition': expect.stringContaining("filename*=UTF-8''R%C3%A9sum%C3%A9.png") });
    // A form that drops the ACL, or changes metadata, no longer matches the policy.
    const withoutAcl = Object.fromEntries(Object.entries(answer.fields).filter(([name]) => name !== 'acl'));
    expect((await postForm({ url: answer.url, fields: withoutAcl }, file, 'image/png')).status).toBe(403);
    expect((await postForm(answer, file, 'image/png', { 'x-amz-meta-album': 'winter' })).status).toBe(403);
    expect((await postForm(answer, file, 'image/png', { 'Content-Disposition': 'inline' })).status).toBe(403);

    expect((await postForm(answer, file, 'image/png')).status).toBe(204);
    const object = await stored(answer.key);
    // The owner's file routes are on (their default), so the original name is stored too, inside the digest.
    expect(object.head.Metadata).toEqual({ album: 'summer', owner: 'auth0-poster', filename: answer.fields['x-amz-meta-filename'], 'declared-headers': answer.fields['x-amz-meta-declared-headers'] });
    expect(answer.fields['x-amz-meta-filename']).toBe('R%C3%A9sum%C3%A9.png');
    // AWS stores a form's Content-Disposition; RGW 16 checks it against the policy but does not store it.
    expect([answer.fields['Content-Disposition'], undefined]).toContain(object.head.ContentDisposition);
    const anonymous = await fetch(`${rgw.endpoint}/${services.bucket}/${answer.key}`);
    expect(anonymous.status).toBe(200);
    expect(sha256(new Uint8Array(await anonymous.arrayBuffer()))).toBe(sha256(file));
  });

  it('carries main\'s stored-object rules: x-amz-acl private pinned, metadata with its digest, extension from the type; complete accepts it', async () => {
    const overrides: Partial<DirectUploadOptions> = { metadata: () => ({ album: 'autumn' }) };
    const file = bytes(640, 5);
    // The filename says .html; the key's extension comes from the type S3 enforces.
    const answer = (await authorise({ filename: 'page.html', contentType: 'image/png', size: file.length }, overrides)).body as PostAnswer;
    expect(answer.key).toMatch(/\.png$/);
    expect(answer.fields).toMatchObject({ acl: 'private', 'x-amz-meta-album': 'autumn', 'x-amz-meta-declared-headers': expect.stringMatching(/^[\w-]{43}$/) });
    const conditions = JSON.parse(Buffer.from(answer.fields.Policy, 'base64').toString('utf8')).conditions;
    expect(conditions).toContainEqual({ acl: 'private' });
    expect(conditions).toContainEqual({ 'x-amz-meta-declared-headers': answer.fields['x-amz-meta-declared-headers'] });
    // A URL holder cannot make the object public, nor drop the digest complete checks.
    expect((await postForm(answer, file, 'image/png', { acl: 'public-read' })).status).toBe(403);
    const withoutDigest = Object.fromEntries(Object.entries(answer.fields).filter(([name]) => name !== 'x-amz-meta-declared-headers'));
    expect((await postForm({ url: answer.url, fields: withoutDigest }, file, 'image/png')).status).toBe(403);

    expect((await postForm(answer, file, 'image/png')).status).toBe(204);
    const complete = await request(services.app(overrides)).post('/uploads/complete').set('Authorization', `Bearer ${token}`).send({ key: answer.key, size: file.length });
    expect(complete.status).toBe(200);
    const anonymous = await fetch(`${rgw.endpoint}/${services.bucket}/${answer.key}`);
    expect(anonymous.status).toBe(403);
  });

  it('a script-capable type (listed exactly) is pinned as an attachment; complete keeps it only if S3 stored it so', async () => {
    const overrides: Partial<DirectUploadOptions> = { allowedContentTypes: ['image/png', 'image/svg+xml'] };
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
    const answer = (await authorise({ filename: 'logo.svg', contentType: 'image/svg+xml', size: svg.length }, overrides)).body as PostAnswer;
    expect(answer.key).toMatch(/\.svg$/);
    expect(answer.fields['Content-Disposition']).toBe('attachment');
    expect((await postForm(answer, svg, 'image/svg+xml', { 'Content-Disposition': 'inline' })).status).toBe(403);
    expect((await postForm(answer, svg, 'image/svg+xml')).status).toBe(204);

    const storedDisposition = (await stored(answer.key)).head.ContentDisposition;
    const complete = await request(services.app(overrides)).post('/uploads/complete').set('Authorization', `Bearer ${token}`).send({ key: answer.key });
    if (storedDisposition === 'attachment') {
      // AWS stores the form's Content-Disposition.
      expect(complete.status).toBe(200);
    } else {
      // Ceph RGW 16 does not store it: complete refuses the object and deletes it, so an inline SVG is never served.
      expect(complete.body).toMatchObject({ status: 409, code: 'upload_mismatch', detail: expect.stringContaining('attachment') });
      await expect(services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: answer.key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    }
  });

  it('quarantine: the policy names the incoming key, and complete releases the object to its final key', async () => {
    const overrides: Partial<DirectUploadOptions> = { quarantine: true };
    const file = bytes(222, 9);
    const answer = (await authorise({ contentType: 'image/png', size: file.length }, overrides)).body as PostAnswer;
    expect(answer.key).toMatch(/^incoming\/uploads\/[0-9a-f]{32}\/[0-9a-f-]{36}\.png$/);
    expect(answer.fields.key).toBe(answer.key);
    const finalKey = answer.key.slice('incoming/'.length);
    expect((await postForm(answer, file, 'image/png', { key: finalKey })).status).toBe(403);
    expect((await postForm(answer, file, 'image/png')).status).toBe(204);

    const complete = await request(services.app(overrides)).post('/uploads/complete').set('Authorization', `Bearer ${token}`).send({ key: answer.key });
    expect(complete.status).toBe(200);
    expect(complete.body).toMatchObject({ key: finalKey, size: file.length });
    expect(sha256((await stored(finalKey)).bytes)).toBe(sha256(file));
    await expect(services.client.send(new HeadObjectCommand({ Bucket: services.bucket, Key: answer.key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('no If-None-Match in a form: until the policy expires, posting the form again replaces the object (documented)', async () => {
    const first = bytes(90, 1);
    const second = bytes(90, 2);
    const answer = (await authorise({ contentType: 'image/png', size: first.length })).body as PostAnswer;
    expect((await postForm(answer, first, 'image/png')).status).toBe(204);
    expect((await request(services.app()).post('/uploads/complete').set('Authorization', `Bearer ${token}`).send({ key: answer.key })).status).toBe(200);
    // Same size and type, so the policy allows it: what bounds this is the policy's expiry (README, "Overwriting").
    expect((await postForm(answer, second, 'image/png')).status).toBe(204);
    expect(sha256((await stored(answer.key)).bytes)).toBe(sha256(second));
  });

  it('the checksum option: method POST is a 400 naming method, and uploadMethod POST with checksum refuses to start', async () => {
    const res = await authorise({ contentType: 'image/png', size: 5, checksum: 'A'.repeat(43) + '=' }, { checksum: 'SHA256' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errors: [{ field: 'method', detail: expect.stringContaining('checksum') }] });
    expect(() => services.app({ uploadMethod: 'POST', checksum: 'SHA256' })).toThrow(/uploadMethod "POST" cannot carry the checksum/);
  });

  it('the route refuses what it cannot sign: an unknown method (400), contentMD5 with POST (400), a disallowed type (415), too large (413)', async () => {
    expect((await authorise({ method: 'PATCH', contentType: 'image/png', size: 5 })).body).toMatchObject({ status: 400, errors: [{ field: 'method' }] });
    expect((await authorise({ contentType: 'image/png', size: 5, contentMD5: 'XUFAKrxLKna5cZ2REBfFkg==' })).body).toMatchObject({ status: 400, errors: [{ field: 'contentMD5' }] });
    expect((await authorise({ contentType: 'text/html', size: 5 })).status).toBe(415);
    expect((await authorise({ contentType: 'image/png', size: 11 * 1024 * 1024 })).status).toBe(413);
  });
});
