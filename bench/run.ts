// `npm run bench`: starts the local S3, the dev issuer and the app server children, runs the three parts, writes results and chart.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { startDevIssuer, type DevIssuer } from '../dev/issuer';
import { startLocalS3, type LocalS3 } from '../dev/local-s3';
import { formatBytes, renderChart } from './chart';
import { forkBench, removeOnExit, startBenchServer, stopAll, stopChild, type BenchServer, type BenchServerConfig } from './processes';
import { CASES, measureRouteCost, type RouteCostResult } from './route-cost';
import type { SignerResult } from './signer';
import { measureUploads, type UploadResult } from './uploads';

const MiB = 1024 * 1024;
const AUDIENCE = 'https://uploads.bench/api';
const BUCKET = 'bench-uploads';
/** Past this the bench is stuck, not slow: everything is stopped and the run fails. */
const TIME_LIMIT_MS = 12 * 60 * 1000;
const TARGETS = { getOverNoop: 0.92, postOverNoop: 0.95, presignerUs: 30, directBytesReceived: 2048, directCpuGrowth: 2 };

const PARTS = new Set((process.env.BENCH_ONLY ?? 'signer,routes,uploads').split(',').map((p) => p.trim()));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const SIZES = (process.env.BENCH_SIZES_MIB ?? '1,64,512').split(',').map((mib) => Number(mib) * MiB);
/** Fewer runs for big files: each 512 MiB run moves a gigabyte through the proxy path. */
const repetitions = (size: number): number => (size <= 8 * MiB ? 5 : size <= 128 * MiB ? 3 : 2);
const log = (line: string): void => void process.stdout.write(`${line}\n`);

type Results = { machine: { nproc: number; cpuModel: string; node: string; platform: string; date: string; commit: string }; signer?: SignerResult; routes?: RouteCostResult; uploads?: UploadResult };

function machine(): Results['machine'] {
  // Outside a git checkout the commit is 'unknown': it is only informative.
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: __dirname, encoding: 'utf8' }).stdout?.trim() || 'unknown';
  const platform = `${os.type()} ${os.release()} ${os.arch()}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB`;
  return { nproc: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform, date: new Date().toISOString(), commit };
}

async function measureSigner(): Promise<SignerResult> {
  const child = forkBench('signer.ts');
  const result = new Promise<SignerResult>((resolve, reject) => {
    child.once('message', resolve).once('exit', (code) => reject(new Error(`signer bench exited (code ${code}) without a result`)));
  });
  return result.finally(() => stopChild(child));
}

const pass = (ok: boolean): string => (ok ? 'met' : '**missed**');
const n = (value: number, digits = 0): string => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const row = (...cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;

/** The results as Markdown tables: printed, and pasted into docs/performance.md. */
function report({ machine: m, signer, routes, uploads }: Results): string {
  const lines = [`Machine: ${m.nproc} cores, ${m.cpuModel}, Node ${m.node}, ${m.platform}; ${m.date}, commit ${m.commit}`, ''];
  if (routes) {
    lines.push(`Route cost: ${routes.connections} connections, ${routes.rounds} interleaved rounds × ${routes.secondsPerRun} s per route, medians`, '');
    lines.push(row('route', 'req/s', 'p50', 'p99', 'server CPU / request'), '|---|---:|---:|---:|---:|');
    for (const c of CASES) {
      const s = routes.summary[c.name];
      lines.push(row(c.name, n(s.requestsPerSecond), `${s.p50Ms} ms`, `${s.p99Ms} ms`, `${n(s.cpuUsPerRequest)} µs`));
    }
    lines.push('', row('ratio /uploads ÷ no-op', 'median of per-round ratios', 'range', 'by server CPU', 'target'), '|---|---:|---:|---:|---|');
    for (const r of routes.ratios) {
      const target = r.method === 'GET' ? TARGETS.getOverNoop : TARGETS.postOverNoop;
      const verdict = r.authenticated ? `≥ ${target}: ${pass(r.median >= target)}` : '';
      const range = `${Math.min(...r.perRound).toFixed(2)}–${Math.max(...r.perRound).toFixed(2)}`;
      lines.push(row(`${r.method}, ${r.authenticated ? 'RS256 JWT' : 'no auth'}`, r.median.toFixed(3), range, r.byCpu.toFixed(2), verdict));
    }
    lines.push('');
  }
  if (signer) {
    lines.push(`Signer cost (one process, warmed, median of ${signer.blocks} alternating blocks)`, '', row('operation', 'µs per call', ''), '|---|---:|---|');
    lines.push(row('Presigner.presign()', signer.presignerUs.toFixed(1), `≤ ${TARGETS.presignerUs}: ${pass(signer.presignerUs <= TARGETS.presignerUs)}`));
    lines.push(row('getSignedUrl(PutObjectCommand)', signer.getSignedUrlUs.toFixed(1), `${(signer.getSignedUrlUs / signer.presignerUs).toFixed(1)}× slower`));
    lines.push(row('jose jwtVerify RS256 (the auth floor)', signer.rs256VerifyUs.toFixed(1), ''), '');
  }
  if (uploads) {
    lines.push('Direct vs proxied upload: what the app server pays per file (medians; RSS: worst run)', '');
    lines.push(row('file', 'path', 'runs', 'bytes received', 'bytes sent to S3', 'CPU time', 'peak RSS', 'RSS rise', 'client wall time'), '|---:|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const u of uploads.summary) {
      lines.push(row(`${u.size / MiB} MiB`, u.mode, u.runs, `${n(u.bytesReceived)} B`, `${n(u.bytesSentToS3)} B`, `${u.cpuMs.toFixed(1)} ms`, formatBytes(u.peakRss), formatBytes(Math.max(0, u.rssGrowth)), `${n(u.clientMs)} ms`));
    }
    const direct = uploads.summary.filter((u) => u.mode === 'direct');
    const maxBytes = Math.max(...direct.map((u) => u.bytesReceived));
    const growth = direct[direct.length - 1].cpuMs / direct[0].cpuMs;
    lines.push('', `CPU includes the meter's floor (an empty window): ${uploads.floorCpuMs.direct.toFixed(2)} ms direct, ${uploads.floorCpuMs.proxied.toFixed(2)} ms proxied.`);
    lines.push(`Direct: at most ${n(maxBytes)} B received per file (< ${TARGETS.directBytesReceived}: ${pass(maxBytes < TARGETS.directBytesReceived)}); CPU largest ÷ smallest file ${growth.toFixed(2)}× (≤ ${TARGETS.directCpuGrowth}: ${pass(growth <= TARGETS.directCpuGrowth)}).`, '');
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  setTimeout(() => {
    log(`bench: over ${TIME_LIMIT_MS / 60000} minutes, stopping everything`);
    void stopAll().finally(() => process.exit(1));
  }, TIME_LIMIT_MS).unref();
  const started = Date.now();
  const results: Results = { machine: machine() };
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
      [issuer, s3] = await Promise.all([startDevIssuer({ audience: AUDIENCE }), startLocalS3({ directory: s3Directory, buckets: [{ name: BUCKET }] })]);
      client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: s3.credentials });
    }
    const config = (): BenchServerConfig => ({ issuerBaseURL: (issuer as DevIssuer).url, audience: AUDIENCE, bucket: BUCKET, s3: s3 as LocalS3 });
    const token = async () => (issuer as DevIssuer).issue({ sub: 'auth0|bench-user' });
    if (PARTS.has('routes')) {
      log(`Route cost: ${ROUNDS} rounds × ${CASES.length} routes × ${SECONDS} s, 50 connections...`);
      const server = await startBenchServer(config());
      servers.push(server);
      results.routes = await measureRouteCost(server, { token: await token(), connections: 50, secondsPerRun: SECONDS, rounds: ROUNDS, log });
      await server.stop();
    }
    if (PARTS.has('uploads')) {
      log(`Direct vs proxied: ${SIZES.map((size) => `${size / MiB} MiB`).join(', ')}...`);
      // One server per mode, so the proxy's grown heap is not counted in the direct server's RSS.
      const [direct, proxied] = await Promise.all([startBenchServer(config()), startBenchServer(config())]);
      servers.push(direct, proxied);
      results.uploads = await measureUploads({ direct, proxied }, { token: await token(), s3: client as S3Client, bucket: BUCKET, sizes: SIZES, repetitions, log });
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    client?.destroy();
    await Promise.all([issuer?.stop(), s3?.stop()]);
    await rm(s3Directory, { recursive: true, force: true });
    await stopAll();
  }
  log(`\n${report(results)}`);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!['signer', 'routes', 'uploads'].every((part) => PARTS.has(part))) return log(`Partial run (BENCH_ONLY): results.json and chart.svg left as they were (${seconds} s).`);
  // Only a complete run replaces the recorded results, so results.json and chart.svg always describe one run.
  writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify({ ...results, targets: TARGETS, seconds }, null, 2)}\n`);
  const m = results.machine;
  writeFileSync(path.join(__dirname, 'chart.svg'), renderChart((results.uploads as UploadResult).summary, `${m.nproc} × ${m.cpuModel}, Node ${m.node}, s3rver on the same machine; ${m.date.slice(0, 10)}`));
  log(`Wrote bench/results.json and bench/chart.svg (${seconds} s).`);
}

main().catch(async (err) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
