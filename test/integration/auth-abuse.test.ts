// Hostile callers on the authentication edge: injected header text, no token, a malformed header, a token in the URL.
import request from 'supertest';
import { startUploadServices, TEST_AUDIENCE, type UploadServices } from '../support/upload-services';

let services: UploadServices;
beforeAll(async () => {
  services = await startUploadServices('auth-abuse');
});
afterAll(async () => services?.stop());

const upload = { filename: 'a.jpg', contentType: 'image/jpeg', size: 10 };
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function expectProblem(res: request.Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.status).toBe(status);
  expect(typeof res.body.detail).toBe('string');
  expect(res.body.detail.length).toBeGreaterThan(0);
}

describe('a token header that carries text for WWW-Authenticate', () => {
  const now = Math.floor(Date.now() / 1000);
  it.each([
    ['alg with CR/LF', { alg: 'RS256\r\nX-Injected: 1', typ: 'JWT' }],
    ['alg with non-Latin-1 text', { alg: 'RS256 \u2603 \u{1F600}', typ: 'JWT' }],
    ['crit with CR/LF', { alg: 'RS256', typ: 'JWT', crit: ['b64\r\nX-Injected: 1'], 'b64\r\nX-Injected: 1': true }],
    ['crit with non-Latin-1 text', { alg: 'RS256', typ: 'JWT', crit: ['\u0100\u2028'], '\u0100\u2028': true }],
  ])('%s is a 401 problem whose challenge holds no injected header', async (_, header) => {
    const payload = b64url({ sub: 'auth0|alice', aud: TEST_AUDIENCE, iss: services.issuer.url, iat: now, exp: now + 600 });
    const logged: unknown[] = [];
    const app = services.app({ onError: (err, status) => status >= 500 && logged.push(err) });
    const res = await request(app).post('/uploads').set('Authorization', `Bearer ${b64url(header)}.${payload}.c2ln`).send(upload);
    expectProblem(res, 401);
    expect(res.headers['x-injected']).toBeUndefined();
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
    expect(res.headers['www-authenticate']).toMatch(/^[\x20-\x7e]*$/);
    expect(logged).toEqual([]);
  });
});

describe('no token, or a malformed Authorization header', () => {
  it('no token: 401 with a bare challenge (RFC 6750 §3.1) and a detail that says how to authenticate', async () => {
    const res = await request(services.app()).post('/uploads').send(upload);
    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api"/);
    expect(res.headers['www-authenticate']).not.toMatch(/error=/);
    expect(res.body.detail).toBe('Send an access token in the Authorization header: Authorization: Bearer <token>.');
  });

  it.each([['Bearer'], ['Bearer a b'], ['Basic a b c'], ['Bearer  two-spaces']])('"%s" is a 400 whose detail says what is wrong', async (authorization) => {
    const res = await request(services.app()).post('/uploads').set('Authorization', authorization).send(upload);
    expectProblem(res, 400);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.detail).toMatch(/Authorization: Bearer <token>/);
  });
});

describe('a token in the URL', () => {
  it('GET /uploads?access_token=... is refused with 400, even with a valid token', async () => {
    const token = await services.token();
    const res = await request(services.app()).get('/uploads').query({ contentType: 'image/jpeg', size: 10, access_token: token });
    expectProblem(res, 400);
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.detail).toMatch(/Authorization header/);
  });

  it('access_token in the query is refused even alongside a valid Authorization header', async () => {
    const token = await services.token();
    const res = await request(services.app()).get('/uploads').query({ contentType: 'image/jpeg', size: 10, access_token: 'x' }).set('Authorization', `Bearer ${token}`);
    expectProblem(res, 400);
    expect(res.body.detail).not.toContain(token);
  });

  it('POST /uploads?access_token=... is refused with 400 too: a POST is checked whenever its URL has a query string', async () => {
    const token = await services.token();
    const res = await request(services.app())
      .post('/uploads?access_token=x')
      .set('Authorization', `Bearer ${token}`)
      .send({ filename: 'a.jpg', contentType: 'image/jpeg', size: 10 });
    expectProblem(res, 400);
    expect(res.body.detail).toMatch(/Authorization header/);
  });
});
