// `npm run bench`: starts the local S3, the dev issuer and app server children, runs the three parts, writes results and chart.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { startDevIssuer, type DevIssuer } from '../dev/issuer';
import { startLocalS3, type LocalS3 } from '../dev/local-s3';
import { renderChart, formatBytes } from './chart';
import type { BenchServerConfig } from './contract';
import { forkBench, removeOnExit, startBenchServer, stopAll, stopChild, type BenchServer } from './processes';
import { measureRouteCost, type RouteCostResult, type RouteName } from './route-cost';
import type { SignerResult } from './signer';
import { measureUploads, type UploadResult } from './uploads';

const MiB = 1024 * 1024;
const AUDIENCE = 'https://uploads.bench/api';
const BUCKET = 'bench-uploads';
/** Past this the bench is stuck, not slow: everything is stopped and the run fails. */
const TIME_LIMIT_MS = 12 * 60 * 1000;

const TARGETS = {
  presignOverNoop: 0.85,
  presignOverNaive: 3,
  presignerUs: 30,
  directBytesReceived: 2048,
  /** "Flat": the largest file's server CPU within this factor of the smallest file's. */
  directCpuGrowth: 2,
};

const PARTS = new Set((process.env.BENCH_ONLY ?? 'signer,routes,uploads').split(',').map((p) => p.trim()));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const CONNECTIONS = 50;
/** Also run the diagnostic routes that split the presign route's extra cost; BENCH_DECOMPOSE=0 skips them. */
const DECOMPOSE = process.env.BENCH_DECOMPOSE !== '0';
/** BENCH_ROUTES=presign,unsigned loads only those routes: for investigating one difference. */
const ONLY_ROUTES = process.env.BENCH_ROUTES ? (process.env.BENCH_ROUTES.split(',') as RouteName[]) : undefined;
const SIZES = (process.env.BENCH_SIZES_MIB ?? '1,64,512').split(',').map((mib) => Number(mib) * MiB);
/** Fewer runs for big files: each 512 MiB run moves a gigabyte through the proxy path. */
const repetitions = (size: number): number => (size <= 8 * MiB ? 5 : size <= 128 * MiB ? 3 : 2);

const log = (line: string): void => void process.stdout.write(`${line}\n`);

interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  platform: string;
  memoryGiB: number;
  date: string;
  commit: string;
}

function machine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout: the commit is only informative.
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    date: new Date().toISOString(),
    commit,
  };
}

async function measureSigner(): Promise<SignerResult> {
  const child = forkBench('signer.ts', {});
  try {
    return await new Promise<SignerResult>((resolve, reject) => {
      child.once('message', (message: SignerResult) => resolve(message));
      child.once('exit', (code) => reject(new Error(`signer bench exited (code ${code}) without a result`)));
    });
  } finally {
    await stopChild(child);
  }
}

const pass = (ok: boolean): string => (ok ? 'met' : '**missed**');
const fixed = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The results as Markdown tables: printed, and pasted into docs/performance.md. */
function report(results: { machine: Machine; signer?: SignerResult; routes?: RouteCostResult; uploads?: UploadResult }): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(`Machine: ${m.nproc} cores, ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; ${m.date}, commit ${m.commit}`, '');
  if (results.routes) {
    const r = results.routes;
    lines.push(`### Route cost (${r.connections} connections, ${r.rounds} interleaved rounds × ${r.secondsPerRun} s per route, medians)`, '');
    lines.push('| route | req/s | p50 latency | p99 latency | server CPU per request | of which main thread | load generator CPU per request |', '|---|---:|---:|---:|---:|---:|---:|');
    const names = {
      noop: '(a) auth() + no-op JSON',
      presign: '(b) directUpload() POST /uploads',
      naive: '(c) same with getSignedUrl()',
      json: 'diagnostic: (a) + express.json() body',
      leanJson: 'diagnostic: (a) + hand-rolled body read + JSON.parse',
      unsigned: 'diagnostic: (b) with a no-op signer',
      signed: 'diagnostic: (b) sharing (a)\'s auth() instance',
      presignGet: 'diagnostic: GET /uploads?… (same presign, no body)',
      lean: 'diagnostic: (b) with lean body read, cached owner folder, no ETag',
      leanExpressJson: 'diagnostic: lean, but express.json() again',
      leanResJson: 'diagnostic: lean, but res.json() again',
    };
    for (const route of ['noop', 'presign', 'naive', 'json', 'leanJson', 'unsigned', 'signed', 'presignGet', 'lean', 'leanExpressJson', 'leanResJson'] as const) {
      const s = r.summary[route];
      if (!s) continue;
      lines.push(`| ${names[route]} | ${fixed(s.requestsPerSecond)} | ${s.p50Ms} ms | ${s.p99Ms} ms | ${fixed(s.cpuUsPerRequest)} µs | ${fixed(s.mainThreadCpuUsPerRequest)} µs | ${fixed(s.clientCpuUsPerRequest)} µs |`);
    }
    lines.push('');
    if (!r.summary.noop || !r.summary.presign || !r.summary.naive) return lines.join('\n');
    const range = (values: number[], digits: number) => (values.length ? `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}` : '');
    const cpu = (route: 'noop' | 'presign' | 'naive') => r.summary[route].cpuUsPerRequest;
    lines.push('| ratio | median of per-round ratios | range over rounds | server CPU per request, inverted | target | |', '|---|---:|---:|---:|---:|---|');
    lines.push(
      `| b/a presign vs auth alone | ${r.ratios.presignOverNoop.toFixed(2)} | ${range(r.perRoundRatios.presignOverNoop, 2)} | ${(cpu('noop') / cpu('presign')).toFixed(2)} | ≥ ${TARGETS.presignOverNoop} | ${pass(r.ratios.presignOverNoop >= TARGETS.presignOverNoop)} |`,
    );
    lines.push(
      `| b/c presign vs getSignedUrl route | ${r.ratios.presignOverNaive.toFixed(2)} | ${range(r.perRoundRatios.presignOverNaive, 2)} | ${(cpu('naive') / cpu('presign')).toFixed(2)} | ≥ ${TARGETS.presignOverNaive} | ${pass(r.ratios.presignOverNaive >= TARGETS.presignOverNaive)} |`,
    );
    lines.push('');
  }
  if (results.signer) {
    const s = results.signer;
    lines.push(`### Signer cost (one process, warmed, median of ${s.blocks} alternating blocks)`, '');
    lines.push('| operation | µs per call | target | |', '|---|---:|---:|---|');
    lines.push(`| Presigner.presign() | ${s.presignerUs.toFixed(1)} | ≤ ${TARGETS.presignerUs} | ${pass(s.presignerUs <= TARGETS.presignerUs)} |`);
    lines.push(`| SDK SignatureV4.presign(), prepared request | ${s.signatureV4Us.toFixed(1)} | | ${(s.signatureV4Us / s.presignerUs).toFixed(1)}× slower |`);
    lines.push(`| getSignedUrl(PutObjectCommand) | ${s.getSignedUrlUs.toFixed(1)} | | ${(s.getSignedUrlUs / s.presignerUs).toFixed(1)}× slower |`);
    lines.push(`| jose jwtVerify RS256 (context: the auth floor) | ${s.rs256VerifyUs.toFixed(1)} | | |`);
    lines.push('');
  }
  if (results.uploads) {
    const u = results.uploads;
    lines.push('### Direct vs proxied upload: what the app server pays per file (medians; RSS: worst run)', '');
    lines.push('| file | path | runs | bytes received | bytes sent to S3 | CPU time | peak RSS | RSS rise | client wall time |', '|---:|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of u.summary) {
      lines.push(
        `| ${row.size / MiB} MiB | ${row.mode} | ${row.runs} | ${fixed(row.bytesReceived)} B | ${fixed(row.bytesSentToS3)} B | ${row.cpuMs.toFixed(1)} ms | ${formatBytes(row.peakRss)} | ${formatBytes(Math.max(0, row.rssGrowth))} | ${fixed(row.clientMs)} ms |`,
      );
    }
    lines.push('', `CPU time includes the meter's own floor (an empty window): ${u.floorCpuMs.direct.toFixed(2)} ms (direct server), ${u.floorCpuMs.proxied.toFixed(2)} ms (proxied server).`);
    const direct = u.summary.filter((row) => row.mode === 'direct');
    const maxBytes = Math.max(...direct.map((row) => row.bytesReceived));
    const growth = direct[direct.length - 1].cpuMs / direct[0].cpuMs;
    lines.push('');
    lines.push('| direct-upload target | value | target | |', '|---|---:|---:|---|');
    lines.push(`| most bytes received per file | ${fixed(maxBytes)} B | < ${TARGETS.directBytesReceived} B | ${pass(maxBytes < TARGETS.directBytesReceived)} |`);
    lines.push(
      `| CPU ${direct[direct.length - 1].size / MiB} MiB ÷ CPU ${direct[0].size / MiB} MiB | ${growth.toFixed(2)}× | ≤ ${TARGETS.directCpuGrowth}× (flat) | ${pass(growth <= TARGETS.directCpuGrowth)} |`,
    );
    lines.push('');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const limit = setTimeout(() => {
    log(`bench: over ${TIME_LIMIT_MS / 60000} minutes, stopping everything`);
    void stopAll().finally(() => process.exit(1));
  }, TIME_LIMIT_MS);
  limit.unref();

  const started = Date.now();
  const results: { machine: Machine; signer?: SignerResult; routes?: RouteCostResult; uploads?: UploadResult } = { machine: machine() };
  let issuer: DevIssuer | undefined;
  let s3: LocalS3 | undefined;
  let client: S3Client | undefined;
  const servers: BenchServer[] = [];
  const s3Directory = await mkdtemp(path.join(os.tmpdir(), 'edu-bench-s3-'));
  removeOnExit(s3Directory);
  try {
    if (PARTS.has('signer')) {
      log('Signer cost...');
      results.signer = await measureSigner();
    }
    if (PARTS.has('routes') || PARTS.has('uploads')) {
      [issuer, s3] = await Promise.all([
        startDevIssuer({ audience: AUDIENCE }),
        startLocalS3({ directory: s3Directory, buckets: [{ name: BUCKET }] }),
      ]);
      client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3.credentials });
    }
    const serverConfig = (): BenchServerConfig => ({
      issuerBaseURL: (issuer as DevIssuer).url,
      audience: AUDIENCE,
      bucket: BUCKET,
      s3: { endpoint: (s3 as LocalS3).endpoint, region: (s3 as LocalS3).region, credentials: (s3 as LocalS3).credentials },
    });
    if (PARTS.has('routes')) {
      log(`Route cost: ${ROUNDS} rounds × ${ONLY_ROUTES?.length ?? (DECOMPOSE ? 8 : 3)} routes × ${SECONDS} s, ${CONNECTIONS} connections...`);
      const server = await startBenchServer(serverConfig());
      servers.push(server);
      const token = await (issuer as DevIssuer).issue({ sub: 'auth0|bench-user' });
      results.routes = await measureRouteCost(server, { token, connections: CONNECTIONS, secondsPerRun: SECONDS, rounds: ROUNDS, warmupSeconds: 2, decompose: DECOMPOSE, only: ONLY_ROUTES, log });
      await server.stop();
    }
    if (PARTS.has('uploads')) {
      log(`Direct vs proxied: ${SIZES.map((size) => `${size / MiB} MiB`).join(', ')}...`);
      const [direct, proxied] = await Promise.all([startBenchServer(serverConfig()), startBenchServer(serverConfig())]);
      servers.push(direct, proxied);
      const token = await (issuer as DevIssuer).issue({ sub: 'auth0|bench-user' });
      results.uploads = await measureUploads({ direct, proxied }, { token, s3: client as S3Client, bucket: BUCKET, sizes: SIZES, repetitions, log });
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    client?.destroy();
    await Promise.all([issuer?.stop(), s3?.stop()]);
    await rm(s3Directory, { recursive: true, force: true });
    await stopAll();
  }

  const text = report(results);
  log('');
  log(text);
  const full = ['signer', 'routes', 'uploads'].every((part) => PARTS.has(part));
  if (full) {
    // Only a complete run replaces the recorded results, so results.json and chart.svg always describe one run.
    const out = (name: string) => path.join(__dirname, name);
    writeFileSync(out('results.json'), `${JSON.stringify({ ...results, targets: TARGETS, seconds: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`);
    const m = results.machine;
    writeFileSync(out('chart.svg'), renderChart((results.uploads as UploadResult).summary, `${m.nproc} × ${m.cpuModel}, Node ${m.node}, s3rver on the same machine; ${m.date.slice(0, 10)}`));
    log(`Wrote bench/results.json and bench/chart.svg (${Math.round((Date.now() - started) / 1000)} s).`);
  } else {
    log(`Partial run (BENCH_ONLY=${[...PARTS].join(',')}): results.json and chart.svg left as they were.`);
  }
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
