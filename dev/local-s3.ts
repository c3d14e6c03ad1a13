// Starts a local S3-compatible server (s3rver) in a child process, for the embedded default, the tests and the bench.
import { fork } from 'node:child_process';
import path from 'node:path';
import type { LocalS3Connection } from './s3-connection';

export interface LocalS3Options {
  /** Folder that holds the buckets' objects; it survives restarts. */
  directory: string;
  /**
   * Buckets to create, each with CORS: `cors` (e.g. the Terraform stack's `uploadCorsRule()`) when given, otherwise
   * a permissive rule (any header; PUT, GET, HEAD) for each of `allowedOrigins`.
   */
  buckets: Array<{ name: string; allowedOrigins?: string[]; cors?: LocalCorsRule }>;
  /** Port to listen on; 0 picks a free one. It defaults to 0. */
  port?: number;
  /** Address to listen on. It defaults to 127.0.0.1. */
  host?: string;
}

/** One CORS rule, in the shape of terraform/cors.ts `UploadCorsRule`. */
export interface LocalCorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders?: string[];
  maxAgeSeconds?: number;
}

/** A running s3rver: its connection (path-style, fixed keys) plus its process. */
export interface LocalS3 extends LocalS3Connection {
  readonly pid: number;
  stop(): Promise<void>;
}

/** s3rver's fixed development credentials. */
const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const host = options.host ?? '127.0.0.1';
  const child = fork(path.join(__dirname, 's3rver-process.js'), [], {
    env: { ...process.env, LOCAL_S3_CONFIG: JSON.stringify({ ...options, host, port: options.port ?? 0 }) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (message: { ready: boolean; port: number; code?: string; message?: string }) => {
      if (message.ready) resolve(message);
      else if (message.code === 'EADDRINUSE') {
        reject(new Error(`Local S3 could not listen on ${host}:${options.port}: the port is in use. Choose another port (LOCAL_S3_PORT).`));
      } else reject(new Error(`Local S3 failed to start: ${message.message}`));
    });
    child.once('exit', (code) => reject(new Error(`Local S3 exited during start-up (code ${code})`)));
  });

  return {
    endpoint: `http://${host}:${ready.port}`,
    region: 'us-east-1',
    credentials: LOCAL_S3_CREDENTIALS,
    forcePathStyle: true,
    pid: child.pid as number,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
