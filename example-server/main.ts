// Entry point of `npm start`: reads the settings, starts the server (and the embedded services), prints how to use it, stops on SIGTERM/SIGINT.
import { DirectUploadOptionsError } from '../middleware';
import { loadSettings, SERVER_ENV, StartupConfigError, type RealSettings } from './config';
import { curlExample, newmanCommand, SAMPLE_FILE } from './try-it';
import { startServer, type RunningServer } from './server';

const CURL_USER = 'curl';

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && value % 1024 === 0 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value} ${units[unit]}`;
}

async function banner(running: RunningServer): Promise<string> {
  const { pageConfig } = running;
  const lines = [
    `express-direct-upload example-server, ${running.mode === 'embedded' ? 'embedded mode (no AWS, no Auth0)' : 'real mode (Auth0 + S3)'}`,
    `  page           ${running.url}${running.mode === 'embedded' ? '   (development login: pick any user name)' : ''}`,
    `  presign route  ${running.url}${pageConfig.uploadsPath}`,
    `  accepts        ${pageConfig.allowedContentTypes.join(', ')} up to ${formatBytes(pageConfig.maxFileSize)}`,
  ];
  if (running.embedded) {
    const { s3, issuer } = running.embedded;
    const threshold = running.settings.policy.multipartThreshold;
    lines.push(
      `  local S3       ${s3.endpoint}   bucket ${running.bucket} (${s3.description}; access key ${s3.credentials.accessKeyId})`,
      s3.kind === 'rgw' && threshold !== undefined
        ? `  multipart      above ${formatBytes(threshold)} (${SERVER_ENV.multipartThreshold}); RGW verifies every signature`
        : `  multipart      off: s3rver cannot list or abort parts, and accepts any signature (${SERVER_ENV.localS3}=rgw runs Ceph RGW instead)`,
      `  dev issuer     ${issuer.url}   (tokens: POST ${issuer.tokenEndpoint} {"sub":"alice"})`,
    );
    lines.push(`  deployment     ${running.settings.deploymentFile ?? 'environment variables and defaults (no config file)'}`);
    const token = await issuer.issue({ sub: `dev|${CURL_USER}` });
    lines.push(
      '',
      `Try it with curl, pasted from the repository root (uploads ${SAMPLE_FILE}; the token is valid for 1 hour, see docs/example-server.md for another):`,
      ...curlExample({ baseUrl: running.url, uploadsPath: pageConfig.uploadsPath, token }).map((line) => `  ${line}`),
      '',
      'Or run the Postman collection (sign-in, both upload flows, refusals) with newman, from the repository root:',
      `  ${newmanCommand(running.url)}`,
    );
  } else {
    const { deployment, auth0 } = running.settings as RealSettings;
    lines.push(
      `  S3             ${running.s3Origin}   bucket ${running.bucket}, keys under ${deployment.keyPrefix}`,
      `  Auth0          ${auth0.issuerBaseURL}   audience ${auth0.audience}`,
      `  origins        ${deployment.allowedOrigins.join(', ')} (bucket CORS)`,
    );
    if (!deployment.allowedOrigins.includes(new URL(running.url).origin) && !deployment.allowAnyOrigin) {
      lines.push(`  note           ${new URL(running.url).origin} is not in ALLOWED_ORIGINS, so browsers on it cannot PUT to the bucket.`);
    }
    lines.push(`  deployment     ${running.settings.deploymentFile ?? 'environment variables and defaults (no config file)'}`);
  }
  lines.push('', `Ready on ${running.url} (pid ${process.pid}). Press Ctrl+C to stop.`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const settings = loadSettings(process.env);
  const running = await startServer(settings);

  let signalled = false;
  const shutdown = (reason: string) => {
    if (signalled) {
      // A second Ctrl+C means "now": the children still die with us, because they watch their IPC channel.
      console.log(`\n${reason} again: exiting without waiting.`);
      process.exit(1);
    }
    signalled = true;
    console.log(`\n${reason}: stopping...`);
    running.stop().then(
      () => {
        console.log('Stopped.');
        process.exit(0);
      },
      (err: unknown) => {
        console.error('example-server: error while stopping:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // `npm start` runs us under `sh -c`; a SIGTERM sent to npm alone ends npm and sh but not us. When our parent
  // is gone (we were re-parented), stop as if signalled, instead of holding the ports as an orphan.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && !signalled) shutdown('parent process exited');
  }, 500).unref();

  console.log(await banner(running));
}

main().catch((err: unknown) => {
  // Configuration mistakes get one clear line; anything else keeps its stack for debugging.
  if (err instanceof StartupConfigError || err instanceof DirectUploadOptionsError || (err instanceof Error && /port is in use/.test(err.message))) {
    console.error(`example-server: ${err.message}`);
  } else {
    console.error('example-server: failed to start:', err);
  }
  process.exit(1);
});
