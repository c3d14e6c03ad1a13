// The project's real local S3 for the plugin's tests: s3rver in a child process, or a bucket on the jest run's Ceph RGW.
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { startLocalS3 } from '../../../../example-server/embedded/local-s3';
import type { RgwConnection } from '../../../../test/support/rgw';
import { createBucket, s3ClientFor } from '../../../../test/support/stack';

export interface PluginS3 {
  bucket: string;
  endpoint: string;
  /** An SDK client for checking what landed in the bucket. */
  client: S3Client;
  /** The `directUpload` app-config section that points the plugin at this S3. */
  config(overrides?: Record<string, unknown>): Record<string, unknown> & { bucket: string };
  stop(): Promise<void>;
}

function pluginS3(bucket: string, target: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } }, stop: () => Promise<void>): PluginS3 {
  const client = s3ClientFor(target);
  return {
    bucket,
    endpoint: target.endpoint,
    client,
    config: (overrides = {}) => ({ bucket, region: target.region, endpoint: target.endpoint, forcePathStyle: true, credentials: target.credentials, ...overrides }),
    stop: async () => {
      client.destroy();
      await stop();
    },
  };
}

/** A fresh s3rver with one bucket, in its own temp directory. */
export async function startLocalPluginS3(bucket: string): Promise<PluginS3> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'edu-backstage-s3-'));
  const s3 = await startLocalS3({ directory, buckets: [{ name: bucket }] });
  return pluginS3(bucket, s3, async () => {
    await s3.stop();
    await rm(directory, { recursive: true, force: true });
  });
}

/** A bucket with a random name on the verifying S3 (Ceph RGW) that jest's global setup started. */
export async function rgwPluginS3(rgw: RgwConnection, prefix: string): Promise<PluginS3> {
  const target = { endpoint: rgw.endpoint, region: rgw.region, credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey } };
  const bucket = `${prefix}-${randomBytes(4).toString('hex')}`;
  const s3 = pluginS3(bucket, target, async () => undefined);
  await createBucket(s3.client, bucket);
  return s3;
}
