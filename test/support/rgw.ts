// Hands the jest run's Ceph RGW (started by global setup) to test files, and skips or fails their tests when there is none.
import type { LocalS3Connection } from '../../dev/s3-connection';

/**
 * How global setup hands the running RGW to test workers: workers are forked after global setup,
 * so they inherit these from process.env. Set RGW_ENDPOINT (and the keys) yourself to test against
 * a cluster you started with `bash dev/rgw.sh start DIR`, or any other S3-compatible endpoint.
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

export function isRgwRequired(): boolean {
  return process.env[RGW_ENV.required] === '1';
}

/** Puts a connection into process.env, where test workers read it. */
export function exportRgwEnv(rgw: LocalS3Connection): void {
  process.env[RGW_ENV.endpoint] = rgw.endpoint;
  process.env[RGW_ENV.region] = rgw.region;
  process.env[RGW_ENV.accessKeyId] = rgw.credentials.accessKeyId;
  process.env[RGW_ENV.secretAccessKey] = rgw.credentials.secretAccessKey;
  delete process.env[RGW_ENV.unavailableReason];
}

/** The RGW that global setup (or the developer) put in the environment, or why there is none. */
export function rgwFromEnv(): { connection: LocalS3Connection } | { reason: string } {
  const endpoint = process.env[RGW_ENV.endpoint];
  const accessKeyId = process.env[RGW_ENV.accessKeyId];
  const secretAccessKey = process.env[RGW_ENV.secretAccessKey];
  if (endpoint && accessKeyId && secretAccessKey) {
    const region = process.env[RGW_ENV.region] || 'us-east-1';
    return { connection: { endpoint, region, credentials: { accessKeyId, secretAccessKey }, forcePathStyle: true } };
  }
  if (endpoint) return { reason: `${RGW_ENV.endpoint} is set but ${RGW_ENV.accessKeyId}/${RGW_ENV.secretAccessKey} are not` };
  return {
    reason:
      process.env[RGW_ENV.unavailableReason] ||
      `${RGW_ENV.endpoint} is not set: jest's globalSetup (test/support/global-setup.ts) did not run or did not start RGW`,
  };
}

/** A connection whose every field throws: handed to skipped blocks, whose bodies jest still runs to collect tests. */
function unusableConnection(reason: string): LocalS3Connection {
  const fail = (): never => {
    throw new Error(`RGW is unavailable: ${reason}`);
  };
  return Object.defineProperties({} as LocalS3Connection, {
    endpoint: { get: fail },
    region: { get: fail },
    credentials: { get: fail },
    forcePathStyle: { get: fail },
  });
}

/**
 * `describe()` for tests that need a verifying S3. Without RGW the block is skipped with the reason in
 * its name, so the report shows it; with REQUIRE_RGW=1 a missing RGW is a failing test instead.
 */
export function describeWithRgw(name: string, fn: (rgw: LocalS3Connection) => void): void {
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
