// Starts the direct-upload backend plugin (startTestBackend on s3rver) in a child Node process for the frontend tests.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** What the child is asked to start: a bucket, the page origins its CORS admits, and the `directUpload` config. */
export interface BackendProcessStart {
  bucket: string;
  allowedOrigins: string[];
  config: Record<string, unknown>;
}

export type BackendProcessReady = { ready: true; baseUrl: string; bucket: string } | { ready: false; error: string };

export type BackendProcessRequest =
  | { id: number; op: 'token'; userEntityRef: string }
  | { id: number; op: 'object'; key: string }
  | { id: number; op: 'stop' };

type BackendProcessAnswer = { id: number; value: string; contentType?: string };
export type BackendProcessReply = BackendProcessAnswer | { id: number; error: string };
/** A request before it is numbered (Omit, distributed over the union). */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface UploadBackendProcess {
  /** The Backstage backend's base URL; the plugin's routes are under `${baseUrl}/api/direct-upload`. */
  baseUrl: string;
  /** A Backstage token the test backend's httpAuth accepts for that user (`mockCredentials.user.token`). */
  userToken(userEntityRef: string): Promise<string>;
  /** The stored object's bytes and Content-Type, read from the bucket with the AWS SDK. */
  object(key: string): Promise<{ bytes: Buffer; contentType?: string }>;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 25_000;

export async function startBackendProcess(start: BackendProcessStart): Promise<UploadBackendProcess> {
  const child: ChildProcess = fork(path.join(__dirname, 'backend-process.ts'), [], {
    // ts-node without type checks: `npm test` type-checks these files before jest runs.
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, DIRECT_UPLOAD_BACKEND: JSON.stringify(start), TS_NODE_PROJECT: path.resolve(__dirname, '../../../../tsconfig.json') },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ready = await new Promise<BackendProcessReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The backend process did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
    child.once('message', (message: BackendProcessReady) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The backend process exited during start-up (code ${code})`));
    });
  }).catch((err: Error) => {
    child.kill();
    throw err;
  });
  if (!ready.ready) {
    child.kill();
    throw new Error(`The backend process failed to start: ${ready.error}`);
  }

  let nextId = 1;
  const pending = new Map<number, (reply: BackendProcessReply) => void>();
  child.on('message', (reply: BackendProcessReply) => pending.get(reply.id)?.(reply));
  const ask = (request: Unnumbered<BackendProcessRequest>) =>
    new Promise<BackendProcessAnswer>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (reply) => {
        pending.delete(id);
        if ('error' in reply) reject(new Error(reply.error));
        else resolve(reply);
      });
      child.send({ ...request, id });
    });

  return {
    baseUrl: ready.baseUrl,
    userToken: async (userEntityRef) => (await ask({ op: 'token', userEntityRef })).value,
    object: async (key) => {
      const reply = await ask({ op: 'object', key });
      return { bytes: Buffer.from(reply.value, 'base64'), contentType: reply.contentType };
    },
    stop: async () => {
      if (child.exitCode === null && child.connected) {
        await ask({ op: 'stop' });
        child.disconnect();
      }
      await exited;
    },
  };
}
