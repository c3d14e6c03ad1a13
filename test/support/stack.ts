// Starts the real servers an integration test needs (local S3 in a child process, the dev OpenID issuer) and stops them.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import express, { type Express } from 'express';
import { startDevIssuer, type DevIssuer, type TokenRequest } from '../../example-server/embedded/dev-issuer';
import { startLocalS3, type LocalS3 } from '../../example-server/embedded/local-s3';
import { directUpload, type DirectUploadOptions } from '../../middleware';

export const TEST_AUDIENCE = 'https://uploads.test/api';
export const TEST_ORIGIN = 'http://localhost:3000';

export interface S3Target {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface TestStack {
  issuer: DevIssuer;
  s3: LocalS3;
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

export async function startTestStack(bucket = 'test-uploads'): Promise<TestStack> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'edu-s3-'));
  const [issuer, s3] = await Promise.all([
    startDevIssuer({ audience: TEST_AUDIENCE }),
    startLocalS3({ directory, buckets: [{ name: bucket, allowedOrigins: [TEST_ORIGIN] }] }),
  ]);
  const client = s3ClientFor(s3);
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
    async stop() {
      client.destroy();
      await Promise.all([issuer.stop(), s3.stop()]);
      await rm(directory, { recursive: true, force: true });
    },
  };
}
