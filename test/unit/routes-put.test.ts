// The single-PUT routes (POST and GET /uploads) on a recording signer: what is signed, what the client is told, what is refused.
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { BUCKET, expectProblem, fakeApp, folderOf, MiB, SCOPE_HEADER, SUB_HEADER } from '../support/fake-deps';

const GiB = 1024 * MiB;
const alice = folderOf('auth0|alice');

describe('POST /uploads: one presigned PUT', () => {
  it('signs the key, type and length it returns, for expiresIn seconds from the clock; no bucket call', async () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const { app, signer, bucket } = fakeApp({ expiresIn: 120, clock: () => now });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'auth0|alice').send({ filename: 'holiday.JPG', contentType: 'image/jpeg', size: 4321 }).expect(200);

    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
    expect(res.body.key).toMatch(new RegExp(`^${alice}[0-9a-f-]{36}\\.jpg$`));
    expect(res.body).toEqual({
      method: 'PUT',
      url: `https://s3.test/${BUCKET}/${res.body.key}?call=1`,
      key: res.body.key,
      headers: { 'Content-Type': 'image/jpeg', 'x-amz-acl': 'private', 'If-None-Match': '*' },
      size: 4321,
      expiresAt: '2026-11-25T12:02:00.000Z',
    });
    // Strict: no header is signed with an undefined value (e.g. a Content-MD5 or checksum the client did not send).
    expect(signer.calls).toStrictEqual([
      { method: 'PUT', key: res.body.key, headers: { 'content-type': 'image/jpeg', 'x-amz-acl': 'private', 'if-none-match': '*', 'content-length': '4321' }, expiresIn: 120, signingDate: now },
    ]);
    expect(bucket.calls).toEqual([]);
  });

  it('gives every upload a fresh key in the same caller folder, and another caller another folder', async () => {
    const { app } = fakeApp();
    const ask = (sub: string) => request(app).post('/uploads').set(SUB_HEADER, sub).send({ contentType: 'image/png', size: 1 }).expect(200);
    const [a1, a2, b] = [await ask('auth0|alice'), await ask('auth0|alice'), await ask('auth0|bob')];
    expect(a1.body.key).not.toBe(a2.body.key);
    expect(a1.body.key.startsWith(alice)).toBe(true);
    expect(a2.body.key.startsWith(alice)).toBe(true);
    expect(b.body.key.startsWith(folderOf('auth0|bob'))).toBe(true);
    // Without a filename the extension comes from the content type.
    expect(a1.body.key).toMatch(/\.png$/);
  });

  it('keeps no extension for a type it does not know and a filename without one', async () => {
    const { app } = fakeApp({ allowedContentTypes: ['application/x-thing'] });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ filename: 'README', contentType: 'application/x-thing', size: 5 }).expect(200);
    expect(res.body.key).toMatch(new RegExp(`^${folderOf('u')}[0-9a-f-]{36}$`));
  });

  it('accepts exactly maxFileSize bytes and refuses one more with 413, signing nothing', async () => {
    const { app, signer } = fakeApp({ maxFileSize: 1000 });
    await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1000 }).expect(200);
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1001 });
    expect(expectProblem(res, 413, 'file_too_large').detail).toBe('The file is 1001 bytes; the limit is 1000 bytes.');
    expect(signer.calls).toHaveLength(1);
  });

  it('accepts exactly minFileSize bytes and refuses one fewer with 400 on size', async () => {
    const { app } = fakeApp({ minFileSize: 10 });
    await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 10 }).expect(200);
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 9 });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([{ field: 'size', detail: 'size must be at least 10' }]);
  });

  it('with multipart off, signs one PUT of exactly 5 GiB and answers 413 above it', async () => {
    const { app, signer, bucket } = fakeApp({ multipart: false, maxFileSize: 5 * GiB });
    const ok = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 5 * GiB }).expect(200);
    expect(ok.body.method).toBe('PUT');
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 5 * GiB + 1 });
    expectProblem(res, 413, 'file_too_large');
    expect(signer.calls).toHaveLength(1);
    expect(bucket.calls).toEqual([]);
  });

  it('signs Content-MD5 and tells the client to send it', async () => {
    const { app, signer } = fakeApp();
    const md5 = '1B2M2Y8AsgTpgAmY7PhCfg==';
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 3, contentMD5: md5 }).expect(200);
    expect(res.body.headers).toEqual({ 'Content-Type': 'image/png', 'x-amz-acl': 'private', 'If-None-Match': '*', 'Content-MD5': md5 });
    expect(signer.calls[0].headers).toEqual({ 'content-type': 'image/png', 'x-amz-acl': 'private', 'if-none-match': '*', 'content-length': '3', 'content-md5': md5 });
  });

  it('signs Content-Disposition with an ASCII fallback and the UTF-8 name, the ACL, and the digest of the signed headers, when those options are on', async () => {
    const { app, signer } = fakeApp({ contentDisposition: true, acl: 'public-read' });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ filename: 'C:\\photos\\Été "1"%.png', contentType: 'image/png', size: 3 }).expect(200);
    const disposition = `attachment; filename="_t_ _1__.png"; filename*=UTF-8''${encodeURIComponent('Été "1"%.png')}`;
    const digest = expect.stringMatching(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.headers).toEqual({ 'Content-Type': 'image/png', 'Content-Disposition': disposition, 'x-amz-acl': 'public-read', 'If-None-Match': '*', 'x-amz-meta-declared-headers': digest });
    expect(signer.calls[0].headers).toEqual({ 'content-type': 'image/png', 'content-disposition': disposition, 'x-amz-acl': 'public-read', 'if-none-match': '*', 'x-amz-meta-declared-headers': digest, 'content-length': '3' });
  });

  it('signs no Content-Disposition without a filename, even when the option is on', async () => {
    const { app, signer } = fakeApp({ contentDisposition: true });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 3 }).expect(200);
    expect(res.body.headers).toEqual({ 'Content-Type': 'image/png', 'x-amz-acl': 'private', 'If-None-Match': '*', 'x-amz-meta-declared-headers': expect.any(String) });
    expect(signer.calls[0].headers).not.toHaveProperty('content-disposition');
  });

  it('signs the client\'s own Content-Type string, parameters and case kept', async () => {
    const { app, signer } = fakeApp({ allowedContentTypes: ['text/plain'] });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'Text/Plain; charset=UTF-8', size: 3 }).expect(200);
    expect(res.body.headers['Content-Type']).toBe('Text/Plain; charset=UTF-8');
    expect(signer.calls[0].headers!['content-type']).toBe('Text/Plain; charset=UTF-8');
    expect(res.body.key).toMatch(/\.txt$/);
  });
});

describe('POST /uploads: refused input', () => {
  it('answers 400 naming every bad field at once', async () => {
    const { app, signer } = fakeApp();
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ filename: 7, size: -1 });
    const body = expectProblem(res, 400, 'invalid_request');
    expect((body.errors as Array<{ field: string }>).map((e) => e.field)).toEqual(['filename', 'contentType', 'size']);
    expect(body.detail).toMatch(/^Invalid or missing: filename, contentType, size\./);
    expect(signer.calls).toEqual([]);
  });

  it.each([
    ['an empty filename', { filename: '' }, 'filename must not be empty'],
    ['a 256-character filename', { filename: `${'a'.repeat(252)}.png` }, 'filename must be at most 255 characters'],
    ['a control character', { filename: 'a\nb.png' }, 'filename must not contain control characters'],
    ['a malformed type', { contentType: 'image' }, 'contentType must be a media type such as "image/jpeg"'],
    ['a fractional size', { size: 1.5 }, 'size must be a whole number of bytes'],
    ['a size as a string', { size: '10' }, 'size must be a whole number of bytes'],
    ['no size', { size: undefined }, 'size is required: the exact file size in bytes'],
    ['a short MD5', { contentMD5: 'abc' }, 'contentMD5 must be the base64 MD5 digest of the file (24 characters)'],
  ])('refuses %s with 400', async (_name, change, detail) => {
    const { app } = fakeApp();
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ filename: 'a.png', contentType: 'image/png', size: 10, ...change });
    expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([{ field: Object.keys(change)[0], detail }]);
  });

  it('accepts a 255-character filename', async () => {
    const { app } = fakeApp();
    await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ filename: `${'a'.repeat(251)}.png`, contentType: 'image/png', size: 10 }).expect(200);
  });

  it('answers 415 for a type outside allowedContentTypes, naming the allowed ones', async () => {
    const { app, signer } = fakeApp({ allowedContentTypes: ['image/png', 'video/*'] });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/jpeg', size: 10 });
    expect(expectProblem(res, 415, 'unsupported_content_type').detail).toBe('Content type "image/jpeg" is not allowed. Allowed: image/png, video/*.');
    expect(signer.calls).toEqual([]);
  });

  it('answers 400 for a body that is not JSON, not an object, or not valid', async () => {
    const { app } = fakeApp();
    expectProblem(await request(app).post('/uploads').set(SUB_HEADER, 'u').type('text/plain').send('{"contentType":"image/png","size":1}'), 400, 'invalid_request');
    expectProblem(await request(app).post('/uploads').set(SUB_HEADER, 'u').send([1, 2]), 400, 'invalid_request');
    expectProblem(await request(app).post('/uploads').set(SUB_HEADER, 'u').type('application/json').send('{"size":'), 400, 'invalid_request');
    expectProblem(await request(app).post('/uploads').set(SUB_HEADER, 'u').type('application/json').send(''), 400, 'invalid_request');
  });

  it('reads an application/*+json body, and refuses other charsets and encodings', async () => {
    const { app } = fakeApp();
    const body = JSON.stringify({ contentType: 'image/png', size: 1 });
    await request(app).post('/uploads').set(SUB_HEADER, 'u').set('Content-Type', 'application/upload+json; charset=utf-8').send(body).expect(200);
    const latin = await request(app).post('/uploads').set(SUB_HEADER, 'u').set('Content-Type', 'application/json; charset=latin1').send(body);
    expect(expectProblem(latin, 400, 'invalid_request').detail).toBe('Send the JSON body in UTF-8.');
    const gzip = await request(app).post('/uploads').set(SUB_HEADER, 'u').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(body);
    expect(expectProblem(gzip, 400, 'invalid_request').detail).toBe('Send the JSON body uncompressed (no Content-Encoding).');
  });

  it('uses a body the host already parsed with its own express.json()', async () => {
    const { app, signer } = fakeApp({}, [express.json()]);
    await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 7 }).expect(200);
    expect(signer.calls[0].headers!['content-length']).toBe('7');
  });

  it('answers 413 and closes the connection when a chunked body (no Content-Length) grows over 16 KiB', async () => {
    const { app, signer } = fakeApp();
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const answer = await new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', path: '/uploads', headers: { 'Content-Type': 'application/json', [SUB_HEADER]: 'u' } },
          (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
          },
        );
        req.on('error', reject);
        req.write(`{"contentType":"image/png","size":1,"pad":"${'x'.repeat(10 * 1024)}`);
        req.end(`${'x'.repeat(10 * 1024)}"}`);
      });
      expect(answer.status).toBe(413);
      expect(answer.connection).toBe('close');
      expect(JSON.parse(answer.body).code).toBe('request_too_large');
      expect(signer.calls).toEqual([]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers 413 request_too_large for a body over 16 KiB, and reads one of exactly 16 KiB', async () => {
    const { app } = fakeApp();
    const sized = (n: number) => {
      const text = JSON.stringify({ contentType: 'image/png', size: 1, pad: '' });
      return text.replace('"pad":""', `"pad":"${'x'.repeat(n - text.length)}"`);
    };
    await request(app).post('/uploads').set(SUB_HEADER, 'u').type('application/json').send(sized(16 * 1024)).expect(200);
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').type('application/json').send(sized(16 * 1024 + 1));
    expect(expectProblem(res, 413, 'request_too_large').detail).toBe('The request body is over 16384 bytes: send only the documented fields.');
  });

  it('reads charset=utf8 and a quoted "UTF-8" as UTF-8; an empty body is a request without details, invalid JSON says so', async () => {
    const { app } = fakeApp();
    const body = JSON.stringify({ contentType: 'image/png', size: 1 });
    await request(app).post('/uploads').set(SUB_HEADER, 'u').set('Content-Type', 'application/json; charset=utf8').send(body).expect(200);
    await request(app).post('/uploads').set(SUB_HEADER, 'u').set('Content-Type', 'application/json; charset="UTF-8"').send(body).expect(200);
    const empty = await request(app).post('/uploads').set(SUB_HEADER, 'u').type('application/json').send('');
    expect(expectProblem(empty, 400, 'invalid_request').detail).toMatch(/^Send a JSON object: /);
    const broken = await request(app).post('/uploads').set(SUB_HEADER, 'u').type('application/json').send('{"size":');
    expect(expectProblem(broken, 400, 'invalid_request').detail).toBe('The request body is not valid JSON.');
  });
});

describe('GET /uploads: the AWS sample\'s route', () => {
  it('returns uploadURL, the same as url, from query parameters', async () => {
    const { app, signer } = fakeApp();
    const res = await request(app).get('/uploads?contentType=image/jpeg&filename=a.jpg&size=48213').set(SUB_HEADER, 'u').expect(200);
    expect(res.body).toMatchObject({ method: 'PUT', size: 48213, headers: { 'Content-Type': 'image/jpeg' } });
    expect(res.body.uploadURL).toBe(res.body.url);
    expect(signer.calls[0].headers).toEqual({ 'content-type': 'image/jpeg', 'x-amz-acl': 'private', 'if-none-match': '*', 'content-length': '48213' });
  });

  it('never starts a multipart upload: 413 over 5 GiB even where POST /uploads would, and one PUT of exactly 5 GiB', async () => {
    const { app, signer, bucket } = fakeApp({ maxFileSize: 6 * GiB });
    await request(app).get(`/uploads?contentType=image/png&size=${5 * GiB}`).set(SUB_HEADER, 'u').expect(200);
    const res = await request(app).get(`/uploads?contentType=image/png&size=${5 * GiB + 1}`).set(SUB_HEADER, 'u');
    expect(expectProblem(res, 413, 'file_too_large').detail).toBe('One PUT carries at most 5 GiB; GET /uploads never starts a multipart upload (use POST /uploads).');
    expect(signer.calls).toHaveLength(1);
    expect(bucket.calls).toEqual([]);
  });

  it('refuses a size that is not digits', async () => {
    const { app } = fakeApp();
    for (const size of ['1e3', '-1', '12345678901234567']) {
      const res = await request(app).get(`/uploads?contentType=image/jpeg&size=${size}`).set(SUB_HEADER, 'u');
      expect(expectProblem(res, 400, 'invalid_request').errors).toEqual([{ field: 'size', detail: 'size must be a whole number of bytes' }]);
    }
  });

  it('takes the only allowed type on a bare GET, and signs no length when unsized uploads are allowed', async () => {
    const { app, signer } = fakeApp({ allowedContentTypes: ['image/jpeg'], allowUnsizedUploads: true });
    const res = await request(app).get('/uploads').set(SUB_HEADER, 'u').expect(200);
    expect(res.body.headers).toEqual({ 'Content-Type': 'image/jpeg', 'x-amz-acl': 'private', 'If-None-Match': '*' });
    expect(res.body).not.toHaveProperty('size');
    expect(signer.calls[0].headers).toEqual({ 'content-type': 'image/jpeg', 'x-amz-acl': 'private', 'if-none-match': '*' });
  });

  it('needs a size on a bare GET unless unsized uploads are allowed, and a type unless only one exact type is', async () => {
    const sized = fakeApp({ allowedContentTypes: ['image/jpeg'] });
    expect(expectProblem(await request(sized.app).get('/uploads').set(SUB_HEADER, 'u'), 400, 'invalid_request').errors).toEqual([
      { field: 'size', detail: 'size is required: the exact file size in bytes' },
    ]);
    const wildcard = fakeApp({ allowedContentTypes: ['image/*'], allowUnsizedUploads: true });
    expect(expectProblem(await request(wildcard.app).get('/uploads').set(SUB_HEADER, 'u'), 400, 'invalid_request').errors).toEqual([
      { field: 'contentType', detail: 'contentType is required, e.g. "image/jpeg"' },
    ]);
    // The POST route never guesses: a body without a type is a client bug.
    const post = fakeApp({ allowedContentTypes: ['image/jpeg'], allowUnsizedUploads: true });
    const res = await request(post.app).post('/uploads').set(SUB_HEADER, 'u').send({});
    expect((expectProblem(res, 400, 'invalid_request').errors as Array<{ field: string }>).map((e) => e.field)).toEqual(['contentType', 'size']);
  });
});

describe('who may upload', () => {
  it('answers 401 with a Bearer challenge when the caller has no identity, and signs nothing', async () => {
    const { app, signer } = fakeApp();
    const res = await request(app).post('/uploads').send({ contentType: 'image/png', size: 1 });
    expectProblem(res, 401, 'invalid_token');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(signer.calls).toEqual([]);
  });

  it('answers 401 when owner() returns an empty string', async () => {
    const { app, signer } = fakeApp({ owner: () => '' });
    expectProblem(await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1 }), 401, 'invalid_token');
    expect(signer.calls).toEqual([]);
  });

  it('uses owner() for the folder when given', async () => {
    const { app } = fakeApp({ owner: (req) => `tenant:${req.header(SUB_HEADER)}` });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1 }).expect(200);
    expect(res.body.key.startsWith(folderOf('tenant:u'))).toBe(true);
  });

  it('answers 403 insufficient_scope without a required scope, and signs with it', async () => {
    const { app, signer } = fakeApp({ requiredScopes: ['write:uploads'] });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').set(SCOPE_HEADER, 'read:uploads').send({ contentType: 'image/png', size: 1 });
    expectProblem(res, 403, 'insufficient_scope');
    expect(res.headers['www-authenticate']).toMatch(/insufficient_scope/);
    expect(signer.calls).toEqual([]);
    await request(app).post('/uploads').set(SUB_HEADER, 'u').set(SCOPE_HEADER, 'read:uploads write:uploads').send({ contentType: 'image/png', size: 1 }).expect(200);
  });

  it('runs no authentication with auth: false, and takes the owner from owner()', async () => {
    const { app } = fakeApp({ auth: false, owner: () => 'service' });
    const res = await request(app).post('/uploads').send({ contentType: 'image/png', size: 1 }).expect(200);
    expect(res.body.key.startsWith(folderOf('service'))).toBe(true);
  });
});

describe('the key and metadata hooks', () => {
  it('the key hook is told about the upload, with the extension of its type (not of the filename), and its key is signed', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const { app, signer } = fakeApp({
      key: (ctx) => {
        seen.push({ ...ctx, req: typeof ctx.req.header });
        return `${ctx.ownerPrefix}albums/${ctx.uuid}.${ctx.extension}`;
      },
    });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'auth0|alice').send({ filename: 'x.JPEG', contentType: 'image/jpeg', size: 12 }).expect(200);
    expect(seen).toEqual([
      { owner: 'auth0|alice', ownerPrefix: alice, uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), extension: 'jpg', filename: 'x.JPEG', contentType: 'image/jpeg', size: 12, req: 'function' },
    ]);
    expect(res.body.key).toBe(`${alice}albums/${seen[0].uuid}.jpg`);
    expect(signer.calls[0].key).toBe(res.body.key);
  });

  it.each([
    ['outside the caller\'s folder', () => 'uploads/someone-else/x.png'],
    ['the folder itself', (ctx: { ownerPrefix: string }) => ctx.ownerPrefix],
    ['with a ".." segment', (ctx: { ownerPrefix: string }) => `${ctx.ownerPrefix}../x.png`],
  ])('a key hook returning a key %s is a 500 that names nothing, signs nothing, and reaches onError', async (_name, key) => {
    const { app, signer, errors } = fakeApp({ key });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1 });
    const body = expectProblem(res, 500, 'internal_error');
    expect(body.detail).toBe('The server failed to handle this request.');
    expect(res.text).not.toMatch(/key option|uploads\//);
    expect(signer.calls).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0].status).toBe(500);
    expect(String((errors[0].err as Error).message)).toMatch(/^The key option returned an unusable key: /);
  });

  it('signs metadata (lower-case names, trimmed values) as headers the client sends, with the digest of what was signed', async () => {
    const { app, signer } = fakeApp({ metadata: (ctx) => ({ Owner: ctx.owner, 'album-id': ' 42 ' }) });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1 }).expect(200);
    const digest = expect.stringMatching(/^[A-Za-z0-9_-]{43}$/);
    const signed = { 'x-amz-acl': 'private', 'x-amz-meta-owner': 'u', 'x-amz-meta-album-id': '42', 'x-amz-meta-declared-headers': digest };
    expect(signer.calls[0].headers).toEqual({ 'content-type': 'image/png', ...signed, 'if-none-match': '*', 'content-length': '1' });
    expect(res.body.headers).toEqual({ 'Content-Type': 'image/png', ...signed, 'If-None-Match': '*' });
  });

  it.each([
    ['the reserved name declared-size', { 'Declared-Size': '1' }, /reserved for verification/],
    ['a name with a space', { 'a b': '1' }, /unusable entry "a b"/],
    ['a value outside printable ASCII', { note: 'café' }, /unusable entry "note"/],
  ])('a metadata hook returning %s is a 500 that signs nothing', async (_name, metadata, message) => {
    const { app, signer, errors } = fakeApp({ metadata: () => metadata });
    const res = await request(app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1 });
    expect(expectProblem(res, 500, 'internal_error').detail).toBe('The server failed to handle this request.');
    expect(signer.calls).toEqual([]);
    expect((errors[0].err as Error).message).toMatch(message);
  });
});

describe('routes and methods', () => {
  it.each([
    ['PUT', '/uploads', 'GET, POST'],
    ['DELETE', '/uploads/complete', 'POST'],
    ['GET', '/uploads/multipart', 'POST, DELETE'],
    ['PUT', '/uploads/multipart/parts', 'GET, POST'],
    ['GET', '/uploads/multipart/complete', 'POST'],
  ])('%s %s is a 405 with Allow: %s', async (method, path, allow) => {
    const { app } = fakeApp();
    const res = await request(app)[method.toLowerCase() as 'put' | 'get' | 'delete'](path).set(SUB_HEADER, 'u');
    const body = expectProblem(res, 405, 'method_not_allowed');
    expect(res.headers.allow).toBe(allow);
    expect(body.title).toBe('Method Not Allowed');
    expect(body.instance).toBe(path);
  });

  it('mounts the routes under path, and at the root for "/"', async () => {
    const files = fakeApp({ path: '/files' });
    await request(files.app).post('/files').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1 }).expect(200);
    await request(files.app).post('/uploads').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1 }).expect(404);
    expectProblem(await request(files.app).post('/files/complete').set(SUB_HEADER, 'u').send({}), 400, 'invalid_request');
    const root = fakeApp({ path: '/' });
    await request(root.app).post('/').set(SUB_HEADER, 'u').send({ contentType: 'image/png', size: 1 }).expect(200);
    expectProblem(await request(root.app).post('/complete').set(SUB_HEADER, 'u').send({}), 400, 'invalid_request');
    expectProblem(await request(root.app).post('/multipart/parts').set(SUB_HEADER, 'u').send({}), 400, 'invalid_request');
  });

  it('mounts no multipart routes when multipart is off', async () => {
    const { app } = fakeApp({ multipart: false });
    for (const path of ['/uploads/multipart', '/uploads/multipart/parts', '/uploads/multipart/complete']) {
      await request(app).post(path).set(SUB_HEADER, 'u').send({}).expect(404);
    }
  });
});
