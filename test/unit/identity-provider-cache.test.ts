// The identity provider's cache answer (cachedKeysFor) agrees with keysFor and steps aside whenever keysFor would fetch.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdentityProvider, type JSONWebKeySet } from '../../middleware/http/identity-provider';

/** A JWKS on loopback whose keys the test changes, counting fetches. */
let keys: JSONWebKeySet['keys'] = [{ kty: 'RSA', kid: 'one' }];
let fetches = 0;
const server = http.createServer((_req, res) => {
  fetches++;
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
});
let jwksUri = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  keys = [{ kty: 'RSA', kid: 'one' }];
  fetches = 0;
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const tokenWithKid = (kid: string) => `${b64({ alg: 'RS256', kid })}.${b64({ sub: 'a' })}.c2ln`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const provider = (cacheMaxAge: number, cooldown: number) => new IdentityProvider({ issuer: 'https://issuer.test/', jwksUri, timeout: 2000, cacheMaxAge, cooldown });

describe('IdentityProvider.cachedKeysFor', () => {
  it('answers nothing before the first fetch, then exactly what keysFor answered', async () => {
    const p = provider(60_000, 60_000);
    expect(p.cachedKeysFor({ kid: 'one' })).toBeUndefined();
    const fetched = await p.keysFor(tokenWithKid('one'));
    const cached = p.cachedKeysFor({ kid: 'one' });
    expect(cached?.issuer).toBe('https://issuer.test/');
    expect(cached?.jwks).toBe(fetched.jwks);
    expect(fetches).toBe(1);
  });

  it('steps aside once the key set is older than cacheMaxAge, so keysFor fetches it again', async () => {
    const p = provider(100, 60_000);
    await p.keysFor(tokenWithKid('one'));
    await sleep(150);
    expect(p.cachedKeysFor({ kid: 'one' })).toBeUndefined();
    await p.keysFor(tokenWithKid('one'));
    expect(fetches).toBe(2);
    expect(p.cachedKeysFor({ kid: 'one' })).toBeDefined();
  });

  it('an unknown kid is answered from the cache within the cooldown, and sent to keysFor (a refetch) after it: key rotation', async () => {
    const p = provider(60_000, 100);
    await p.keysFor(tokenWithKid('one'));
    expect(p.cachedKeysFor({ kid: 'two' })?.jwks.keys.map((k) => k.kid)).toEqual(['one']);
    keys = [{ kty: 'RSA', kid: 'one' }, { kty: 'RSA', kid: 'two' }];
    await sleep(150);
    expect(p.cachedKeysFor({ kid: 'two' })).toBeUndefined();
    expect(p.cachedKeysFor({ kid: 'one' })).toBeDefined();
    const rotated = await p.keysFor(tokenWithKid('two'));
    expect(rotated.jwks.keys.map((k) => k.kid)).toEqual(['one', 'two']);
    expect(fetches).toBe(2);
    expect(p.cachedKeysFor({ kid: 'two' })?.jwks).toBe(rotated.jwks);
  });
});
