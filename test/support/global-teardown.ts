// Jest global teardown: stops the Ceph RGW that global setup started, whether the tests passed or not.
import { RGW_GLOBAL_KEY } from './global-setup';
import type { RgwInstance } from '../../dev/rgw';
import { RGW_ENV } from './rgw';

export default async function globalTeardown(): Promise<void> {
  const store = globalThis as Record<string, unknown>;
  const rgw = store[RGW_GLOBAL_KEY] as RgwInstance | undefined;
  if (!rgw) return;
  delete store[RGW_GLOBAL_KEY];
  // In watch mode setup runs again in this process; a stale endpoint would look like a developer-given one.
  for (const name of [RGW_ENV.endpoint, RGW_ENV.region, RGW_ENV.accessKeyId, RGW_ENV.secretAccessKey]) delete process.env[name];
  await rgw.stop();
}
