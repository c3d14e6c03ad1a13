// Smoke test of `npm start`: the real command as a child, the AWS sample's flow with the printed token, a restart that keeps data and tokens, and a clean stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '../..');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every live process below `pid`, from /proc (zombies count as gone: they hold no port and run no code). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      children.set(Number(ppid), [...(children.get(Number(ppid)) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (found.push(c), walk(c)));
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The environment of a person who configured nothing: no Auth0, no S3, no deployment config file. */
function embeddedEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env)) {
    if (/^(AUTH0_|S3_|DIRECT_UPLOAD_CONFIG$|ALLOWED_ORIGINS$|KEY_PREFIX$|PUBLIC_READ$)/.test(name)) delete env[name];
  }
  return env;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function ready(started: Started, port: number): Promise<void> {
  await waitFor(`"Ready on" in the output of the server\n${started.output()}`, () => {
    if (started.child.exitCode !== null) throw new Error(`The server exited early (${started.child.exitCode}):\n${started.output()}`);
    return started.output().includes('Ready on') || undefined;
  }, 60_000);
  await waitFor('GET /healthz', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    return res?.status === 200 || undefined;
  });
}

/** SIGTERM to `pid` alone, then every process of the tree must be gone. */
async function stopAndCheck(started: Started, signalled: number, tree: number[]): Promise<number | null> {
  process.kill(signalled, 'SIGTERM');
  const code = await started.exited;
  await waitFor(`processes ${tree.join(', ')} to exit`, () => tree.every((pid) => !alive(pid)) || undefined, 10_000);
  return code;
}

const printedToken = (output: string) => /TOKEN='([^']+)'/.exec(output)?.[1];

describe('npm start (embedded default)', () => {
  let dataDir: string;
  let ports: { PORT: string; LOCAL_S3_PORT: string; DEV_ISSUER_PORT: string };
  let env: NodeJS.ProcessEnv;
  const running: Started[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'edu-smoke-'));
    ports = { PORT: String(await freePort()), LOCAL_S3_PORT: String(await freePort()), DEV_ISSUER_PORT: String(await freePort()) };
    env = embeddedEnv({ ...ports, DATA_DIR: dataDir });
  });

  // Only if a test failed half-way: never leave a server behind, nor let it hold the ports for the next test.
  // (Its s3rver child exits by itself when the IPC channel to its parent closes.)
  afterEach(async () => {
    for (const started of running.splice(0)) {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        started.child.kill('SIGKILL');
        await started.exited;
      }
    }
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts, serves the AWS sample flow with the printed token, stops on SIGTERM with nothing left running, and keeps data and tokens across a restart', async () => {
    const first = start(process.execPath, ['-r', 'ts-node/register/transpile-only', 'example-server/main.ts'], env);
    running.push(first);
    await ready(first, Number(ports.PORT));
    const output = first.output();
    expect(output).toContain('embedded mode');
    expect(output).toContain(`local S3       http://127.0.0.1:${ports.LOCAL_S3_PORT}`);
    expect(output).toContain(`dev issuer     http://127.0.0.1:${ports.DEV_ISSUER_PORT}/`);
    const token = printedToken(output);
    expect(token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);

    // The printed curl lines themselves are run verbatim in bash by printed-curl.test.ts.
    const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2048, 9), Buffer.from([0xff, 0xd9])]);

    // The same flow step by step, then the object is checked in the local S3.
    const query = `contentType=image/jpeg&size=${bytes.length}`;
    const presign = await fetch(`http://localhost:${ports.PORT}/uploads?${query}`, { headers: { Authorization: `Bearer ${token}` } });
    expect(presign.status).toBe(200);
    const { uploadURL, key } = (await presign.json()) as { uploadURL: string; key: string };
    expect(new URL(uploadURL).origin).toBe(`http://127.0.0.1:${ports.LOCAL_S3_PORT}`);
    const put = await fetch(uploadURL, { method: 'PUT', headers: { 'Content-Type': 'image/jpeg' }, body: new Uint8Array(bytes) });
    expect(put.status).toBe(200);
    const s3 = new S3Client({ endpoint: `http://127.0.0.1:${ports.LOCAL_S3_PORT}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'direct-upload-dev', Key: key }));
    expect(head.ContentLength).toBe(bytes.length);
    expect(head.ContentType).toBe('image/jpeg');
    s3.destroy();

    const tree = descendants(first.child.pid!);
    expect(tree.length).toBeGreaterThanOrEqual(1); // the s3rver child
    const code = await stopAndCheck(first, first.child.pid!, [first.child.pid!, ...tree]);
    expect(code).toBe(0);
    expect(first.output()).toContain('SIGTERM: stopping');

    // Same DATA_DIR and ports: the object is still there and the token from the first run still verifies.
    const second = start(process.execPath, ['-r', 'ts-node/register/transpile-only', 'example-server/main.ts'], env);
    running.push(second);
    await ready(second, Number(ports.PORT));
    const again = await fetch(`http://localhost:${ports.PORT}/uploads/complete`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ key, size: bytes.length }),
    });
    expect(again.status).toBe(200);
    await expect(again.json()).resolves.toMatchObject({ key, size: bytes.length, contentType: 'image/jpeg' });
    const secondTree = descendants(second.child.pid!);
    expect(await stopAndCheck(second, second.child.pid!, [second.child.pid!, ...secondTree])).toBe(0);
  });

  it('through npm itself: a SIGTERM to npm alone still stops the server and its children', async () => {
    const started = start('npm', ['start', '--silent'], env);
    running.push(started);
    await ready(started, Number(ports.PORT));
    const tree = descendants(started.child.pid!);
    // npm, then sh -c, then node running main.ts, then the s3rver child.
    expect(tree.length).toBeGreaterThanOrEqual(2);
    await stopAndCheck(started, started.child.pid!, [started.child.pid!, ...tree]);
    await expect(fetch(`http://127.0.0.1:${ports.PORT}/healthz`)).rejects.toThrow();
  });

  it.each([
    ['PORT', 'The server could not listen'],
    ['LOCAL_S3_PORT', 'Local S3 could not listen'],
    ['DEV_ISSUER_PORT', 'Development issuer could not listen'],
  ])('a port in use (%s) is a clear start-up error naming the variable, and leaves nothing running', async (variable, message) => {
    const blocker = net.createServer();
    const taken = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      const started = start(process.execPath, ['-r', 'ts-node/register/transpile-only', 'example-server/main.ts'], { ...env, [variable]: String(taken) });
      running.push(started);
      const seen: number[] = [];
      const watcher = setInterval(() => seen.push(...descendants(started.child.pid!)), 50);
      const code = await started.exited;
      clearInterval(watcher);
      expect(code).toBe(1);
      expect(started.output()).toContain(message);
      expect(started.output()).toContain(`the port is in use. Choose another port (${variable})`);
      expect(started.output()).not.toMatch(/\n\s+at /); // one clear line, no stack trace
      expect([...new Set(seen)].filter(alive)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('HOST=0.0.0.0 in embedded mode exits with 1 and one line naming HOST and the fix, having started nothing', async () => {
    const started = start(process.execPath, ['-r', 'ts-node/register/transpile-only', 'example-server/main.ts'], { ...env, HOST: '0.0.0.0' });
    running.push(started);
    const seen: number[] = [];
    const watcher = setInterval(() => seen.push(...descendants(started.child.pid!)), 50);
    const code = await started.exited;
    clearInterval(watcher);
    expect(code).toBe(1);
    expect(started.output()).toMatch(/^example-server: HOST=0\.0\.0\.0 would let other machines reach the embedded development mode/m);
    expect(started.output()).toContain('set HOST=127.0.0.1 (the default), localhost or ::1, or configure Auth0 and S3 to run the real mode');
    expect(started.output()).not.toMatch(/\n\s+at /);
    expect(started.output()).not.toContain('Ready on');
    expect(seen).toEqual([]);
  });
});
