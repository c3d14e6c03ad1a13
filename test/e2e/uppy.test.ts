// Uppy's own packages (@uppy/core, @uppy/dashboard, @uppy/aws-s3 in signRequest mode) in Chromium, signed by our server, uploading to Ceph RGW.
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { createApp } from '../../example-server/app';
import { EMBEDDED_AUDIENCE } from '../../example-server/config';
import { validateDeploymentConfig } from '../../terraform/config';
import { sdkCorsRule, uploadCorsRule, uppyCorsOptions } from '../../terraform/cors';
import { launchBrowser, type Browser } from '../../dev/chromium';
import { startDevIssuer, type DevIssuer } from '../../dev/issuer';
import { cspViolations, instrument, openPage, type PickedFile } from '../../dev/page';
import { pngBytes } from '../../dev/png';
import { s3Client } from '../../dev/s3-connection';
import { describeWithRgw } from '../support/rgw';
import { describeWithBrowser } from './browser';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describeWithRgw('Uppy (Dashboard + @uppy/aws-s3 signRequest) in Chromium against Ceph RGW', (rgw) => {
  describeWithBrowser('the example Uppy page', () => {
    const bucket = `e2e-uppy-${randomBytes(4).toString('hex')}`;
    let issuer: DevIssuer;
    let s3: S3Client;
    let browser: Browser;
    let page: Page;
    let server: http.Server;
    let origin: string;
    const timings: Record<string, number> = {};
    /** Every request the page sends to RGW, with RGW's status. */
    let s3Requests: Array<{ method: string; url: URL; status: number; contentType?: string }>;

    beforeAll(async () => {
      s3 = s3Client(rgw);
      issuer = await startDevIssuer({ audience: EMBEDDED_AUDIENCE });
      let handler: http.RequestListener = (_req, res) => void res.writeHead(503).end();
      server = http.createServer((req, res) => handler(req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { app } = await createApp({
        bucket,
        s3: rgw,
        keyPrefix: 'uploads/',
        publicRead: false,
        // 5 MiB is S3's smallest part: a 12 MiB file is three parts.
        policy: { maxFileSize: 16 * MiB, multipartThreshold: 5 * MiB, multipartPartSize: 5 * MiB },
        identity: { kind: 'dev', issuer },
      });
      handler = app;
      // The Terraform stack's rule for Uppy's mode: the browser also creates, lists, completes and aborts, and sends metadata headers.
      const deployment = validateDeploymentConfig({ bucketName: bucket, allowedOrigins: [origin] });
      const rule = uploadCorsRule(deployment, uppyCorsOptions(deployment));
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [sdkCorsRule(rule)] } }));
      browser = await launchBrowser();
    });

    afterAll(async () => {
      console.log(`Uppy on RGW, from picking the file to the server's verification (ms): ${JSON.stringify(timings)}`);
      await browser?.close();
      if (s3) {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
        for (const object of listed?.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key! }));
        await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
        s3.destroy();
      }
      await new Promise((resolve) => server?.close(resolve));
      await issuer?.stop();
    });

    beforeEach(async () => {
      page = await browser.context.newPage();
      await instrument(page);
      s3Requests = [];
      page.on('requestfinished', async (req) => {
        const url = new URL(req.url());
        if (url.origin !== rgw.endpoint) return;
        s3Requests.push({ method: req.method(), url, status: (await req.response())?.status() ?? 0, contentType: req.headers()['content-type'] });
      });
      await openPage(page, `${origin}/uppy.html`);
      await page.getByLabel('User name').fill('uppy-user');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.locator('#account-name', { hasText: 'uppy-user' }).waitFor();
    });
    afterEach(async () => {
      await page.close();
    });

    /** Adds files through the Dashboard's own file input (autoProceed uploads them), and waits for each one's verdict. */
    async function upload(file: PickedFile): Promise<{ state: string; key: string | null; status: string | null; message: string; ms: number }> {
      const started = Date.now();
      await page.locator('input.uppy-Dashboard-input').first().setInputFiles([file]);
      const item = page.locator(`#results > li[data-name="${file.name}"]`);
      await item.waitFor({ timeout: 60_000 });
      return {
        state: (await item.getAttribute('data-state'))!,
        key: await item.getAttribute('data-key'),
        status: await item.getAttribute('data-status'),
        message: (await item.textContent()) ?? '',
        ms: Date.now() - started,
      };
    }

    async function storedBytes(key: string) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { contentType: object.ContentType, bytes: await object.Body!.transformToByteArray() };
    }

    it('a small file goes up as one presigned POST form, under the server\'s key, and the server verifies it', async () => {
      const png = pngBytes(120, 80, [30, 120, 200]);
      const result = await upload({ name: 'small.png', mimeType: 'image/png', buffer: png });
      timings['POST 1 file'] = result.ms;
      expect(result).toMatchObject({ state: 'done' });
      expect(result.key).toMatch(/^uploads\/[0-9a-f]{32}\/[0-9a-f-]{36}\.png$/);
      expect(s3Requests.map((r) => [r.method, r.status, r.contentType?.split(';')[0]])).toEqual([['POST', 204, 'multipart/form-data']]);
      const object = await storedBytes(result.key!);
      expect(object.contentType).toBe('image/png');
      expect(sha256(object.bytes)).toBe(sha256(png));
      expect(await cspViolations(page)).toEqual([]);
    });

    it('a file above the threshold goes multipart, each part signed for its exact length; Uppy completes it and the server verifies it', async () => {
      const big = randomBytes(12 * MiB);
      const result = await upload({ name: 'big.jpg', mimeType: 'image/jpeg', buffer: big });
      timings['multipart 12 MiB'] = result.ms;
      expect({ ...result, s3: s3Requests.map((r) => `${r.method} ${r.url.search.slice(0, 60)} ${r.status}`) }).toMatchObject({ state: 'done' });
      const calls = s3Requests.map((r) => `${r.method} ${r.url.searchParams.has('uploads') ? '?uploads' : r.url.searchParams.has('partNumber') ? `part ${r.url.searchParams.get('partNumber')}` : '?uploadId'} ${r.status}`);
      expect(calls).toEqual(['POST ?uploads 200', 'PUT part 1 200', 'PUT part 2 200', 'PUT part 3 200', 'POST ?uploadId 200']);
      const object = await storedBytes(result.key!);
      expect(object.contentType).toBe('image/jpeg');
      expect(sha256(object.bytes)).toBe(sha256(big));
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: result.key! }));
      // The original name is stored for the owner's file routes (on by default), inside the declared-headers digest.
      expect(head.Metadata).toEqual({ 'declared-size': String(big.length), filename: 'big.jpg', 'declared-headers': expect.stringMatching(/^[\w-]{43}$/) });
    });

    it('a type the server does not allow is refused (415) before anything reaches S3', async () => {
      const result = await upload({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
      expect(result).toMatchObject({ state: 'error', status: '415' });
      expect(result.message).toMatch(/Content type "text\/plain" is not allowed/);
      expect(s3Requests).toEqual([]);
    });

    it('a file over maxFileSize is refused (413) before any part is sent, and no upload is left in S3', async () => {
      const result = await upload({ name: 'huge.jpg', mimeType: 'image/jpeg', buffer: randomBytes(16 * MiB + 1) });
      expect({ ...result, s3: s3Requests.map((r) => `${r.method} ${r.url.search.slice(0, 60)} ${r.status}`) }).toMatchObject({ state: 'error', status: '413' });
      expect(result.message).toMatch(/limit is 16777216 bytes/);
      expect(s3Requests).toEqual([]);
      expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    });
  });
});
