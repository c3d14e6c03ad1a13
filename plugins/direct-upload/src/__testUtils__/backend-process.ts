// Child process for the frontend plugin's tests: the direct-upload backend plugin in Backstage's startTestBackend, on s3rver.
import Module from 'node:module';
import path from 'node:path';
import type { BackendProcessReady, BackendProcessRequest, BackendProcessReply, BackendProcessStart } from './backend';

/*
 * The frontend tests run in jsdom, where Node-only code (the AWS SDK, Express, Backstage's backend) cannot: the
 * backend therefore runs here, in plain Node, and the page talks to it over HTTP as a browser talks to Backstage.
 * The module mapping below is what jest.config.js's moduleNameMapper and the backend tests' jest.mock do: the core
 * by its package name is its TypeScript source, and the core gets Express 4, the Express a Backstage backend runs.
 */
const ROOT = path.resolve(__dirname, '../../../..');
const CORE_DIR = path.join(ROOT, 'middleware') + path.sep;
type Resolve = (request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) => string;
const moduleInternals = Module as unknown as { _resolveFilename: Resolve };
const resolveFilename = moduleInternals._resolveFilename;
moduleInternals._resolveFilename = function resolveTestModule(request, parent, ...rest) {
  if (request === 'express-direct-upload') return resolveFilename.call(this, path.join(ROOT, 'middleware/index.ts'), parent, ...rest);
  if (request === 'express' && parent?.filename?.startsWith(CORE_DIR)) return resolveFilename.call(this, 'express4', parent, ...rest);
  return resolveFilename.call(this, request, parent, ...rest);
};

async function main(): Promise<void> {
  const start = JSON.parse(process.env.DIRECT_UPLOAD_BACKEND ?? '{}') as BackendProcessStart;
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const { mockCredentials } = await import('@backstage/backend-test-utils');
  const { startLocalPluginS3 } = await import('../../../direct-upload-backend/src/__testUtils__/s3');
  const { startUploadBackend } = await import('../../../direct-upload-backend/src/__testUtils__/uploadBackend');

  const s3 = await startLocalPluginS3(start.bucket, start.allowedOrigins);
  const backend = await startUploadBackend(s3.config(start.config));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await backend.stop();
      await s3.stop();
    })());

  process.on('message', (message: BackendProcessRequest) => {
    const answer = async (): Promise<BackendProcessReply> => {
      switch (message.op) {
        case 'token':
          return { id: message.id, value: mockCredentials.user.token(message.userEntityRef) };
        case 'object': {
          const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: message.key }));
          const bytes = Buffer.from(await object.Body!.transformToByteArray());
          return { id: message.id, value: bytes.toString('base64'), contentType: object.ContentType };
        }
        case 'stop':
          await stop();
          return { id: message.id, value: 'stopped' };
      }
    };
    answer().then(
      (reply) => process.send!(reply),
      (err: Error) => process.send!({ id: message.id, error: `${err.name}: ${err.message}` }),
    );
  });
  // The test's process ending (or crashing) must not leave the backend and s3rver behind.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)));
  process.send!({ ready: true, baseUrl: backend.baseUrl, bucket: s3.bucket } satisfies BackendProcessReady);
}

main().catch((err: Error) => {
  process.send?.({ ready: false, error: err.stack ?? String(err) });
  process.exit(1);
});
