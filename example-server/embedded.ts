// The embedded default: a local S3 (s3rver child process) and the development issuer, started together and stopped together.
import path from 'node:path';
import { uploadCorsRule } from '../terraform/cors';
import type { EmbeddedSettings } from './config';
import { EMBEDDED_AUDIENCE } from './config';
import { startDevIssuer, type DevIssuer } from '../dev/issuer';
import { startLocalS3, type LocalS3 } from '../dev/local-s3';

export interface Embedded {
  s3: LocalS3;
  issuer: DevIssuer;
  /** Stops both; safe to call more than once. */
  stop(): Promise<void>;
}

/** Where the embedded services keep their state under DATA_DIR; both survive restarts. */
export const embeddedPaths = (dataDir: string) => ({
  s3: path.join(dataDir, 's3'),
  issuerKey: path.join(dataDir, 'dev-issuer-key.json'),
});

/**
 * Starts the local S3 with the bucket and CORS for the page's origins, and the dev issuer, both on loopback.
 * If one fails (say its port is taken) the other is stopped, so a failed start leaves nothing running.
 */
export async function startEmbedded(settings: EmbeddedSettings, pageOrigins: string[]): Promise<Embedded> {
  const paths = embeddedPaths(settings.dataDir);
  const [s3, issuer] = await Promise.allSettled([
    startLocalS3({
      directory: paths.s3,
      // The Terraform stack's own CORS rule, so a header the page sends but the real bucket would refuse fails here too.
      buckets: [{ name: settings.deployment.bucketName, cors: uploadCorsRule({ ...settings.deployment, allowedOrigins: pageOrigins }) }],
      port: settings.localS3Port,
      host: '127.0.0.1',
    }),
    startDevIssuer({ audience: EMBEDDED_AUDIENCE, port: settings.devIssuerPort, host: '127.0.0.1', keyFile: paths.issuerKey }),
  ]);
  if (s3.status === 'rejected' || issuer.status === 'rejected') {
    await Promise.all([s3.status === 'fulfilled' && s3.value.stop(), issuer.status === 'fulfilled' && issuer.value.stop()]);
    throw s3.status === 'rejected' ? s3.reason : (issuer as PromiseRejectedResult).reason;
  }
  let stopping: Promise<void> | undefined;
  return {
    s3: s3.value,
    issuer: issuer.value,
    stop: () => (stopping ??= Promise.all([s3.value.stop(), issuer.value.stop()]).then(() => undefined)),
  };
}
