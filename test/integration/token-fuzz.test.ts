// Bounded fuzzing of bearer tokens against a real loopback server: random and mutated headers, claims, encodings and lengths get only a 400 or 401 problem, never a 5xx or a crash.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prng } from '../support/prng';
import { startUploadServices, TEST_AUDIENCE, type UploadServices } from '../support/upload-services';

const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const TOKENS = Number(process.env.FUZZ_TOKENS ?? 10_000);
/** In flight at once: enough to keep a 2-core machine busy without starving other test files. */
const CONCURRENCY = 8;
/** Stop, and fail, rather than run past this. */
const TIME_LIMIT_MS = 150_000;

let services: UploadServices;
let server: Server;
let base: string;
const serverErrors: unknown[] = [];
beforeAll(async () => {
  services = await startUploadServices('token-fuzz');
  server = services.app({ onError: (err, status) => status >= 500 && serverErrors.push(err) }).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await services?.stop();
});

const b64url = (text: string | Buffer) => Buffer.from(text).toString('base64url');
const json = (value: unknown) => b64url(JSON.stringify(value));

/** Token text: built from a seeded RNG, from scratch or by mutating a real token. Only header-safe characters reach the wire. */
function tokenGenerator(random: () => number, real: string, kid: string, issuer: string) {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const [realHeader, realPayload, realSignature] = real.split('.');
  const now = Math.floor(Date.now() / 1000);
  const nasty = [
    'RS256\r\nX-Injected: 1', 'RS256\n', '\u2603', '\u{1F600}', '\u0000', '"', '\\', '\\"', 'ECONNREFUSED', 'ETIMEDOUT', 'socket hang up',
    'none', 'None', 'HS256', 'RS256', 'PS256', 'ES256', 'EdDSA', 'RSA-OAEP', '', 'x'.repeat(2000), '\u202e', '\ud800', '__proto__',
  ];
  const value = (depth = 0): unknown => {
    switch (int(depth > 1 ? 5 : 8)) {
      case 0: return pick(nasty);
      case 1: return int(2 ** 31) - 2 ** 30;
      case 2: return pick([true, false, null, 0, -1, 1e308, 1.5]);
      case 3: return pick([kid, 'unknown-kid', issuer, TEST_AUDIENCE, 'auth0|alice']);
      case 4: return String.fromCharCode(...Array.from({ length: int(20) }, () => int(0x10000)));
      case 5: return Array.from({ length: int(4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(['alg', 'kid', 'crit', 'b64', 'x', '__proto__']), value(depth + 1)]));
    }
  };
  const header = (): Record<string, unknown> => {
    const h: Record<string, unknown> = { alg: random() < 0.5 ? 'RS256' : value(), typ: random() < 0.8 ? 'JWT' : value() };
    if (random() < 0.7) h.kid = random() < 0.6 ? kid : value();
    if (random() < 0.25) {
      const names = random() < 0.5 ? [pick(nasty)] : (value() as unknown);
      h.crit = names;
      if (Array.isArray(names)) for (const name of names) if (typeof name === 'string') h[name] = value();
    }
    for (const extra of ['jku', 'x5u', 'jwk', 'b64', 'zip', 'enc']) if (random() < 0.05) h[extra] = value();
    return h;
  };
  const claims = (): Record<string, unknown> => {
    const c: Record<string, unknown> = {};
    if (random() < 0.8) c.sub = random() < 0.6 ? 'auth0|alice' : value();
    if (random() < 0.8) c.aud = random() < 0.6 ? TEST_AUDIENCE : value();
    if (random() < 0.8) c.iss = random() < 0.6 ? issuer : value();
    if (random() < 0.8) c.exp = random() < 0.6 ? now + 600 : value();
    if (random() < 0.3) c.nbf = value();
    if (random() < 0.3) c.iat = random() < 0.5 ? now : value();
    if (random() < 0.2) c.scope = value();
    return c;
  };
  const segment = (): string => {
    switch (int(9)) {
      case 0: return json(header());
      case 1: return json(claims());
      case 2: return Buffer.from(JSON.stringify(claims())).toString('base64'); // standard base64: + / =
      case 3: return b64url(pick(['not json', '[]', '"str"', '123', 'null', '{', '{"alg":', '\u00ff\u00fe']));
      case 4: return b64url(Buffer.from(Array.from({ length: int(300) }, () => int(256))));
      case 5: return 'A'.repeat(int(6000));
      case 6: return '';
      case 7: return pick([realHeader, realPayload, realSignature]);
      default: return Array.from({ length: int(40) }, () => String.fromCharCode(0x21 + int(94))).join('');
    }
  };
  const mutate = (token: string): string => {
    const chars = token.split('');
    switch (int(7)) {
      case 0: { // change one character somewhere before a segment's last one, so the decoded bytes differ
        const i = int(chars.length - 1);
        chars[i] = String.fromCharCode(0x21 + int(94));
        return chars.join('');
      }
      case 1: return token.slice(0, int(token.length));
      case 2: return token.split('.').reverse().join('.');
      case 3: return `${token}.${segment()}`;
      case 4: return token.replace(/\./g, () => pick(['.', '..', '', ' ']));
      case 5: return token + 'A'.repeat(int(3000));
      default: {
        const parts = token.split('.');
        parts[int(parts.length)] = segment();
        return parts.join('.');
      }
    }
  };
  return function nextToken(): string {
    const roll = random();
    if (roll < 0.4) return `${json(header())}.${json(claims())}.${random() < 0.5 ? realSignature : segment()}`;
    if (roll < 0.7) return mutate(real);
    if (roll < 0.9) return Array.from({ length: 1 + int(5) }, segment).join('.');
    return mutate(`${json(header())}.${json(claims())}.${segment()}`);
  };
}

it(`gets only 400 or 401 problem+json for ${TOKENS} random and mutated tokens (seed ${SEED})`, async () => {
  const random = prng(SEED);
  const real = await services.token();
  const nextToken = tokenGenerator(random, real, services.issuer.kid, services.issuer.url);
  const schemes = ['Bearer', 'Bearer', 'Bearer', 'Bearer', 'bearer', 'DPoP'];
  const requests = Array.from({ length: TOKENS }, () => {
    const token = nextToken().slice(0, 8000);
    return { token, authorization: `${schemes[Math.floor(random() * schemes.length)]} ${token}`, get: random() < 0.3 };
  });

  const statuses = new Map<number, number>();
  const failures: string[] = [];
  let unchanged = 0;
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < requests.length && Date.now() - started < TIME_LIMIT_MS) {
      const index = next++;
      const { token, authorization, get } = requests[index];
      const res = get
        ? await fetch(`${base}/uploads?contentType=image%2Fjpeg&size=10`, { headers: { authorization } })
        : await fetch(`${base}/uploads`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: '{"filename":"a.jpg","contentType":"image/jpeg","size":10}' });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      // A mutation may leave the token's bytes as they were (base64url's spare low bits): then 200 is right.
      if (res.status === 200 && token.split('.').map((s) => Buffer.from(s, 'base64url').toString('hex')).join('.') === real.split('.').map((s) => Buffer.from(s, 'base64url').toString('hex')).join('.')) {
        unchanged += 1;
        continue;
      }
      const problem = res.headers.get('content-type')?.startsWith('application/problem+json');
      if (![400, 401].includes(res.status) || !problem || !/^[\x20-\x7e]*$/.test(res.headers.get('www-authenticate') ?? '')) {
        failures.push(`#${index} ${res.status} ${res.headers.get('content-type')} ${authorization.slice(0, 300)} → ${text.slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = Date.now() - started;
  console.log(`token fuzz (seed ${SEED}): ${next} tokens in ${elapsed} ms (${Math.round((next / elapsed) * 1000)}/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${unchanged} mutations left the token's bytes unchanged`);

  expect(failures.slice(0, 10)).toEqual([]);
  expect(serverErrors).toEqual([]);
  expect(next).toBe(TOKENS);
  // Both answers must occur, or the generator stopped reaching one side of the verifier.
  expect(statuses.get(400)).toBeGreaterThan(0);
  expect(statuses.get(401)).toBeGreaterThan(TOKENS / 2);
}, TIME_LIMIT_MS + 30_000);
