// Starts and stops the bench's child processes (app servers, signer), and makes sure none outlives the bench.
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { MeterReading } from './meter';
import type { BenchServerConfig, ServerRequest } from './contract';

const children = new Set<ChildProcess>();

/** Node flags for a TypeScript child; BENCH_CPU_PROF=<dir> profiles every child with --cpu-prof. */
function childExecArgv(extra: string[] = []): string[] {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  return ['-r', 'ts-node/register/transpile-only', ...profile, ...extra];
}

/** Forks a TypeScript file under bench/, tracked so that stopAll() (and process exit) can end it. */
export function forkBench(file: string, env: Record<string, string>, extraArgv: string[] = []): ChildProcess {
  const child = fork(path.join(__dirname, file), [], {
    execArgv: childExecArgv(extraArgv),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Ends a child and waits for it: SIGTERM first (so --cpu-prof can write), SIGKILL if it lingers. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map(stopChild));
}

/** Temp directories (test files up to 512 MiB, s3rver's objects) to delete however the bench ends. */
const tempDirs = new Set<string>();

export function removeOnExit(dir: string): void {
  tempDirs.add(dir);
}

export function forgetTempDir(dir: string): void {
  tempDirs.delete(dir);
}

// A crash, Ctrl-C or the time limit must leave neither servers nor big files behind. Only synchronous work runs here.
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
// Signals end the process without an 'exit' event unless handled: turn them into an exit.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

/** A running app server child (bench/server.ts) and its IPC calls. */
export interface BenchServer {
  port: number;
  url(path: string): string;
  meterStart(): Promise<void>;
  meterStop(): Promise<MeterReading>;
  /** The server's monotonic clock, in µs. */
  clockUs(): Promise<number>;
  stop(): Promise<void>;
}

export async function startBenchServer(config: BenchServerConfig): Promise<BenchServer> {
  const child = forkBench('server.ts', { BENCH_SERVER_CONFIG: JSON.stringify(config) }, ['--expose-gc']);
  const port = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench server exited during start-up (code ${code})`));
    child.once('exit', onExit);
    child.once('message', (message: { ready?: boolean; port: number }) => {
      child.off('exit', onExit);
      if (message.ready) resolve(message.port);
      else reject(new Error('bench server did not start'));
    });
  });

  let nextId = 0;
  type Reply = { id?: number; reading?: MeterReading; clockUs?: number };
  const pending = new Map<number, (reply: Reply) => void>();
  child.on('message', (reply: Reply) => {
    if (reply.id === undefined) return;
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  const call = (op: ServerRequest['op']) =>
    new Promise<Reply>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, op } satisfies ServerRequest);
    });

  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    meterStart: async () => void (await call('meter-start')),
    meterStop: async () => (await call('meter-stop')).reading as MeterReading,
    clockUs: async () => (await call('clock')).clockUs as number,
    stop: () => stopChild(child),
  };
}
