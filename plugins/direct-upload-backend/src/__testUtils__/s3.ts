// The project's real local S3 for the plugins' tests: s3rver in a child process, or a bucket on the jest run's Ceph RGW.
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createBucketWithCors } from '../../../../dev/bucket';
import { startLocalS3 } from '../../../../dev/local-s3';
import { s3Client, type LocalS3Connection } from '../../../../dev/s3-connection';
import { validateDeploymentConfig } from '../../../../terraform/config';
import { uploadCorsRule } from '../../../../terraform/cors';

export interface PluginS3 {
  bucket: string;
  endpoint: string;
  /** An SDK client for checking what landed in the bucket. */
  client: S3Client;
  /** The `directUpload` app-config section that points the plugin at this S3. */
  config(overrides?: Record<string, unknown>): Record<string, unknown> & { bucket: string };
  stop(): Promise<void>;
}

/** Page origins the bucket's CORS admits when a test names none: jsdom's default document origin. */
const DEFAULT_TEST_ORIGINS = ['http://localhost'];

/** The Terraform stack's CORS rule for a test bucket, so a browser-side test meets what a deployed bucket answers. */
const corsRuleFor = (bucket: string, origins: string[]) => uploadCorsRule(validateDeploymentConfig({ bucketName: bucket, allowedOrigins: origins }));

function pluginS3(bucket: string, connection: LocalS3Connection, stop: () => Promise<void>): PluginS3 {
  const client = s3Client(connection);
  return {
    bucket,
    endpoint: connection.endpoint,
    client,
    config: (overrides = {}) => ({
      bucket,
      region: connection.region,
      endpoint: connection.endpoint,
      forcePathStyle: true,
      credentials: { ...connection.credentials },
      ...overrides,
    }),
    stop: async () => {
      client.destroy();
      await stop();
    },
  };
}

/** A fresh s3rver with one bucket, in its own temp directory; its CORS admits `origins` (jsdom's by default). */
export async function startLocalPluginS3(bucket: string, origins: string[] = DEFAULT_TEST_ORIGINS): Promise<PluginS3> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'edu-backstage-s3-'));
  const s3 = await startLocalS3({ directory, buckets: [{ name: bucket, cors: corsRuleFor(bucket, origins) }] });
  return pluginS3(bucket, s3, async () => {
    await s3.stop();
    await rm(directory, { recursive: true, force: true });
  });
}

/** A bucket with a random name on the verifying S3 (Ceph RGW) that jest's global setup started. */
export async function rgwPluginS3(rgw: LocalS3Connection, prefix: string, origins: string[] = DEFAULT_TEST_ORIGINS): Promise<PluginS3> {
  const bucket = `${prefix}-${randomBytes(4).toString('hex')}`;
  const s3 = pluginS3(bucket, rgw, async () => undefined);
  await createBucketWithCors(s3.client, bucket, corsRuleFor(bucket, origins));
  return s3;
}
