// The bearer-token step in front of the routes on fakes: real RS256 tokens against a loopback JWKS, a hung provider, HS256, tokens in URLs.
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import request from 'supertest';
import { expectProblem, fakeApp, folderOf } from '../support/fake-deps';

const AUDIENCE = 'https://uploads.test/api';
let server: Server;
let base: string;
let hang = false;
let jwks: unknown;
let jwksFetches = 0;
let key1: KeyLike;
let key2: KeyLike;

beforeAll(async () => {
  const [a, b] = [await generateKeyPair('RS256'), await generateKeyPair('RS256')];
  key1 = a.privateKey;
  key2 = b.privateKey;
  const set = async (...pairs: Array<[KeyLike, string]>) => ({ keys: await Promise.all(pairs.map(async ([k, kid]) => ({ ...(await exportJWK(k)), kid, alg: 'RS256', use: 'sig' }))) });
  jwks = await set([a.publicKey, 'k1']);
  const rotated = await set([a.publicKey, 'k1'], [b.publicKey, 'k2']);
  server = http.createServer((req, res) => {
    if (hang) return;
    jwksFetches++;
    if (req.url === '/rotated.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rotated));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  hang = false;
  jwksFetches = 0;
});

const sign = (key: KeyLike, kid: string, claims: Record<string, unknown> = {}) =>
  new SignJWT({ scope: 'write:uploads', ...claims }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer('https://issuer.test/').setAudience(AUDIENCE).setSubject('auth0|alice').setIssuedAt().setExpirationTime('5m').sign(key);
const jwtApp = (jwksPath = '/jwks.json', overrides: Parameters<typeof fakeApp>[0] = {}) =>
  fakeApp({ auth: { issuer: 'https://issuer.test/', jwksUri: `${base}${jwksPath}`, audience: AUDIENCE }, ...overrides });
const presign = (app: ReturnType<typeof fakeApp>['app'], authorization?: string, path = '/uploads') => {
  const req = request(app).post(path).send({ contentType: 'image/png', size: 1 });
  return authorization === undefined ? req : req.set('Authorization', authorization);
};

describe('bearer tokens verified against the JWKS', () => {
  it('signs for a valid token, in the folder of its sub, and fetches the key set once', async () => {
    const fake = jwtApp();
    const token = await sign(key1, 'k1');
    const res = await presign(fake.app, `Bearer ${token}`).expect(200);
    await presign(fake.app, `Bearer ${token}`).expect(200);
    expect(res.body.key.startsWith(folderOf('auth0|alice'))).toBe(true);
    expect(jwksFetches).toBe(1);
  });

  it('answers 401 with a Bearer challenge and how to send a token when there is none, fetching nothing', async () => {
    const fake = jwtApp();
    const res = await presign(fake.app);
    expect(expectProblem(res, 401, 'invalid_token').detail).toBe('Send an access token in the Authorization header: Authorization: Bearer <token>.');
    // RFC 6750 §3.1: no token, so no error code in the challenge.
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api"(, DPoP algs="[^"]+")?$/);
    expect(jwksFetches).toBe(0);
    expect(fake.signer.calls).toEqual([]);
  });

  it.each([
    ['not a JWT', 'Bearer abc'],
    ['a header that is not base64url JSON', 'Bearer %%%.e30.x'],
  ])('answers 401 for a token that is %s, fetching nothing', async (_name, authorization) => {
    const res = await presign(jwtApp().app, authorization);
    expectProblem(res, 401, 'invalid_token');
    expect(jwksFetches).toBe(0);
  });

  it('answers 400 for an Authorization header with more than one token, fetching nothing', async () => {
    const res = await presign(jwtApp().app, 'Bearer a b');
    expectProblem(res, 400, 'invalid_request');
    expect(jwksFetches).toBe(0);
  });

  it('answers 401 for a token signed by another key, and for another audience', async () => {
    const app = jwtApp().app;
    expectProblem(await presign(app, `Bearer ${await sign(key2, 'k1')}`), 401, 'invalid_token');
    const other = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('https://issuer.test/').setAudience('other').setSubject('s').setExpirationTime('5m').sign(key1);
    expectProblem(await presign(app, `Bearer ${other}`), 401, 'invalid_token');
  });

  it('verifies a token of a rotated key after fetching the key set again', async () => {
    const fake = jwtApp('/rotated.json');
    await presign(fake.app, `Bearer ${await sign(key1, 'k1')}`).expect(200);
    await presign(fake.app, `Bearer ${await sign(key2, 'k2')}`).expect(200);
  });

  it('answers 403 insufficient_scope for a valid token without a required scope', async () => {
    const app = jwtApp('/jwks.json', { requiredScopes: ['admin'] }).app;
    expectProblem(await presign(app, `Bearer ${await sign(key1, 'k1')}`), 403, 'insufficient_scope');
  });

  it('refuses a token in the URL with 400, before any verification', async () => {
    const res = await presign(jwtApp().app, undefined, '/uploads?access_token=x');
    expect(expectProblem(res, 400, 'invalid_request').detail).toBe('Tokens do not belong in URLs. Send the access token in the Authorization header: Authorization: Bearer <token>.');
    expect(jwksFetches).toBe(0);
  });

  it('answers 503 auth_unavailable within authTimeout when the JWKS endpoint hangs', async () => {
    hang = true;
    const fake = jwtApp('/jwks.json', { authTimeout: 300 });
    const started = Date.now();
    const res = await presign(fake.app, `Bearer ${await sign(key1, 'k1')}`);
    expectProblem(res, 503, 'auth_unavailable');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(fake.errors.map((e) => e.status)).toEqual([503]);
  });
});

describe('a shared secret (HS256)', () => {
  it('verifies with no network at all', async () => {
    const secret = 'a-secret-of-at-least-thirty-two-bytes!!';
    const fake = fakeApp({ auth: { issuer: 'https://issuer.test/', audience: AUDIENCE, secret, tokenSigningAlg: 'HS256' } });
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test/').setAudience(AUDIENCE).setSubject('auth0|alice').setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    await presign(fake.app, `Bearer ${token}`).expect(200);
    expectProblem(await presign(fake.app, 'Bearer x.y.z'), 401, 'invalid_token');
    expect(jwksFetches).toBe(0);
  });
});
