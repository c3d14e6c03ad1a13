// Part 3: the same files uploaded through a proxying route and directly with presigned URLs; what the app server pays.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { MeterReading } from './meter';
import { ROUTES, removeOnExit, type BenchServer } from './processes';
import { median } from './route-cost';

export type UploadMode = 'direct' | 'proxied';
const MODES: UploadMode[] = ['direct', 'proxied'];

/** Medians over runs; clientMs is client-side time. peakRss: the highest over runs; rssGrowth: the most RSS rose in a window. */
export interface UploadSummary {
  mode: UploadMode;
  size: number;
  runs: number;
  bytesReceived: number;
  bytesSentToS3: number;
  cpuMs: number;
  clientMs: number;
  peakRss: number;
  rssGrowth: number;
}

/** `floorCpuMs`: CPU time of an empty metering window per server (median of 5), the meter's floor in every run. */
export type UploadResult = { floorCpuMs: Record<UploadMode, number>; runs: Array<{ mode: UploadMode; size: number; reading: MeterReading; clientMs: number }>; summary: UploadSummary[] };

/** `repetitions`: runs per mode for a size; big files get fewer to keep the bench to minutes. */
export type UploadSettings = { token: string; s3: S3Client; bucket: string; sizes: number[]; repetitions: (size: number) => number; log: (line: string) => void };

const MiB = 1024 * 1024;
/** Keep-alive, as a browser would: the presign request and the next one share a connection. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** Writes random bytes one MiB at a time (a different first byte per MiB), so the client never holds the file. */
async function writeTestFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'w');
  const chunk = randomBytes(MiB);
  for (let written = 0; written < size; written += MiB) {
    chunk[0] = (written / MiB) & 0xff;
    await handle.write(chunk, 0, Math.min(MiB, size - written));
  }
  await handle.close();
}

/** Sends a request whose body `send` writes, and collects the response. */
function request(url: string, method: string, headers: http.OutgoingHttpHeaders, send: (req: http.ClientRequest) => Promise<unknown>, viaAgent = true) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: viaAgent ? agent : undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    send(req).catch((err) => req.destroy(err));
  });
}

/** Browser flow: ask the app server for a URL, then PUT the file to S3 with the headers it names. */
async function uploadDirect(server: BenchServer, token: string, file: string, size: number): Promise<string> {
  const ask = JSON.stringify({ filename: 'bench.bin', contentType: 'application/octet-stream', size });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(ask) };
  const presign = await request(server.url(ROUTES.uploads), 'POST', headers, async (req) => req.end(ask));
  if (presign.status !== 200) throw new Error(`presign: ${presign.status} ${presign.body}`);
  const answer = JSON.parse(presign.body) as { url: string; headers: Record<string, string>; key: string };
  // S3 is another host: its connection is not the app server's (no agent shared with it).
  const put = await request(answer.url, 'PUT', { ...answer.headers, 'content-length': size }, (req) => pipeline(createReadStream(file), req), false);
  if (put.status !== 200) throw new Error(`direct PUT: ${put.status} ${put.body}`);
  return answer.key;
}

/** Classic form upload: the whole file goes to the app server as multipart/form-data. */
async function uploadProxied(server: BenchServer, token: string, file: string, size: number): Promise<string> {
  const boundary = `----bench${randomBytes(8).toString('hex')}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const tail = `\r\n--${boundary}--\r\n`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + size + tail.length };
  const reply = await request(server.url(ROUTES.proxy), 'POST', headers, async (req) => {
    req.write(head);
    await pipeline(createReadStream(file), req, { end: false });
    req.end(tail);
  });
  if (reply.status !== 201) throw new Error(`proxied upload: ${reply.status} ${reply.body}`);
  return (JSON.parse(reply.body) as { key: string }).key;
}

async function uploadOnce(mode: UploadMode, server: BenchServer, settings: UploadSettings, file: string, size: number) {
  await server.meterStart();
  const start = performance.now();
  const key = await (mode === 'direct' ? uploadDirect : uploadProxied)(server, settings.token, file, size);
  const clientMs = performance.now() - start;
  const reading = await server.meterStop();
  // The object must really be there, whole; then it goes, so the bench leaves no big files behind.
  const head = await settings.s3.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: key }));
  if (head.ContentLength !== size) throw new Error(`${mode}: stored ${head.ContentLength} bytes, sent ${size}`);
  await settings.s3.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key }));
  return { mode, size, reading, clientMs };
}

/** Each mode has its own app server. Per size, the modes alternate run by run, so a noisy patch hits both. */
export async function measureUploads(servers: Record<UploadMode, BenchServer>, settings: UploadSettings): Promise<UploadResult> {
  const floorCpuMs = {} as Record<UploadMode, number>;
  for (const mode of MODES) {
    const empty: number[] = [];
    for (let i = 0; i < 5; i++) empty.push(await servers[mode].meterStart().then(() => servers[mode].meterStop()).then((r) => r.cpuMs));
    floorCpuMs[mode] = median(empty);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edu-bench-files-'));
  removeOnExit(dir);
  const runs: UploadResult['runs'] = [];
  try {
    for (const size of settings.sizes) {
      const file = path.join(dir, `${size}.bin`);
      await writeTestFile(file, size);
      // Warm-up on the first file: JIT, JWKS, connections. Not recorded.
      if (size === settings.sizes[0]) for (const mode of MODES) await uploadOnce(mode, servers[mode], settings, file, size);
      for (let rep = 0; rep < settings.repetitions(size); rep++) {
        for (const mode of MODES) {
          const run = await uploadOnce(mode, servers[mode], settings, file, size);
          runs.push(run);
          const r = run.reading;
          settings.log(`  ${String(size / MiB).padStart(4)} MiB ${mode.padEnd(8)} received ${r.bytesReceived.toLocaleString('en-US').padStart(13)} B  cpu ${r.cpuMs.toFixed(1).padStart(8)} ms  peak RSS ${(r.peakRss / MiB).toFixed(0).padStart(4)} MiB  wall ${run.clientMs.toFixed(0)} ms`);
        }
      }
      // At most one test file is on disk at a time.
      await rm(file, { force: true });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    agent.destroy();
  }
  const summary = settings.sizes.flatMap((size) =>
    MODES.map((mode): UploadSummary => {
      const mine = runs.filter((run) => run.mode === mode && run.size === size);
      const mid = (value: (run: (typeof runs)[number]) => number) => median(mine.map(value));
      return {
        mode,
        size,
        runs: mine.length,
        bytesReceived: mid((run) => run.reading.bytesReceived),
        bytesSentToS3: mid((run) => run.reading.bytesSentToS3),
        cpuMs: mid((run) => run.reading.cpuMs),
        clientMs: mid((run) => run.clientMs),
        peakRss: Math.max(...mine.map((run) => run.reading.peakRss)),
        rssGrowth: Math.max(...mine.map((run) => run.reading.peakRss - run.reading.startRss)),
      };
    }),
  );
  return { floorCpuMs, runs, summary };
}
