// Starts a throwaway Ceph RADOS Gateway (a verifying S3) for tests, and tells test files whether they can use one.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The script that bootstraps and ends the cluster; see its header for what it does. */
export const RGW_SCRIPT = path.resolve(__dirname, '../rgw/rgw.sh');

/**
 * How global setup hands the running RGW to test workers: workers are forked after global setup,
 * so they inherit these from process.env. Set RGW_ENDPOINT (and the keys) yourself to test against
 * a cluster you started with `rgw.sh start`, or any other S3-compatible endpoint.
 */
export const RGW_ENV = Object.freeze({
  endpoint: 'RGW_ENDPOINT',
  region: 'RGW_REGION',
  accessKeyId: 'RGW_ACCESS_KEY_ID',
  secretAccessKey: 'RGW_SECRET_ACCESS_KEY',
  unavailableReason: 'RGW_UNAVAILABLE_REASON',
  /** `1` makes a missing RGW fail the run instead of skipping its tests (CI sets it). */
  required: 'REQUIRE_RGW',
});

/** Where and how to reach a verifying S3. */
export interface RgwConnection {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A cluster this process started; `stop()` ends its daemons and removes its directory. */
export interface RgwInstance extends RgwConnection {
  readonly dir: string;
  /** Milliseconds `rgw.sh start` took, packages already installed or not. */
  readonly startMs: number;
  stop(): Promise<void>;
}

export type RgwAvailability = { available: true; installs: string[] } | { available: false; reason: string };

/** Commands rgw.sh runs, with the Debian package that provides each one. */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  'ceph-mon': 'ceph-mon',
  monmaptool: 'ceph-mon',
  'ceph-osd': 'ceph-osd',
  radosgw: 'radosgw',
  'radosgw-admin': 'radosgw',
  ceph: 'ceph-common',
  uuidgen: 'uuid-runtime',
  curl: 'curl',
};

const DEFAULT_START_TIMEOUT_MS = 180_000;

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(path.join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export function isRgwRequired(): boolean {
  return process.env[RGW_ENV.required] === '1';
}

/**
 * Whether `startRgw()` can work on this machine, without starting anything (a few PATH lookups).
 * Missing packages are fine when rgw.sh may install them: root with apt-get, and RGW_NO_INSTALL unset.
 */
export function rgwAvailability(): RgwAvailability {
  if (process.platform !== 'linux') return { available: false, reason: `Ceph RGW needs Linux, this is ${process.platform}` };
  if (!onPath('bash')) return { available: false, reason: 'bash is not on PATH' };
  const missing = [...new Set(Object.keys(PACKAGE_OF).filter((c) => !onPath(c)).map((c) => PACKAGE_OF[c]))].sort();
  if (missing.length === 0) return { available: true, installs: [] };
  const canInstall = process.getuid?.() === 0 && onPath('apt-get') && process.env.RGW_NO_INSTALL !== '1';
  if (canInstall) return { available: true, installs: missing };
  return {
    available: false,
    reason: `Debian packages ${missing.join(' ')} are not installed (apt-get install -y --no-install-recommends ${missing.join(' ')})`,
  };
}

/** Runs rgw.sh; resolves with its stdout, rejects with the end of its stderr (which names the log to read). */
function runScript(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // stdin is closed and the daemons redirect their output, so 'close' fires when the script itself exits.
    const child = spawn('bash', [RGW_SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // SIGTERM lets the script's exit trap stop whatever it had started.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const why = signal ? `was killed by ${signal} after ${timeoutMs} ms` : `exited with ${code}`;
      const tail = stderr.trim().split('\n').slice(-15).join('\n');
      reject(new Error(`rgw.sh ${args.join(' ')} ${why}${tail ? `:\n${tail}` : ''}`));
    });
  });
}

/**
 * Starts a single-node Ceph cluster with RGW on 127.0.0.1 in a new temp directory (about 2 s once the
 * packages are installed). A watchdog in rgw.sh stops it if this process dies without calling stop().
 */
export async function startRgw(options: { timeoutMs?: number } = {}): Promise<RgwInstance> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'express-direct-upload-rgw-'));
  const env = { ...process.env, RGW_OWNER_PID: String(process.pid) };
  const started = Date.now();
  const stdout = await runScript(['start', dir], env, options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  const startMs = Date.now() - started;
  const line = stdout.trim().split('\n').pop() ?? '';
  let info: RgwConnection;
  try {
    info = JSON.parse(line) as RgwConnection;
  } catch {
    await runScript(['stop', dir], process.env, 30_000).catch(() => undefined);
    throw new Error(`rgw.sh start printed no JSON line: ${JSON.stringify(stdout)}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint: info.endpoint,
    region: info.region,
    accessKeyId: info.accessKeyId,
    secretAccessKey: info.secretAccessKey,
    dir,
    startMs,
    // Idempotent, so a teardown that runs twice (or after a failed test's own cleanup) is harmless.
    stop: () => (stopping ??= runScript(['stop', dir], process.env, 60_000).then(() => undefined)),
  };
}

/** Puts a connection into process.env, where test workers read it. */
export function exportRgwEnv(rgw: RgwConnection): void {
  process.env[RGW_ENV.endpoint] = rgw.endpoint;
  process.env[RGW_ENV.region] = rgw.region;
  process.env[RGW_ENV.accessKeyId] = rgw.accessKeyId;
  process.env[RGW_ENV.secretAccessKey] = rgw.secretAccessKey;
  delete process.env[RGW_ENV.unavailableReason];
}

/** The RGW that global setup (or the developer) put in the environment, or why there is none. */
export function rgwFromEnv(): { connection: RgwConnection } | { reason: string } {
  const endpoint = process.env[RGW_ENV.endpoint];
  const accessKeyId = process.env[RGW_ENV.accessKeyId];
  const secretAccessKey = process.env[RGW_ENV.secretAccessKey];
  if (endpoint && accessKeyId && secretAccessKey) {
    return { connection: { endpoint, region: process.env[RGW_ENV.region] || 'us-east-1', accessKeyId, secretAccessKey } };
  }
  if (endpoint) return { reason: `${RGW_ENV.endpoint} is set but ${RGW_ENV.accessKeyId}/${RGW_ENV.secretAccessKey} are not` };
  return {
    reason:
      process.env[RGW_ENV.unavailableReason] ||
      `${RGW_ENV.endpoint} is not set: jest's globalSetup (test/support/global-setup.ts) did not run or did not start RGW`,
  };
}

/** A connection whose every field throws: handed to skipped blocks, whose bodies jest still runs to collect tests. */
function unusableConnection(reason: string): RgwConnection {
  const fail = (): never => {
    throw new Error(`RGW is unavailable: ${reason}`);
  };
  return Object.defineProperties({} as RgwConnection, {
    endpoint: { get: fail },
    region: { get: fail },
    accessKeyId: { get: fail },
    secretAccessKey: { get: fail },
  });
}

/**
 * `describe()` for tests that need a verifying S3. Without RGW the block is skipped with the reason in
 * its name, so the report shows it; with REQUIRE_RGW=1 a missing RGW is a failing test instead.
 */
export function describeWithRgw(name: string, fn: (rgw: RgwConnection) => void): void {
  const found = rgwFromEnv();
  if ('connection' in found) {
    describe(name, () => fn(found.connection));
  } else if (isRgwRequired()) {
    describe(name, () => {
      test('has a verifying S3 (Ceph RGW) to run against', () => {
        throw new Error(`${RGW_ENV.required}=1 but RGW is unavailable: ${found.reason}`);
      });
    });
  } else {
    // Jest prints no test names for a file whose tests are all skipped; the warning makes the reason show anyway.
    console.warn(`RGW unavailable, skipping "${name}": ${found.reason}`);
    describe.skip(`${name} (skipped: ${found.reason})`, () => fn(unusableConnection(found.reason)));
  }
}
