// Jest global setup: starts one Ceph RGW per jest run, only when a selected test file needs it, and exports it to workers.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rgwAvailability, startRgw, type RgwInstance } from '../../dev/rgw';
import { exportRgwEnv, isRgwRequired, RGW_ENV } from './rgw';

/** Where global teardown finds the instance: jest loads setup and teardown as separate modules but in one process. */
export const RGW_GLOBAL_KEY = '__expressDirectUploadRgw';

/** The text that marks a test file as needing RGW: every such file calls this helper. */
const RGW_MARKER = 'describeWithRgw';

/** The slice of jest's GlobalConfig this file reads; typed here so it needs no @jest/types import. */
interface GlobalConfigSlice {
  rootDir: string;
  listTests?: boolean;
  onlyChanged?: boolean;
  findRelatedTests?: boolean;
  lastCommit?: boolean;
  changedSince?: string;
  watch?: boolean;
  watchAll?: boolean;
  testPathPatterns?: {
    isSet(): boolean;
    toExecutor?(options: { rootDir: string }): { isMatch(absPath: string): boolean };
  };
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/**
 * Whether this run may include a test that needs RGW. Starting it costs about 2 s and 140 MB, which a
 * `jest test/unit` run should not pay, so the answer is "no" only when the selected files clearly don't
 * use describeWithRgw. Runs whose file set jest computes later (changed files, related tests) count as "yes".
 */
function runNeedsRgw(config: GlobalConfigSlice): { needed: boolean; why: string } {
  if (config.listTests) return { needed: false, why: 'jest --listTests runs no tests' };
  if (config.onlyChanged || config.findRelatedTests || config.lastCommit || config.changedSince || config.watch || config.watchAll) {
    return { needed: true, why: 'the test files are chosen after global setup' };
  }
  const testDir = path.join(config.rootDir, 'test');
  if (!existsSync(testDir)) return { needed: false, why: `there is no ${testDir}` };
  let files = testFiles(testDir);
  const patterns = config.testPathPatterns;
  if (patterns?.isSet()) {
    if (typeof patterns.toExecutor !== 'function') return { needed: true, why: 'unknown jest pattern API' };
    const executor = patterns.toExecutor({ rootDir: config.rootDir });
    files = files.filter((file) => executor.isMatch(file));
  }
  const users = files.filter((file) => readFileSync(file, 'utf8').includes(RGW_MARKER));
  if (users.length === 0) return { needed: false, why: `no selected test file uses ${RGW_MARKER}` };
  return { needed: true, why: `${users.length} test file(s) use ${RGW_MARKER}` };
}

function unavailable(reason: string): void {
  if (isRgwRequired()) {
    throw new Error(`${RGW_ENV.required}=1 but the verifying S3 (Ceph RGW) cannot start: ${reason}`);
  }
  process.env[RGW_ENV.unavailableReason] = reason;
  process.stderr.write(`\nRGW: not available, its tests will be skipped: ${reason}\n`);
}

export default async function globalSetup(config: GlobalConfigSlice): Promise<void> {
  // An endpoint given by the developer (their own rgw.sh, or another S3-compatible server) wins.
  if (process.env[RGW_ENV.endpoint]) return;

  const need = runNeedsRgw(config);
  if (!need.needed) {
    // Recorded so a test that does need RGW (say, one the marker scan missed) says why it got none.
    process.env[RGW_ENV.unavailableReason] = `not started by global setup: ${need.why}`;
    return;
  }

  const availability = rgwAvailability();
  if (!availability.available) return unavailable(availability.reason);
  if (availability.installs.length > 0) {
    process.stderr.write(`\nRGW: installing Debian packages ${availability.installs.join(' ')} first\n`);
  }

  let rgw: RgwInstance;
  try {
    rgw = await startRgw();
  } catch (err) {
    return unavailable((err as Error).message);
  }
  (globalThis as Record<string, unknown>)[RGW_GLOBAL_KEY] = rgw;
  exportRgwEnv(rgw);
  process.stderr.write(`\nRGW: ${rgw.endpoint} started in ${rgw.startMs} ms (${need.why}); logs in ${rgw.dir}/log\n`);
}
