// `npm start`'s program (example-server/main.ts) as a child process on free ports, for tests that read its banner.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The environment of a person who configured nothing: no Auth0, no S3, no deployment config file. */
export function embeddedEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env)) {
    if (/^(AUTH0_|S3_|DIRECT_UPLOAD_CONFIG$|ALLOWED_ORIGINS$|KEY_PREFIX$|PUBLIC_READ$)/.test(name)) delete env[name];
  }
  return env;
}

export interface ExampleServerProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves once "Ready on" is printed and `GET /healthz` answers 200; rejects if it exits first. */
  ready: Promise<void>;
  /** SIGTERM, then wait for the exit (its s3rver child follows it through the IPC channel). */
  stop(): Promise<void>;
}

/** Runs example-server/main.ts from the repository root, as `npm start` does, on `env.PORT`. */
export function startExampleServer(env: NodeJS.ProcessEnv, timeoutMs = 60_000): ExampleServerProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'example-server/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ready = (async () => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`The server exited early (${child.exitCode}):\n${output}`);
      if (output.includes('Ready on')) {
        const res = await fetch(`http://127.0.0.1:${env.PORT}/healthz`).catch(() => undefined);
        if (res?.status === 200) return;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the server:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  ready.catch(() => undefined); // read by the caller; no unhandled rejection if it never is

  return {
    child,
    output: () => output,
    ready,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
