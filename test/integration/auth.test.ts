// Authentication through a real JWKS issuer: every bad token is a 401 problem with a WWW-Authenticate challenge.
import { generateKeyPair } from 'jose';
import express from 'express';
import request from 'supertest';
import { directUpload } from '../../middleware';
import { startUploadServices, TEST_AUDIENCE, type UploadServices } from '../support/upload-services';

let services: UploadServices;
beforeAll(async () => {
  services = await startUploadServices();
});
afterAll(async () => {
  await services?.stop();
});

const upload = { filename: 'a.jpg', contentType: 'image/jpeg', size: 10 };
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function postWith(authorization: string | undefined, app = services.app()) {
  const req = request(app).post('/uploads').send(upload);
  if (authorization !== undefined) req.set('Authorization', authorization);
  return req;
}

function expectUnauthorized(res: request.Response) {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api"/);
  expect(res.body).toMatchObject({ status: 401 });
}

describe('tokens', () => {
  it('accepts a valid RS256 token from the issuer', async () => {
    const res = await postWith(`Bearer ${await services.token()}`);
    expect(res.status).toBe(200);
  });

  it('no token', async () => {
    const res = await postWith(undefined);
    expectUnauthorized(res);
    expect(res.headers['www-authenticate']).not.toMatch(/error=/);
  });

  it('an expired token', async () => {
    const res = await postWith(`Bearer ${await services.token('auth0|alice', { expiresIn: -120 })}`);
    expectUnauthorized(res);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(res.body.code).toBe('invalid_token');
  });

  it('a token for another audience', async () => {
    expectUnauthorized(await postWith(`Bearer ${await services.token('auth0|alice', { audience: 'https://other.api/' })}`));
  });

  it('a token from another issuer', async () => {
    expectUnauthorized(await postWith(`Bearer ${await services.token('auth0|alice', { issuer: 'https://evil.example.com/' })}`));
  });

  it('a tampered payload', async () => {
    const [header, , signature] = (await services.token('auth0|alice')).split('.');
    const forged = b64url({ sub: 'auth0|admin', aud: TEST_AUDIENCE, iss: services.issuer.url, exp: Math.floor(Date.now() / 1000) + 600 });
    expectUnauthorized(await postWith(`Bearer ${header}.${forged}.${signature}`));
  });

  it('a token signed by a key the JWKS does not hold, under the same kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    expectUnauthorized(await postWith(`Bearer ${await services.token('auth0|alice', { signingKey: privateKey })}`));
  });

  it('alg: none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'auth0|alice', aud: TEST_AUDIENCE, iss: services.issuer.url, iat: now, exp: now + 600 })}.`;
    expectUnauthorized(await postWith(`Bearer ${unsigned}`));
  });

  it('garbage in the Authorization header', async () => {
    const res = await postWith('Bearer not-a-jwt');
    expectUnauthorized(res);
    const malformed = await postWith('Basic a b c');
    expect([400, 401]).toContain(malformed.status);
    expect(malformed.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('a token without sub is refused', async () => {
    const res = await postWith(`Bearer ${await services.token('')}`);
    expectUnauthorized(res);
  });
});

describe('scopes', () => {
  it('requires every configured scope (403 insufficient_scope)', async () => {
    const app = services.app({ requiredScopes: ['write:uploads'] });
    const res = await postWith(`Bearer ${await services.token('auth0|alice', { scope: 'read:uploads' })}`, app);
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/insufficient_scope/);
    expect(res.body.code).toBe('insufficient_scope');

    const ok = await postWith(`Bearer ${await services.token('auth0|alice', { scope: 'read:uploads write:uploads' })}`, app);
    expect(ok.status).toBe(200);
  });
});

describe('configuration of the verifier', () => {
  it('never reads issuer or audience from the environment', async () => {
    const saved = { ...process.env };
    process.env.ISSUER = 'https://evil.example.com/';
    process.env.JWKS_URI = 'http://127.0.0.1:1/jwks.json';
    process.env.TOKEN_SIGNING_ALG = 'HS256';
    process.env.AUDIENCE = 'https://other.api/';
    try {
      const app = services.app();
      expect((await postWith(`Bearer ${await services.token()}`, app)).status).toBe(200);
      expect(() => directUpload({ bucket: 'bucket-b', region: 'us-east-1', auth: { issuerBaseURL: services.issuer.url } as never })).toThrow(/audience/);
    } finally {
      process.env = saved;
    }
  });

  it('an unreachable identity provider is a 503, not a 401 or a crash', async () => {
    const app = express();
    // Port 1 on loopback refuses connections at once: discovery cannot succeed.
    app.use(directUpload(services.options({ auth: { issuerBaseURL: 'http://127.0.0.1:1/', audience: TEST_AUDIENCE } })));
    const res = await postWith(`Bearer ${await services.token()}`, app);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('auth_unavailable');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('an unreachable JWKS (issuer + jwksUri, no discovery) is a 503 too', async () => {
    const app = express();
    app.use(directUpload(services.options({ auth: { issuer: services.issuer.url, jwksUri: 'http://127.0.0.1:1/jwks.json', audience: TEST_AUDIENCE } })));
    const res = await postWith(`Bearer ${await services.token()}`, app);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('auth_unavailable');
  });

  // The verifier's messages quote the token's header, so an outage is told by the failed fetch, never by message text.
  it.each([
    ['alg "ECONNREFUSED"', { alg: 'ECONNREFUSED', typ: 'JWT' }, 'ECONNREFUSED'],
    ['crit ["ETIMEDOUT"]', { alg: 'RS256', typ: 'JWT', crit: ['ETIMEDOUT'], ETIMEDOUT: true }, 'ETIMEDOUT'],
    ['alg "socket hang up"', { alg: 'socket hang up', typ: 'JWT' }, 'socket hang up'],
  ])('a token whose header says %s is a 401, not a 503, while the issuer is up', async (_, header, quoted) => {
    // A fresh router, so the request also runs discovery (which succeeds) before it fails on the token.
    const app = express();
    app.use(directUpload(services.options()));
    const now = Math.floor(Date.now() / 1000);
    const payload = b64url({ sub: 'auth0|alice', aud: TEST_AUDIENCE, iss: services.issuer.url, iat: now, exp: now + 600 });
    const res = await postWith(`Bearer ${b64url(header)}.${payload}.${Buffer.from('not a signature').toString('base64url')}`, app);
    expectUnauthorized(res);
    expect(res.body.code).toBe('invalid_token');
    // The refusal quotes the header's words: exactly the text a message-matching check would have read as an outage.
    expect(res.body.detail).toContain(quoted);
  });

  it('auth: false with an owner function lets a host app authenticate its own way', async () => {
    const app = express();
    app.use(directUpload(services.options({ auth: false, owner: (req) => req.get('x-user') ?? undefined })));
    expect((await request(app).post('/uploads').set('x-user', 'alice').send(upload)).status).toBe(200);
    const anonymous = await request(app).post('/uploads').send(upload);
    expect(anonymous.status).toBe(401);
  });

  it('a custom auth handler can stand in for Auth0', async () => {
    const app = express();
    app.use(
      directUpload(
        services.options({
          auth: (req, _res, next) => {
            (req as unknown as { auth: unknown }).auth = { payload: { sub: 'session-user' } };
            next();
          },
        }),
      ),
    );
    const res = await request(app).post('/uploads').send(upload).expect(200);
    expect(res.body.key).toMatch(/^uploads\/[0-9a-f]{32}\//);
  });
});
