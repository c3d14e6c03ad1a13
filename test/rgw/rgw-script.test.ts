// Tests of the RGW tooling itself: rgw.sh's safety checks, rgwAvailability(), and a second cluster started and stopped beside the first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { RGW_SCRIPT, rgwAvailability, startRgw } from '../../dev/rgw';
import { s3Client } from '../../dev/s3-connection';
import { describeWithRgw } from '../support/rgw';

function runScript(...args: string[]) {
  return spawnSync('bash', [RGW_SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, RGW_NO_INSTALL: '1' } });
}

/** True while the pid runs; a zombie (exited, not yet reaped by init) counts as gone, as in rgw.sh. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('rgw.sh safety checks', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rgw-sh-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('stop refuses a directory that start did not create, and leaves it alone', () => {
    writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
    const result = runScript('stop', dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('was not created by rgw.sh start');
    expect(readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });

  test('start refuses a directory that is not empty', () => {
    writeFileSync(path.join(dir, 'something'), '');
    const result = runScript('start', dir);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('is not empty');
    expect(result.stdout).toBe('');
  });

  test('an unknown command prints the usage', () => {
    const result = runScript('restart', dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage: .* start DIR \| stop DIR/);
  });
});

describe('rgwAvailability()', () => {
  const saved = { PATH: process.env.PATH, RGW_NO_INSTALL: process.env.RGW_NO_INSTALL };
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.RGW_NO_INSTALL === undefined) delete process.env.RGW_NO_INSTALL;
    else process.env.RGW_NO_INSTALL = saved.RGW_NO_INSTALL;
  });

  test('names the missing Debian packages when it may not install them', () => {
    // A PATH holding only bash: every tool rgw.sh needs is missing.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'rgw-only-bash-'));
    try {
      symlinkSync(spawnSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim(), path.join(bin, 'bash'));
      process.env.PATH = bin;
      process.env.RGW_NO_INSTALL = '1';
      const availability = rgwAvailability();
      if (availability.available) throw new Error('expected RGW to be unavailable with the ceph tools off PATH');
      for (const pkg of ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph-common', 'uuid-runtime', 'curl']) expect(availability.reason).toContain(pkg);
      expect(availability.reason).toContain('apt-get install');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test('says so when bash itself is missing', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'rgw-empty-path-'));
    try {
      process.env.PATH = empty;
      expect(rgwAvailability()).toEqual({ available: false, reason: 'bash is not on PATH' });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describeWithRgw('a second cluster beside the one global setup started', (rgw) => {
  test('starts on other ports, serves S3, and stop ends exactly its daemons and removes its directory', async () => {
    const second = await startRgw();
    let stopped = false;
    try {
      expect(second.endpoint).not.toBe(rgw.endpoint);
      const pids = readFileSync(path.join(second.dir, 'pids'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(' '));
      expect(pids.map(([name]) => name)).toEqual(expect.arrayContaining(['mon', 'osd', 'rgw', 'watchdog']));
      for (const [, pid] of pids) expect(running(Number(pid))).toBe(true);

      const client = s3Client(second);
      await expect(client.send(new ListBucketsCommand({}))).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
      client.destroy();

      await second.stop();
      stopped = true;
      for (const [, pid] of pids) expect(running(Number(pid))).toBe(false);
      expect(existsSync(second.dir)).toBe(false);
      // The first cluster is untouched.
      expect((await fetch(rgw.endpoint)).status).toBe(200);
    } finally {
      if (!stopped) await second.stop();
    }
  });
});
