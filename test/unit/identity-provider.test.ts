// The verifier's network I/O against a loopback provider: fetch deadlines and failures, single-flight caching, discovery order, key rotation.
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthUnavailableError } from '../../middleware/errors';
import { fetchJson, IdentityProvider, SingleFlight, tokenHeader } from '../../middleware/http/identity-provider';

/** What the loopback provider answers per path: a status and a body, or 'hang' (headers never sent). */
type Answer = { status: number; body: string } | 'hang';
const answers = new Map<string, Answer>();
const hits: string[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const answer = answers.get(req.url ?? '') ?? { status: 404, body: 'no' };
    if (answer === 'hang') return;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
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
  answers.clear();
  hits.length = 0;
});

const json = (value: unknown): Answer => ({ status: 200, body: JSON.stringify(value) });
const url = (path: string) => new URL(`${base}${path}`);
const token = (header: Record<string, unknown>) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.sig`;

async function failure(promise: Promise<unknown>): Promise<AuthUnavailableError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthUnavailableError);
  return err as AuthUnavailableError;
}

describe('fetchJson', () => {
  it('resolves with the parsed body of a 200', async () => {
    answers.set('/doc', json({ a: [1] }));
    await expect(fetchJson(url('/doc'), 2000)).resolves.toEqual({ a: [1] });
  });

  it.each([
    ['a status other than 200', { status: 500, body: '{}' }, 'answered 500'],
    ['a body that is not JSON', { status: 200, body: '<html>' }, 'did not answer JSON'],
    ['a body over 512 KiB', { status: 200, body: `"${'x'.repeat(512 * 1024)}"` }, `answered more than ${512 * 1024} bytes`],
  ])('is an AuthUnavailableError for %s, naming the URL', async (_name, answer, detail) => {
    answers.set('/doc', answer as Answer);
    const err = await failure(fetchJson(url('/doc'), 2000));
    expect(err.message).toBe(`The identity provider could not be used to verify the token (${base}/doc ${detail}). Try again later.`);
  });

  it('ends a request that gets no answer at its deadline', async () => {
    answers.set('/hang', 'hang');
    const started = Date.now();
    const err = await failure(fetchJson(url('/hang'), 200));
    expect(err.message).toContain(`${base}/hang gave no complete answer within 200 ms`);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('is an AuthUnavailableError for a port nothing listens on', async () => {
    const closed = http.createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(fetchJson(new URL(`http://127.0.0.1:${port}/x`), 2000));
    expect(err.message).toContain(`http://127.0.0.1:${port}/x could not be reached`);
  });
});

describe('SingleFlight', () => {
  it('shares one load between concurrent callers and keeps the value for ttl', async () => {
    let loads = 0;
    const flight = new SingleFlight(async () => ++loads, 60_000);
    expect(await Promise.all([flight.get(), flight.get()])).toEqual([1, 1]);
    expect(await flight.get()).toBe(1);
    expect(loads).toBe(1);
    expect(flight.loadedAt).toBeGreaterThan(Date.now() - 5000);
    expect(await flight.get(true)).toBe(2);
  });

  it('keeps no failed load: the next caller tries again', async () => {
    let loads = 0;
    const flight = new SingleFlight(async () => {
      if (++loads === 1) throw new Error('down');
      return loads;
    }, 60_000);
    await expect(flight.get()).rejects.toThrow('down');
    expect(flight.loadedAt).toBeUndefined();
    expect(await flight.get()).toBe(2);
  });

  it('serves the old value when refreshing an expired one fails, but not when a refresh was forced', async () => {
    let loads = 0;
    const flight = new SingleFlight(async () => {
      if (++loads > 1) throw new Error('down');
      return 'old';
    }, 0);
    expect(await flight.get()).toBe('old');
    expect(await flight.get()).toBe('old');
    await expect(flight.get(true)).rejects.toThrow('down');
  });
});

describe('tokenHeader', () => {
  it('decodes a JWS protected header that is a JSON object, and nothing else', () => {
    expect(tokenHeader(token({ alg: 'RS256', kid: 'k1' }))).toEqual({ alg: 'RS256', kid: 'k1' });
    expect(tokenHeader('abc')).toBeUndefined();
    expect(tokenHeader('.e30.sig')).toBeUndefined();
    expect(tokenHeader('a+b.e30.sig')).toBeUndefined();
    expect(tokenHeader(`${Buffer.from('[1]').toString('base64url')}.e30.sig`)).toBeUndefined();
    expect(tokenHeader(`${Buffer.from('null').toString('base64url')}.e30.sig`)).toBeUndefined();
    expect(tokenHeader(`${Buffer.from('{').toString('base64url')}.e30.sig`)).toBeUndefined();
  });
});

describe('IdentityProvider', () => {
  const keys = (...kids: string[]) => ({ keys: kids.map((kid) => ({ kty: 'RSA', kid })) });
  const settings = { timeout: 1000, cacheMaxAge: 60_000, cooldown: 60_000 };

  it('discovers the issuer and key set through OpenID Connect discovery, and caches both', async () => {
    answers.set('/tenant/.well-known/openid-configuration', json({ issuer: 'https://issuer/', jwks_uri: `${base}/jwks` }));
    answers.set('/jwks', json(keys('k1')));
    const provider = new IdentityProvider({ ...settings, issuerBaseURL: `${base}/tenant` });
    expect(await provider.keysFor(token({ kid: 'k1' }))).toEqual({ issuer: 'https://issuer/', jwks: keys('k1') });
    await provider.keysFor(token({ kid: 'k1' }));
    expect(hits).toEqual(['/tenant/.well-known/openid-configuration', '/jwks']);
  });

  it('falls back on RFC 8414 discovery (path after the well-known name) when OpenID discovery fails', async () => {
    answers.set('/.well-known/oauth-authorization-server/tenant', json({ issuer: 'i', jwks_uri: `${base}/jwks` }));
    answers.set('/jwks', json(keys('k1')));
    const provider = new IdentityProvider({ ...settings, issuerBaseURL: `${base}/tenant/` });
    expect((await provider.keysFor(token({}))).issuer).toBe('i');
    expect(hits).toEqual(['/tenant/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/tenant', '/jwks']);
  });

  it('uses a discovery URL as given when it names a .well-known document, and at the root the RFC 8414 name alone', async () => {
    answers.set('/.well-known/oauth-authorization-server', json({ issuer: 'root', jwks_uri: `${base}/jwks` }));
    answers.set('/jwks', json(keys('k1')));
    expect((await new IdentityProvider({ ...settings, issuerBaseURL: `${base}/` }).keysFor(token({}))).issuer).toBe('root');
    expect(hits).toEqual(['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks']);
    hits.length = 0;
    expect((await new IdentityProvider({ ...settings, issuerBaseURL: `${base}/.well-known/oauth-authorization-server` }).keysFor(token({}))).issuer).toBe('root');
    expect(hits).toEqual(['/.well-known/oauth-authorization-server', '/jwks']);
  });

  it('is unavailable when discovery documents lack issuer or jwks_uri', async () => {
    answers.set('/.well-known/openid-configuration', json({ issuer: 'i' }));
    answers.set('/.well-known/oauth-authorization-server', json(null));
    const err = await failure(new IdentityProvider({ ...settings, issuerBaseURL: base }).keysFor(token({})));
    expect(err.message).toContain(`${base}/.well-known/oauth-authorization-server lacks issuer or jwks_uri`);
  });

  it('is unavailable, within one deadline for both discovery paths, when discovery hangs', async () => {
    answers.set('/.well-known/openid-configuration', 'hang');
    answers.set('/.well-known/oauth-authorization-server', 'hang');
    const started = Date.now();
    const err = await failure(new IdentityProvider({ ...settings, timeout: 300, issuerBaseURL: base }).keysFor(token({})));
    expect(err.message).toMatch(/gave no complete answer within \d+ ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('with issuer and jwksUri, fetches no discovery document', async () => {
    answers.set('/jwks', json(keys('k1')));
    const provider = new IdentityProvider({ ...settings, issuer: 'given', jwksUri: `${base}/jwks` });
    expect(await provider.keysFor(token({}))).toEqual({ issuer: 'given', jwks: keys('k1') });
    expect(hits).toEqual(['/jwks']);
  });

  it('is unavailable without an issuer or a JWKS address', async () => {
    const err = await failure(new IdentityProvider({ ...settings, issuer: 'given' }).keysFor(token({})));
    expect(err.message).toContain('no issuer or JWKS address');
  });

  it.each([
    ['no keys member', { other: 1 }],
    ['an empty key set', { keys: [] }],
    ['a key without kty', { keys: [{ kid: 'k1' }] }],
    ['a key that is not an object', { keys: [null] }],
    ['null', null],
  ])('is unavailable for a JWKS with %s', async (_name, set) => {
    answers.set('/jwks', json(set));
    const err = await failure(new IdentityProvider({ ...settings, issuer: 'i', jwksUri: `${base}/jwks` }).keysFor(token({})));
    expect(err.message).toContain(`${base}/jwks holds no usable keys`);
  });

  it('fetches the key set again for a kid it lacks (a rotated key), at most once per cooldown', async () => {
    answers.set('/jwks', json(keys('k1')));
    const provider = new IdentityProvider({ ...settings, cooldown: 0, issuer: 'i', jwksUri: `${base}/jwks` });
    await provider.keysFor(token({ kid: 'k1' }));
    answers.set('/jwks', json(keys('k1', 'k2')));
    expect((await provider.keysFor(token({ kid: 'k2' }))).jwks).toEqual(keys('k1', 'k2'));
    expect(hits).toEqual(['/jwks', '/jwks']);

    hits.length = 0;
    const cooled = new IdentityProvider({ ...settings, issuer: 'i', jwksUri: `${base}/jwks` });
    await cooled.keysFor(token({ kid: 'k1' }));
    await cooled.keysFor(token({ kid: 'k9' }));
    await cooled.keysFor(token({}));
    expect(hits).toEqual(['/jwks']);
  });
});
