// The embedded default: a local S3 (s3rver, or Ceph RGW with LOCAL_S3=rgw) and the development issuer, started together and stopped together.
import path from 'node:path';
import { createBucketWithCors } from '../dev/bucket';
import { startDevIssuer, type DevIssuer } from '../dev/issuer';
import { startLocalS3 } from '../dev/local-s3';
import { rgwAvailability, startRgw } from '../dev/rgw';
import { s3Client, type LocalS3Connection } from '../dev/s3-connection';
import { uploadCorsRule, type UploadCorsRule } from '../terraform/cors';
import type { EmbeddedSettings, LocalS3Kind } from './config';
import { EMBEDDED_AUDIENCE, SERVER_ENV, StartupConfigError } from './config';

/** The running local S3, whichever kind. */
export interface EmbeddedS3 extends LocalS3Connection {
  kind: LocalS3Kind;
  /** What it is and where its data lives, for the start-up banner. */
  description: string;
  /** RGW only: the cluster's directory (config, logs), removed on stop. */
  dir?: string;
  stop(): Promise<void>;
}

export interface Embedded {
  s3: EmbeddedS3;
  issuer: DevIssuer;
  /** Stops both; safe to call more than once. */
  stop(): Promise<void>;
}

/** Where the embedded services keep their state under DATA_DIR; both survive restarts (RGW keeps nothing: its data is in RAM). */
export const embeddedPaths = (dataDir: string) => ({
  s3: path.join(dataDir, 's3'),
  issuerKey: path.join(dataDir, 'dev-issuer-key.json'),
});

async function startS3rver(settings: EmbeddedSettings, cors: UploadCorsRule): Promise<EmbeddedS3> {
  const s3 = await startLocalS3({
    directory: embeddedPaths(settings.dataDir).s3,
    buckets: [{ name: settings.deployment.bucketName, cors }],
    port: settings.localS3Port,
    host: '127.0.0.1',
  });
  return { ...s3, kind: 's3rver', description: `s3rver, pid ${s3.pid}, data in ${embeddedPaths(settings.dataDir).s3}`, stop: () => s3.stop() };
}

/**
 * A throwaway Ceph RGW: a verifying S3 with multipart. Never installs packages from `npm start`; a machine without
 * Ceph gets one line saying what to install. rgw.sh's watchdog stops the cluster if this process dies unannounced.
 */
async function startRgwS3(settings: EmbeddedSettings, cors: UploadCorsRule): Promise<EmbeddedS3> {
  const availability = rgwAvailability({ install: false });
  if (!availability.available) {
    throw new StartupConfigError(SERVER_ENV.localS3, `${SERVER_ENV.localS3}=rgw needs Ceph RGW, which cannot run here: ${availability.reason}. Or unset ${SERVER_ENV.localS3} to use s3rver.`);
  }
  const rgw = await startRgw({ install: false });
  const client = s3Client(rgw);
  try {
    await createBucketWithCors(client, settings.deployment.bucketName, cors);
  } catch (err) {
    await rgw.stop();
    throw err;
  } finally {
    client.destroy();
  }
  const { dir, startMs } = rgw;
  return {
    endpoint: rgw.endpoint,
    region: rgw.region,
    credentials: rgw.credentials,
    forcePathStyle: true,
    kind: 'rgw',
    description: `Ceph RGW, started in ${(startMs / 1000).toFixed(1)} s, data in RAM and lost at stop, logs in ${dir}/log`,
    dir,
    stop: () => rgw.stop(),
  };
}

/**
 * Starts the local S3 with the bucket and CORS for the page's origins, and the dev issuer, both on loopback.
 * If one fails (say its port is taken) the other is stopped, so a failed start leaves nothing running.
 */
export async function startEmbedded(settings: EmbeddedSettings, pageOrigins: string[]): Promise<Embedded> {
  // The Terraform stack's own CORS rule, so a header the page sends but the real bucket would refuse fails here too.
  const cors = uploadCorsRule({ ...settings.deployment, allowedOrigins: pageOrigins });
  const [s3, issuer] = await Promise.allSettled([
    settings.localS3 === 'rgw' ? startRgwS3(settings, cors) : startS3rver(settings, cors),
    startDevIssuer({ audience: EMBEDDED_AUDIENCE, port: settings.devIssuerPort, host: '127.0.0.1', keyFile: embeddedPaths(settings.dataDir).issuerKey }),
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
