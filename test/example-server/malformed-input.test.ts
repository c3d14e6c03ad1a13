// Malformed input to the example-server's own routes (dev login, page, health, static files) gets a 4xx problem+json, never a 500.
import express from 'express';
import request from 'supertest';
import { createApp } from '../../example-server/app';
import { EMBEDDED_AUDIENCE } from '../../example-server/config';
import { fromExpressError } from '../../example-server/http-errors';
import { startDevIssuer, type DevIssuer } from '../../dev/issuer';
import { sendProblem } from '../../middleware';
import { toDirectUploadError } from '../../middleware/http/problem';

describe('example-server: malformed input', () => {
  let issuer: DevIssuer;
  let app: express.Express;
  let logged: jest.SpyInstance;

  beforeAll(async () => {
    issuer = await startDevIssuer({ audience: EMBEDDED_AUDIENCE });
    ({ app } = await createApp({
      bucket: 'direct-upload-dev',
      s3: { region: 'us-east-1', endpoint: 'http://127.0.0.1:4568', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
      keyPrefix: 'uploads/',
      publicRead: false,
      policy: {},
      identity: { kind: 'dev', issuer },
    }));
  });
  afterAll(async () => {
    await issuer.stop();
  });
  // The example logs every 5xx with its stack: a malformed request must leave no such line.
  beforeEach(() => {
    logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    const lines = logged.mock.calls.map((args) => args.map(String).join(' '));
    logged.mockRestore();
    expect(lines).toEqual([]);
  });

  function expectProblem(res: request.Response, status: number, code: string): void {
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/) });
    expect(res.body).toMatchObject({ status, code, detail: expect.any(String) });
    expect(res.body.detail).not.toBe('');
  }

  describe('POST /dev-login', () => {
    const login = (body: string | Buffer, headers: Record<string, string>) => {
      let req = request(app).post('/dev-login');
      for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
      return req.send(body);
    };
    const JSON_TYPE = { 'Content-Type': 'application/json' };

    it.each([
      ['bad JSON', '{"name": "alice"', JSON_TYPE, /not valid JSON/],
      ['a foreign charset', Buffer.from('{"name":"alice"}', 'utf16le'), { 'Content-Type': 'application/json; charset=utf-16le' }, /UTF-8/],
      ['Content-Encoding: gzip', '{"name":"alice"}', { ...JSON_TYPE, 'Content-Encoding': 'gzip' }, /uncompressed/],
      ['an unknown Content-Encoding', '{"name":"alice"}', { ...JSON_TYPE, 'Content-Encoding': 'x-made-up' }, /uncompressed/],
      ['a form instead of JSON', 'name=alice', { 'Content-Type': 'application/x-www-form-urlencoded' }, /as JSON/],
      ['no Content-Type', '{"name":"alice"}', {}, /as JSON/],
      ['JSON null', 'null', JSON_TYPE, /user name/],
      ['a JSON array', '["alice"]', JSON_TYPE, /user name/],
      ['a number for the name', '{"name":42}', JSON_TYPE, /user name/],
      ['a name with a slash', '{"name":"../alice"}', JSON_TYPE, /user name/],
      ['a name over 64 characters', JSON.stringify({ name: 'a'.repeat(65) }), JSON_TYPE, /user name/],
      ['a name smuggled in through __proto__', '{"__proto__":{"name":"alice"}}', JSON_TYPE, /user name/],
    ])('answers %s with 400 invalid_request and a sentence saying what to send', async (_, body, headers, detail) => {
      const res = await login(body, headers);
      expectProblem(res, 400, 'invalid_request');
      expect(res.body.detail).toMatch(detail);
      expect(res.body).not.toHaveProperty('access_token');
    });

    it('answers an oversized body with 413 request_too_large, whether declared or streamed', async () => {
      const big = JSON.stringify({ name: 'alice', pad: 'x'.repeat(20 * 1024) });
      expectProblem(await login(big, JSON_TYPE), 413, 'request_too_large');
      // Chunked: no Content-Length to refuse up front, so the reader counts as it goes.
      const chunked = await new Promise<request.Response>((resolve, reject) => {
        const req = request(app).post('/dev-login').set('Content-Type', 'application/json').set('Transfer-Encoding', 'chunked');
        req.write(big.slice(0, 10_000));
        req.write(big.slice(10_000));
        req.end((err, res) => (err ? reject(err) : resolve(res)));
      });
      expectProblem(chunked, 413, 'request_too_large');
    });

    it('still signs in a well-formed request, so the refusals above are about the input', async () => {
      const res = await login('{"name":"alice"}', { 'Content-Type': 'application/json; charset=utf-8' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ user: 'alice', token_type: 'Bearer', access_token: expect.stringMatching(/^ey/) });
    });

    it('survives 300 random bodies and content types with 200 or a 4xx problem, never a 5xx', async () => {
      // A fixed seed, so a failure names an input that can be replayed.
      let seed = 0x5eed;
      const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
      const pieces = ['{', '}', '"name"', ':', '"alice"', ',', '[', ']', 'null', '\\u0000', '\u202e', '\ud800', '1e999', ' ', '"', '\\'];
      const types = ['application/json', 'application/json; charset=latin1', 'application/problem+json', 'text/json', 'application/json; charset="utf-8"', ''];
      const seen = new Set<number>();
      for (let i = 0; i < 300; i++) {
        const body = Array.from({ length: 1 + Math.floor(random() * 12) }, () => pick(pieces)).join('');
        const type = pick(types);
        const res = await login(body, type ? { 'Content-Type': type } : {});
        seen.add(res.status);
        if (res.status !== 200) expect({ body, type, status: res.status, problem: res.headers['content-type'] }).toEqual({ body, type, status: expect.any(Number), problem: expect.stringMatching(/^application\/problem\+json/) });
        expect({ body, type, status: res.status < 500 }).toEqual({ body, type, status: true });
      }
      expect(seen.has(400)).toBe(true);
    });
  });

  describe('the page, health and static files', () => {
    it('answers a Range outside a static file with 416 and its Content-Range, not a 500', async () => {
      const res = await request(app).get('/index.html').set('Range', 'bytes=999999-');
      expectProblem(res, 416, 'range_not_satisfiable');
      expect(res.headers['content-range']).toMatch(/^bytes \*\/\d+$/);
    });

    it('answers a failed If-Match on a static file with 412, not a 500', async () => {
      expectProblem(await request(app).get('/app.js').set('If-Match', '"not-this-one"'), 412, 'precondition_failed');
    });

    it.each([
      ['a broken percent-encoding', '/%E0%A4%A'],
      ['an encoded path traversal', '/..%2f..%2fetc/passwd'],
      ['a dot file', '/.env'],
      ['a broken client module name', '/client/%E0.js'],
    ])('answers %s with 404 route_not_found', async (_, path) => {
      expectProblem(await request(app).get(path), 404, 'route_not_found');
    });

    it.each([
      ['POST', '/healthz'],
      ['PUT', '/config.json'],
      ['GET', '/dev-login'],
      ['DELETE', '/'],
    ])('answers %s %s, a method the route does not serve, with 404 route_not_found', async (method, path) => {
      expectProblem(await request(app)[method.toLowerCase() as 'get'](path), 404, 'route_not_found');
    });

    it('ignores a malformed query string on /config.json and /healthz', async () => {
      await request(app).get('/config.json?%ZZ&a[b][c]=1&a=2').expect(200);
      await request(app).get('/healthz?%').expect(200, { status: 'ok' });
    });
  });
});

describe('fromExpressError(): a host route behind express.json() answers like the router', () => {
  // express.json() is body-parser: its errors carry `type` and `status`, which the example maps onto the error family.
  const host = express();
  host.post('/echo', express.json({ limit: '1kb' }), (req, res) => void res.json(req.body));
  host.use(((err, req, res, _next) => sendProblem(res, toDirectUploadError(fromExpressError(err)), req.path)) as express.ErrorRequestHandler);

  it.each([
    ['bad JSON', '{"a":', {}, 400, 'invalid_request', /not valid JSON/],
    ['an oversized body', JSON.stringify({ a: 'x'.repeat(2000) }), {}, 413, 'request_too_large', /too large/],
    ['a foreign charset', '{}', { 'Content-Type': 'application/json; charset=koi8-r' }, 400, 'invalid_request', /UTF-8/],
    ['an unknown Content-Encoding', '{}', { 'Content-Encoding': 'x-made-up' }, 400, 'invalid_request', /uncompressed/],
    ['a gzip header on plain bytes', '{}', { 'Content-Encoding': 'gzip' }, 400, 'invalid_request', /malformed/],
  ])('answers %s as the router would (4xx problem+json)', async (_, body, headers, status, code, detail) => {
    let req = request(host).post('/echo').set('Content-Type', 'application/json');
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    const res = await req.send(body);
    expect({ status: res.status, code: res.body.code, type: res.headers['content-type'] }).toEqual({ status, code, type: expect.stringMatching(/^application\/problem\+json/) });
    expect(res.body.detail).toMatch(detail);
  });

  it('leaves server-side failures alone: a 5xx or a plain Error stays a 500', () => {
    const plain = new Error('boom');
    expect(fromExpressError(plain)).toBe(plain);
    const serverSide = Object.assign(new Error('stream encoding should not be set'), { status: 500, expose: false, type: 'stream.encoding.set' });
    expect(toDirectUploadError(fromExpressError(serverSide)).status).toBe(500);
  });
});
