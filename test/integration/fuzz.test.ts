// Bounded fuzzing of the routes' inputs: whatever a client sends, the answer is a 2xx or a 4xx problem, never a 500 or a crash.
import request from 'supertest';
import { startUploadServices, type UploadServices } from '../support/upload-services';

let services: UploadServices;
beforeAll(async () => {
  services = await startUploadServices('fuzz');
});
afterAll(async () => services?.stop());

/** A small seeded PRNG (mulberry32), so a failure can be replayed from the printed seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const ITERATIONS = 250;

function generator(random: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const strings = ['', 'image/jpeg', 'image/png; charset=utf-8', 'IMAGE/PNG', '*/*', 'text/html', '../../etc/passwd', 'a\u0000b', '\u202e.gpj', 'x'.repeat(300), '%00', '😀.png', 'uploads/x/y.png', '__proto__', 'constructor'];
  const value = (depth: number): unknown => {
    switch (Math.floor(random() * (depth > 2 ? 6 : 9))) {
      case 0: return pick(strings);
      case 1: return Math.floor(random() * 2 ** 40) - 2 ** 20;
      case 2: return pick([0, -1, 1.5, 1e308, NaN, Number.MAX_SAFE_INTEGER + 2, 5 * 1024 ** 4]);
      case 3: return pick([true, false, null]);
      case 4: return pick(strings) + String(Math.floor(random() * 1000));
      case 5: return Math.floor(random() * 20_000_000);
      case 6: return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      default: return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(['filename', 'contentType', 'size', 'key', 'uploadId', 'partNumbers', '__proto__', 'x']), value(depth + 1)]));
    }
  };
  const body = () => {
    if (random() < 0.35) {
      // Start from a valid request and break at most one field, to get past the first checks.
      const valid: Record<string, unknown> = { filename: 'a.png', contentType: 'image/png', size: 1 + Math.floor(random() * 10_000) };
      if (random() < 0.7) valid[pick(['filename', 'contentType', 'size', 'contentMD5', 'key'])] = value(1);
      return valid;
    }
    const fields: Record<string, unknown> = {};
    for (const name of ['filename', 'contentType', 'size', 'key', 'uploadId', 'partNumbers', 'contentMD5']) {
      if (random() < 0.6) fields[name] = value(0);
    }
    return random() < 0.1 ? value(0) : fields;
  };
  return { pick, body };
}

it(`never answers 5xx or a non-problem error (seed ${SEED}, ${ITERATIONS} requests)`, async () => {
  const random = prng(SEED);
  const { pick, body } = generator(random);
  const app = services.app({ maxFileSize: 1024 ** 3, allowedContentTypes: ['image/*'] });
  const token = await services.token();
  const routes = [
    ['post', '/uploads'],
    ['post', '/uploads/multipart/parts'],
    ['post', '/uploads/complete'],
    ['get', '/uploads'],
    ['get', '/uploads/multipart/parts'],
    ['delete', '/uploads/multipart'],
  ] as const;
  const seen = new Map<number, number>();
  for (let i = 0; i < ITERATIONS; i++) {
    const [method, path] = pick(routes);
    const payload = body();
    let req = request(app)[method](path).set('Authorization', `Bearer ${token}`);
    if (method === 'post') {
      const json = JSON.stringify(payload) ?? 'null';
      req = req.set('Content-Type', 'application/json').send(random() < 0.1 ? json.slice(0, Math.floor(random() * 40)) : json);
    } else {
      const query = typeof payload === 'object' && payload && !Array.isArray(payload) ? payload : { v: payload };
      req = req.query(Object.fromEntries(Object.entries(query).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)])));
    }
    const res = await req;
    seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
    const context = `${method.toUpperCase()} ${path} ${JSON.stringify(payload)?.slice(0, 200)} → ${res.status}`;
    expect({ context, ok: res.status < 500 || res.body?.code === 'storage_unavailable' }).toEqual({ context, ok: true });
    if (res.status >= 400) expect({ context, type: res.headers['content-type'] }).toEqual({ context, type: expect.stringMatching(/^application\/problem\+json/) });
  }
  // The generator must reach past validation sometimes, or the fuzzing proves little.
  expect([...seen.keys()].some((status) => status < 300)).toBe(true);
  expect(seen.get(400)).toBeGreaterThan(0);
}, 60_000);
