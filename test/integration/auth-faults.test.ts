// A misbehaving identity provider on loopback: every request still gets an answer within authTimeout, a 503 when the provider is at fault, and service recovers by itself.
import express from 'express';
import request from 'supertest';
import { directUpload, type DirectUploadOptions } from '../../middleware';
import { startFaultyProvider, type FaultyProvider } from '../support/fault-servers';
import { startUploadServices, TEST_AUDIENCE, type UploadServices } from '../support/upload-services';

/** Short, so the tests are quick; the bound on each answer is this plus a margin for a loaded 2-core machine. */
const AUTH_TIMEOUT = 1000;
const BOUND = AUTH_TIMEOUT + 3000;

let services: UploadServices;
let provider: FaultyProvider;
const timings: string[] = [];
beforeAll(async () => {
  services = await startUploadServices('auth-faults');
  const keys = await (await fetch(services.issuer.jwksUri)).json();
  provider = await startFaultyProvider(services.issuer.url, keys);
});
afterAll(async () => {
  console.log(`answer times with authTimeout ${AUTH_TIMEOUT} ms:\n${timings.join('\n')}`);
  await provider?.stop();
  await services?.stop();
});
beforeEach(() => {
  provider.discovery = 'healthy';
  provider.jwks = 'healthy';
});

const upload = { filename: 'a.jpg', contentType: 'image/jpeg', size: 10 };

/** A fresh router (nothing cached) authenticating against the faulty provider. */
function appWith(auth: DirectUploadOptions['auth']) {
  const app = express();
  app.use(directUpload(services.options({ auth, authTimeout: AUTH_TIMEOUT })));
  return app;
}
const viaDiscovery = () => appWith({ issuerBaseURL: provider.url, audience: TEST_AUDIENCE });
const viaJwksUri = () => appWith({ issuer: services.issuer.url, jwksUri: provider.jwksUri, audience: TEST_AUDIENCE });

async function timedPost(app: express.Express, label: string, token?: string) {
  const started = Date.now();
  const res = await request(app)
    .post('/uploads')
    .set('Authorization', `Bearer ${token ?? (await services.token())}`)
    .send(upload);
  const ms = Date.now() - started;
  timings.push(`  ${label}: ${res.status} in ${ms} ms`);
  return { res, ms };
}

function expectOutage({ res, ms }: { res: request.Response; ms: number }) {
  expect(res.status).toBe(503);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status: 503, code: 'auth_unavailable' });
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(ms).toBeLessThan(BOUND);
}

describe('discovery (issuerBaseURL)', () => {
  it('a discovery endpoint that hangs gives 503 within authTimeout, and the next request after it recovers succeeds', async () => {
    const app = viaDiscovery();
    provider.discovery = 'hang';
    const hung = await timedPost(app, 'discovery hangs');
    expectOutage(hung);
    expect(hung.ms).toBeGreaterThanOrEqual(AUTH_TIMEOUT - 50);
    // Still hung: the failure was not cached as an answer, so this request asks again and fails within its own deadline.
    const before = provider.hits['/.well-known/openid-configuration'] ?? 0;
    expectOutage(await timedPost(app, 'discovery still hangs'));
    expect(provider.hits['/.well-known/openid-configuration']).toBeGreaterThan(before);

    provider.discovery = 'healthy';
    const recovered = await timedPost(app, 'discovery recovered');
    expect(recovered.res.status).toBe(200);
  });

  it.each([['garbage'], ['status-500'], ['hang-mid-body']] as const)('a discovery endpoint that answers %s gives 503 in time', async (mode) => {
    const app = viaDiscovery();
    provider.discovery = mode;
    expectOutage(await timedPost(app, `discovery ${mode}`));
    provider.discovery = 'healthy';
    expect((await timedPost(app, `discovery recovered after ${mode}`)).res.status).toBe(200);
  });

  it('a refused connection gives 503 at once', async () => {
    const app = appWith({ issuerBaseURL: 'http://127.0.0.1:1/', audience: TEST_AUDIENCE });
    const refused = await timedPost(app, 'discovery port closed');
    expectOutage(refused);
    expect(refused.ms).toBeLessThan(AUTH_TIMEOUT);
  });
});

describe('the JWKS (issuer + jwksUri, no discovery)', () => {
  it.each([['hang'], ['hang-mid-body'], ['garbage'], ['no-keys'], ['status-500']] as const)(
    'a JWKS that answers %s is the provider’s outage: 503, then 200 once it recovers',
    async (mode) => {
      const app = viaJwksUri();
      provider.jwks = mode;
      expectOutage(await timedPost(app, `JWKS ${mode}`));
      provider.jwks = 'healthy';
      expect((await timedPost(app, `JWKS recovered after ${mode}`)).res.status).toBe(200);
    },
  );

  it('a JWKS that hangs behind discovery gives 503 within authTimeout too', async () => {
    const app = viaDiscovery();
    provider.jwks = 'hang';
    expectOutage(await timedPost(app, 'JWKS hangs after discovery'));
  });

  it('a token whose kid the healthy JWKS lacks stays a 401, and fetches the JWKS at most once per cooldown', async () => {
    const app = viaJwksUri();
    expect((await timedPost(app, 'healthy JWKS')).res.status).toBe(200);
    const fetched = provider.hits['/jwks.json'];
    const [header, payload, signature] = (await services.token()).split('.');
    const decoded = JSON.parse(Buffer.from(header, 'base64url').toString());
    const unknownKid = `${Buffer.from(JSON.stringify({ ...decoded, kid: 'rotated-away' })).toString('base64url')}.${payload}.${signature}`;
    for (let i = 0; i < 5; i++) {
      const { res } = await timedPost(app, `unknown kid #${i + 1}`, unknownKid);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    }
    expect(provider.hits['/jwks.json']).toBe(fetched);
  });
});

describe('outages are known by the failed fetch, not by what a token says', () => {
  it('a token quoting ECONNREFUSED while the provider is healthy is a 401', async () => {
    const app = viaJwksUri();
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'ECONNREFUSED', kid: services.issuer.kid })}.${b64({ sub: 'a', aud: TEST_AUDIENCE, iss: services.issuer.url, exp: now + 60 })}.c2ln`;
    expect((await timedPost(app, 'spoofed outage text', token)).res.status).toBe(401);
  });
});
