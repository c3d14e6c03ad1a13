// Starts and stops a throwaway Ceph RADOS Gateway (a verifying S3 with multipart) through rgw.sh, and says whether one can run here.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LocalS3Connection } from './s3-connection';

/** The script that bootstraps and ends the cluster; see its header for what it does. */
export const RGW_SCRIPT = path.resolve(__dirname, 'rgw.sh');

/** A cluster this process started; `stop()` ends its daemons and removes its directory. */
export interface RgwInstance extends LocalS3Connection {
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

/**
 * Whether `startRgw()` can work on this machine, without starting anything (a few PATH lookups).
 * Missing packages are fine when rgw.sh may install them: `install` not false, root with apt-get, RGW_NO_INSTALL unset.
 */
export function rgwAvailability(options: { install?: boolean } = {}): RgwAvailability {
  if (process.platform !== 'linux') return { available: false, reason: `Ceph RGW needs Linux, this is ${process.platform}` };
  if (!onPath('bash')) return { available: false, reason: 'bash is not on PATH' };
  const missing = [...new Set(Object.keys(PACKAGE_OF).filter((c) => !onPath(c)).map((c) => PACKAGE_OF[c]))].sort();
  if (missing.length === 0) return { available: true, installs: [] };
  const canInstall = options.install !== false && process.getuid?.() === 0 && onPath('apt-get') && process.env.RGW_NO_INSTALL !== '1';
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
    // Its own session: a Ctrl+C in the terminal reaches only the owner, whose orderly stop ends the daemons in order
    // (signalled all at once, RGW waits 10 s or more on its OSD); the watchdog covers an owner that dies instead.
    const child = spawn('bash', [RGW_SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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

export interface StartRgwOptions {
  /** How long `rgw.sh start` may take, package installation included. It defaults to 180 s. */
  timeoutMs?: number;
  /** Let rgw.sh install missing Debian packages (as root). It defaults to true; `npm start` passes false. */
  install?: boolean;
}

/**
 * Starts a single-node Ceph cluster with RGW on 127.0.0.1 in a new temp directory (about 2 s once the
 * packages are installed). A watchdog in rgw.sh stops it if this process dies without calling stop().
 * Its data lives in RAM (memstore) and is gone on stop.
 */
export async function startRgw(options: StartRgwOptions = {}): Promise<RgwInstance> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'express-direct-upload-rgw-'));
  const env = { ...process.env, RGW_OWNER_PID: String(process.pid), ...(options.install === false ? { RGW_NO_INSTALL: '1' } : {}) };
  const started = Date.now();
  const stdout = await runScript(['start', dir], env, options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  const startMs = Date.now() - started;
  const line = stdout.trim().split('\n').pop() ?? '';
  let info: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  try {
    info = JSON.parse(line) as typeof info;
  } catch {
    await runScript(['stop', dir], process.env, 30_000).catch(() => undefined);
    throw new Error(`rgw.sh start printed no JSON line: ${JSON.stringify(stdout)}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint: info.endpoint,
    region: info.region,
    credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    forcePathStyle: true,
    dir,
    startMs,
    // Idempotent, so a teardown that runs twice (or after a failed test's own cleanup) is harmless.
    stop: () => (stopping ??= runScript(['stop', dir], process.env, 60_000).then(() => undefined)),
  };
}
