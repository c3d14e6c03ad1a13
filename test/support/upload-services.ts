// Starts the real services a router test needs (the dev OpenID issuer and an S3 with a bucket) and builds directUpload() apps on them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import express, { type Express } from 'express';
import { createBucketWithCors } from '../../dev/bucket';
import { startDevIssuer, type DevIssuer, type TokenRequest } from '../../dev/issuer';
import { startLocalS3 } from '../../dev/local-s3';
import { s3Client, s3ClientConfig, type LocalS3Connection } from '../../dev/s3-connection';
import { directUpload, type DirectUploadOptions } from '../../middleware';
import { validateDeploymentConfig } from '../../terraform/config';
import { uploadCorsRule } from '../../terraform/cors';

export const TEST_AUDIENCE = 'https://uploads.test/api';
export const TEST_ORIGIN = 'http://localhost:3000';

export interface UploadServices {
  issuer: DevIssuer;
  s3: LocalS3Connection;
  bucket: string;
  /** An SDK client for checking what landed in the bucket. */
  client: S3Client;
  /** directUpload() options wired to these services; pass overrides. */
  options(overrides?: Partial<DirectUploadOptions>): DirectUploadOptions;
  /** An Express app with directUpload() mounted. */
  app(overrides?: Partial<DirectUploadOptions>): Express;
  token(sub?: string, extra?: Partial<TokenRequest>): Promise<string>;
  stop(): Promise<void>;
}

/** The Terraform stack's CORS rule for a test bucket, so tests see what production sees. */
const testCorsRule = (bucket: string, origins: string[] = [TEST_ORIGIN]) =>
  uploadCorsRule(validateDeploymentConfig({ bucketName: bucket, allowedOrigins: origins }));

/**
 * The issuer plus an S3: a fresh s3rver in a child process by default, or the given verifying S3 (Ceph RGW from
 * jest's global setup), where a bucket with a random name is created so test files never share one.
 */
export async function startUploadServices(bucket = 'test-uploads', verifying?: LocalS3Connection): Promise<UploadServices> {
  if (verifying) {
    const issuer = await startDevIssuer({ audience: TEST_AUDIENCE });
    const client = s3Client(verifying);
    const name = `${bucket}-${randomBytes(4).toString('hex')}`;
    await createBucketWithCors(client, name, testCorsRule(name));
    return servicesOf(issuer, verifying, name, client, async () => {
      client.destroy();
      await issuer.stop();
    });
  }
  const directory = await mkdtemp(path.join(os.tmpdir(), 'edu-s3-'));
  const [issuer, s3] = await Promise.all([
    startDevIssuer({ audience: TEST_AUDIENCE }),
    startLocalS3({ directory, buckets: [{ name: bucket, allowedOrigins: [TEST_ORIGIN] }] }),
  ]);
  const client = s3Client(s3);
  return servicesOf(issuer, s3, bucket, client, async () => {
    client.destroy();
    await Promise.all([issuer.stop(), s3.stop()]);
    await rm(directory, { recursive: true, force: true });
  });
}

function servicesOf(issuer: DevIssuer, s3: LocalS3Connection, bucket: string, client: S3Client, stop: () => Promise<void>): UploadServices {
  const options = (overrides: Partial<DirectUploadOptions> = {}): DirectUploadOptions => ({
    bucket,
    region: s3.region,
    s3: s3ClientConfig(s3),
    auth: { issuerBaseURL: issuer.url, audience: TEST_AUDIENCE },
    onError: () => undefined,
    ...overrides,
  });
  return {
    issuer,
    s3,
    bucket,
    client,
    options,
    app(overrides = {}) {
      const app = express();
      app.use(directUpload(options(overrides)));
      return app;
    },
    token: (sub = 'auth0|alice', extra = {}) => issuer.issue({ sub, ...extra }),
    stop,
  };
}
