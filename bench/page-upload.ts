// Measures a 256 MiB upload through the real page in Chromium against Ceph RGW on loopback: multipart vs one PUT.
// Run: npx ts-node --transpile-only bench/page-upload.ts [sizeMiB] [rounds]   (writes bench/page-results.json)
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { createBucketWithCors } from '../dev/bucket';
import { launchBrowser } from '../dev/chromium';
import { startDevIssuer } from '../dev/issuer';
import { devSignIn, openPage } from '../dev/page';
import { startRgw } from '../dev/rgw';
import { s3Client } from '../dev/s3-connection';
import { createApp } from '../example-server/app';
import { EMBEDDED_AUDIENCE } from '../example-server/config';
import { validateDeploymentConfig } from '../terraform/config';
import { uploadCorsRule } from '../terraform/cors';
import { median } from './route-cost';

const MiB = 1024 * 1024;
const SIZE = Number(process.argv[2] ?? 256) * MiB;
const ROUNDS = Number(process.argv[3] ?? 3);
const BUCKET = 'page-bench';
type Mode = 'multipart' | 'single';

/** Writes `size` random bytes in 8 MiB chunks (never all in memory) and returns their SHA-256. */
async function writeRandomFile(file: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let written = 0; written < size; written += 8 * MiB) {
    const chunk = randomBytes(Math.min(8 * MiB, size - written));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', () => resolve(undefined)));
  }
  await new Promise((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve(undefined))));
  return hash.digest('hex');
}

async function objectSha256(s3: S3Client, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const hash = createHash('sha256');
  for await (const chunk of out.Body as AsyncIterable<Uint8Array>) hash.update(chunk);
  return hash.digest('hex');
}

/** Opens the page, signs in as a person does, picks the file and waits for the page to say it is done: seconds and key. */
async function uploadThroughPage(page: Page, origin: string, user: string, file: string): Promise<{ seconds: number; key: string }> {
  await openPage(page, origin);
  await devSignIn(page, user);
  const started = Date.now();
  await page.setInputFiles('#file-input', file);
  const item = page.locator('#uploads > li[data-state=done], #uploads > li[data-state=error], #uploads > li[data-state=cancelled]');
  await item.waitFor({ timeout: 600_000 });
  const seconds = (Date.now() - started) / 1000;
  const key = await item.getAttribute('data-key');
  if ((await item.getAttribute('data-state')) !== 'done' || !key) throw new Error(`upload failed: ${await item.locator('.message').textContent()}`);
  return { seconds, key };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edu-page-bench-'));
  const rgw = await startRgw();
  const issuer = await startDevIssuer({ audience: EMBEDDED_AUDIENCE });
  const s3 = s3Client(rgw);
  const servers: http.Server[] = [];
  const browser = await launchBrowser();
  try {
    const file = path.join(dir, 'video.png');
    console.error(`writing ${SIZE / MiB} MiB test file…`);
    const expected = await writeRandomFile(file, SIZE);

    /** One example app per mode, each on its own origin (CORS names exact origins). */
    async function site(mode: Mode): Promise<string> {
      const server = http.createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const policy = { maxFileSize: 1024 * MiB, allowedContentTypes: ['image/png'], multipartPartSize: 8 * MiB, expiresIn: 900 };
      // Single mode: a threshold above the file size keeps it one PUT.
      const multipartThreshold = mode === 'multipart' ? 16 * MiB : 1024 * MiB;
      const { app } = await createApp({ bucket: BUCKET, s3: rgw, keyPrefix: 'uploads/', publicRead: false, policy: { ...policy, multipartThreshold }, identity: { kind: 'dev', issuer }, partConcurrency: 4 });
      server.on('request', app);
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    const origins: Record<Mode, string> = { multipart: await site('multipart'), single: await site('single') };
    await createBucketWithCors(s3, BUCKET, uploadCorsRule(validateDeploymentConfig({ bucketName: BUCKET, allowedOrigins: Object.values(origins) })));

    const runs: Record<Mode, number[]> = { multipart: [], single: [] };
    // Alternate the two modes so machine noise falls on both alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['multipart', 'single'] as const) {
        const page = await browser.context.newPage();
        const { seconds, key } = await uploadThroughPage(page, origins[mode], `bench-${mode}`, file);
        if ((await objectSha256(s3, key)) !== expected) throw new Error(`${mode}: stored object differs from the file (SHA-256)`);
        // RGW's memstore keeps objects in RAM: free each one once checked.
        await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
        runs[mode].push(seconds);
        console.error(`round ${round + 1} ${mode}: ${seconds.toFixed(2)} s, ${(SIZE / MiB / seconds).toFixed(1)} MiB/s, SHA-256 ok`);
        await page.close();
      }
    }
    const mibPerSecond = (mode: Mode) => SIZE / MiB / median(runs[mode]);
    const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, s3: 'Ceph RGW 16.2 (memstore) on 127.0.0.1' };
    const medianMiBPerSecond = { multipart: mibPerSecond('multipart'), single: mibPerSecond('single') };
    const results = { machine, date: new Date().toISOString(), sizeMiB: SIZE / MiB, rounds: ROUNDS, partSizeMiB: 8, partConcurrency: 4, seconds: runs, medianMiBPerSecond, multipartOverSingle: medianMiBPerSecond.multipart / medianMiBPerSecond.single };
    await writeFile(path.join(__dirname, 'page-results.json'), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`${SIZE / MiB} MiB through the page, median of ${ROUNDS}: multipart ${results.medianMiBPerSecond.multipart.toFixed(1)} MiB/s, single PUT ${results.medianMiBPerSecond.single.toFixed(1)} MiB/s, ratio ${results.multipartOverSingle.toFixed(2)}×`);
  } finally {
    await browser.close();
    await Promise.all([...servers.map((server) => new Promise((resolve) => server.close(resolve))), issuer.stop()]);
    s3.destroy();
    await Promise.all([rgw.stop(), rm(dir, { recursive: true, force: true })]);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
