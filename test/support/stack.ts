// Starts the real servers an integration test needs (local S3 in a child process, the dev OpenID issuer) and stops them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, PutBucketCorsCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import express, { type Express } from 'express';
import { startDevIssuer, type DevIssuer, type TokenRequest } from '../../example-server/embedded/dev-issuer';
import { startLocalS3 } from '../../example-server/embedded/local-s3';
import { directUpload, type DirectUploadOptions } from '../../middleware';
import { validateDeploymentConfig } from '../../terraform/config';
import { sdkCorsRule, uploadCorsRule } from '../../terraform/cors';

export const TEST_AUDIENCE = 'https://uploads.test/api';
export const TEST_ORIGIN = 'http://localhost:3000';

export interface S3Target {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface TestStack {
  issuer: DevIssuer;
  s3: S3Target;
  bucket: string;
  /** An SDK client for checking what landed in the bucket. */
  client: S3Client;
  /** directUpload() options wired to this stack; pass overrides. */
  options(overrides?: Partial<DirectUploadOptions>): DirectUploadOptions;
  /** An Express app with directUpload() mounted. */
  app(overrides?: Partial<DirectUploadOptions>): Express;
  token(sub?: string, extra?: Partial<TokenRequest>): Promise<string>;
  stop(): Promise<void>;
}

export function s3ClientFor(target: S3Target): S3Client {
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    forcePathStyle: true,
    credentials: target.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export function optionsFor(target: S3Target, issuer: DevIssuer, bucket: string, overrides: Partial<DirectUploadOptions> = {}): DirectUploadOptions {
  return {
    bucket,
    region: target.region,
    s3: { endpoint: target.endpoint, forcePathStyle: true, credentials: target.credentials },
    auth: { issuerBaseURL: issuer.url, audience: TEST_AUDIENCE },
    onError: () => undefined,
    ...overrides,
  };
}

/** A verifying S3 that someone else runs (Ceph RGW from jest's global setup). */
export interface ExternalS3 {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Creates a bucket with the very CORS rule the terraform stack deploys, so tests see what production sees. */
export async function createBucket(client: S3Client, bucket: string, origins: string[] = [TEST_ORIGIN]): Promise<void> {
  const rule = uploadCorsRule(validateDeploymentConfig({ bucketName: bucket, allowedOrigins: origins }));
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await client.send(
    new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [sdkCorsRule(rule)],
      },
    }),
  );
}

/**
 * The issuer plus an S3: a fresh s3rver in a child process by default, or the given verifying S3, where a
 * bucket with a random name is created so test files never share one.
 */
export async function startTestStack(bucket = 'test-uploads', external?: ExternalS3): Promise<TestStack> {
  if (external) {
    const issuer = await startDevIssuer({ audience: TEST_AUDIENCE });
    const s3: S3Target = { endpoint: external.endpoint, region: external.region, credentials: { accessKeyId: external.accessKeyId, secretAccessKey: external.secretAccessKey } };
    const client = s3ClientFor(s3);
    const name = `${bucket}-${randomBytes(4).toString('hex')}`;
    await createBucket(client, name);
    return stackOf(issuer, s3, name, client, async () => {
      client.destroy();
      await issuer.stop();
    });
  }
  const directory = await mkdtemp(path.join(os.tmpdir(), 'edu-s3-'));
  const [issuer, s3] = await Promise.all([
    startDevIssuer({ audience: TEST_AUDIENCE }),
    startLocalS3({ directory, buckets: [{ name: bucket, allowedOrigins: [TEST_ORIGIN] }] }),
  ]);
  const client = s3ClientFor(s3);
  return stackOf(issuer, s3, bucket, client, async () => {
    client.destroy();
    await Promise.all([issuer.stop(), s3.stop()]);
    await rm(directory, { recursive: true, force: true });
  });
}

function stackOf(issuer: DevIssuer, s3: S3Target, bucket: string, client: S3Client, stop: () => Promise<void>): TestStack {
  const options = (overrides: Partial<DirectUploadOptions> = {}) => optionsFor(s3, issuer, bucket, overrides);
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
