// Starts and stops the bench's child processes and temp directories, so that none outlives the bench however it ends.
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { MeterReading } from './meter';

/** What run.ts passes to the app server child (bench/server.ts) in BENCH_SERVER_CONFIG. */
export interface BenchServerConfig {
  issuerBaseURL: string;
  audience: string;
  bucket: string;
  s3: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
}

/** Paths on the app server. `open` mounts the same two routes without authentication. */
export const ROUTES = { uploads: '/uploads', noop: '/noop', open: '/open', proxy: '/proxy-uploads' } as const;

/** An IPC request to the app server; the reply carries the same id. */
export type MeterRequest = { id: number; op: 'meter-start' | 'meter-stop' };

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Forks a TypeScript file under bench/, tracked so that stopAll() and process exit end it. */
export function forkBench(file: string, env: Record<string, string> = {}, execArgv: string[] = []): ChildProcess {
  const child = fork(path.join(__dirname, file), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only', ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Ends a child and waits for it: SIGTERM first, SIGKILL if it lingers. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'));
  clearTimeout(timer);
}

export const stopAll = async (): Promise<void> => void (await Promise.all([...children].map(stopChild)));

/** Temp directories (test files up to 512 MiB, s3rver's objects) to delete however the bench ends. */
export const removeOnExit = (dir: string): void => void tempDirs.add(dir);

// A crash, Ctrl-C or the time limit must leave neither servers nor big files behind. Only synchronous work runs here.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

/** A running app server child and its meter, driven over IPC. */
export interface BenchServer {
  url(path: string): string;
  meterStart(): Promise<void>;
  meterStop(): Promise<MeterReading>;
  stop(): Promise<void>;
}

export async function startBenchServer(config: BenchServerConfig): Promise<BenchServer> {
  const child = forkBench('server.ts', { BENCH_SERVER_CONFIG: JSON.stringify(config) }, ['--expose-gc']);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited during start-up (code ${code})`)));
    child.once('message', (message: { port: number }) => resolve(message.port));
  });
  let nextId = 0;
  const pending = new Map<number, (reading: MeterReading) => void>();
  child.on('message', (reply: { id?: number; reading: MeterReading }) => {
    if (reply.id === undefined) return;
    pending.get(reply.id)?.(reply.reading);
    pending.delete(reply.id);
  });
  const call = (op: MeterRequest['op']) =>
    new Promise<MeterReading>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, op } satisfies MeterRequest);
    });
  return {
    url: (route) => `http://127.0.0.1:${port}${route}`,
    meterStart: async () => void (await call('meter-start')),
    meterStop: () => call('meter-stop'),
    stop: () => stopChild(child),
  };
}
