// The upload page in Chromium against Ceph RGW, an S3 that verifies signatures: proves the browser sends exactly what was signed.
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
  type CORSRule,
} from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { createApp } from '../../example-server/app';
import { EMBEDDED_AUDIENCE } from '../../example-server/config';
import { validateDeploymentConfig } from '../../terraform/config';
import { sdkCorsRule, uploadCorsRule } from '../../terraform/cors';
import { launchBrowser, type Browser } from '../../dev/chromium';
import { startDevIssuer, type DevIssuer } from '../../dev/issuer';
import { cspViolations, devSignIn, finishedItem, instrument, openPage, pickFiles, resumeRecords } from '../../dev/page';
import { pngBytes } from '../../dev/png';
import { s3Client } from '../../dev/s3-connection';
import { describeWithRgw } from '../support/rgw';
import { describeWithBrowser } from './browser';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describeWithRgw('upload page in Chromium against a verifying S3 (Ceph RGW)', (rgw) => {
  describeWithBrowser('real-S3 mode, dev issuer for tokens', () => {
    const bucket = `e2e-page-${randomBytes(4).toString('hex')}`;
    let issuer: DevIssuer;
    let s3: S3Client;
    let browser: Browser;
    let page: Page;
    /** The example app on its own port: one signs private uploads, the other public-read ones. */
    const sites: Array<{ server: http.Server; origin: string }> = [];
    let origin: string;
    let publicOrigin: string;

    async function site(publicRead: boolean): Promise<string> {
      // Listen first: the bucket's CORS rule must name the page's exact origin, port included.
      let handler: http.RequestListener = (_req, res) => void res.writeHead(503).end();
      const server = http.createServer((req, res) => handler(req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const siteOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      sites.push({ server, origin: siteOrigin });
      const { app } = await createApp({
        bucket,
        s3: rgw,
        keyPrefix: 'uploads/',
        publicRead,
        // 5 MiB is the smallest threshold and part size S3 allows, so multipart needs only a 12-16 MiB file.
        policy: { maxFileSize: 64 * MiB, multipartThreshold: 5 * MiB, multipartPartSize: 5 * MiB },
        identity: { kind: 'dev', issuer },
        // Two parts at a time: parallel, yet slow enough under throttling for the resume test to reload mid-way.
        partConcurrency: 2,
      });
      handler = app;
      return siteOrigin;
    }

    /** The Terraform stack's CORS rule for one origin, in the SDK's shape: what a deployed bucket would enforce. */
    function stackCorsRule(ruleOrigin: string, publicRead: boolean): CORSRule {
      const rule = uploadCorsRule(validateDeploymentConfig({ bucketName: bucket, allowedOrigins: [ruleOrigin], publicRead }));
      return { ...sdkCorsRule(rule), ID: `${rule.id}-${publicRead ? 'public' : 'private'}` };
    }

    beforeAll(async () => {
      s3 = s3Client(rgw);
      issuer = await startDevIssuer({ audience: EMBEDDED_AUDIENCE });
      origin = await site(false);
      publicOrigin = await site(true);
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [stackCorsRule(origin, false), stackCorsRule(publicOrigin, true)] } }));
      browser = await launchBrowser();
    });

    afterAll(async () => {
      await browser?.close();
      if (s3) {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
        for (const object of listed?.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key! }));
        await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
        s3.destroy();
      }
      await Promise.all(sites.map(({ server }) => new Promise((resolve) => server.close(resolve))));
      await issuer?.stop();
    });

    beforeEach(async () => {
      page = await browser.context.newPage();
      await instrument(page);
    });
    afterEach(async () => {
      await page.close();
    });

    async function stored(key: string) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { contentType: head.ContentType, length: head.ContentLength, bytes: Buffer.from(await object.Body!.transformToByteArray()) };
    }

    /** S3's verdict on each browser PUT, so a signature mismatch is reported with RGW's own words. */
    function recordPuts(target: Page): Array<{ url: string; status: number; body: string; headers: Record<string, string> }> {
      const puts: Array<{ url: string; status: number; body: string; headers: Record<string, string> }> = [];
      target.on('requestfinished', async (req) => {
        if (req.method() !== 'PUT') return;
        const res = await req.response();
        puts.push({ url: req.url(), status: res?.status() ?? 0, body: res && res.status() >= 300 ? await res.text().catch(() => '') : '', headers: await req.allHeaders() });
      });
      return puts;
    }

    it('a single PUT from the browser passes RGW\'s signature check, and the object is verified', async () => {
      const puts = recordPuts(page);
      await openPage(page, origin);
      await devSignIn(page, 'rgw-alice');
      const png = pngBytes(80, 60, [10, 160, 90]);
      await pickFiles(page, [{ name: 'verified.png', mimeType: 'image/png', buffer: png }]);
      const result = await finishedItem(page, 'verified.png');
      // On a mismatch this shows RGW's answer (e.g. SignatureDoesNotMatch) and the headers the browser sent.
      expect({ state: result.state, message: result.message, puts: puts.filter((p) => p.status !== 200) }).toEqual({ state: 'done', message: 'Uploaded and checked.', puts: [] });
      expect(puts).toHaveLength(1);
      expect(puts[0].headers['content-type']).toBe('image/png');
      const object = await stored(result.key!);
      expect(object.contentType).toBe('image/png');
      expect(object.bytes.equals(png)).toBe(true);
      expect((await fetch(`${rgw.endpoint}/${bucket}/${result.key}`)).status).toBe(403);
      expect(await cspViolations(page)).toEqual([]);
    });

    it('with public-read, the browser sends the signed x-amz-acl header (allowed by the stack\'s CORS rule) and anyone can read the object', async () => {
      const puts = recordPuts(page);
      await openPage(page, publicOrigin);
      await devSignIn(page, 'rgw-public');
      const png = pngBytes(40, 40, [250, 200, 0]);
      await pickFiles(page, [{ name: 'public.png', mimeType: 'image/png', buffer: png }]);
      const result = await finishedItem(page, 'public.png');
      expect({ state: result.state, message: result.message, puts: puts.filter((p) => p.status !== 200) }).toEqual({ state: 'done', message: 'Uploaded and checked.', puts: [] });
      expect(puts[0].headers['x-amz-acl']).toBe('public-read');
      const anonymous = await fetch(`${rgw.endpoint}/${bucket}/${result.key}`);
      expect(anonymous.status).toBe(200);
      expect(Buffer.from(await anonymous.arrayBuffer()).equals(png)).toBe(true);
    });

    it('a multipart upload from the browser: parts in parallel slices, completed and verified, same bytes', async () => {
      const puts = recordPuts(page);
      let inFlight = 0;
      let maxInFlight = 0;
      page.on('request', (req) => req.method() === 'PUT' && (maxInFlight = Math.max(maxInFlight, ++inFlight)));
      page.on('requestfinished', (req) => req.method() === 'PUT' && inFlight--);
      await openPage(page, origin);
      await devSignIn(page, 'rgw-bob');
      const big = randomBytes(12 * MiB);
      await pickFiles(page, [{ name: 'big.jpg', mimeType: 'image/jpeg', buffer: big }]);
      const result = await finishedItem(page, 'big.jpg', 60_000);
      expect({ state: result.state, message: result.message, failedPuts: puts.filter((p) => p.status !== 200) }).toEqual({ state: 'done', message: 'Uploaded and checked.', failedPuts: [] });
      expect(result.progress).toBe(100);
      const parts = puts.map((p) => Number(new URL(p.url).searchParams.get('partNumber'))).sort();
      expect(parts).toEqual([1, 2, 3]);
      // Playwright reports a request finished only after its body is read, so the count can overshoot by one.
      expect(maxInFlight).toBeGreaterThanOrEqual(2);
      // Slices go without a Content-Type: none is signed for parts.
      expect(puts.every((p) => p.headers['content-type'] === undefined)).toBe(true);
      const object = await stored(result.key!);
      expect(object.contentType).toBe('image/jpeg');
      expect(object.length).toBe(big.length);
      expect(sha256(object.bytes)).toBe(sha256(big));
      // Completed, so the client forgot it: nothing is left to resume.
      expect(await resumeRecords(page)).toEqual([]);
    });

    it('resumes a multipart upload after a reload, sending only the parts RGW does not have', async () => {
      await openPage(page, origin);
      await devSignIn(page, 'rgw-carol');
      const cdp = await browser.context.newCDPSession(page);
      // About 1.5 s per 5 MiB part: time to reload after the first part and before the last.
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 5, downloadThroughput: -1, uploadThroughput: 3.5 * MiB });
      const file = randomBytes(16 * MiB); // parts of 5, 5, 5 and 1 MiB
      const firstPart = page.waitForResponse((res) => res.request().method() === 'PUT' && /[?&]partNumber=1(&|$)/.test(res.url()) && res.status() === 200, { timeout: 30_000 });
      await pickFiles(page, [{ name: 'resume.jpg', mimeType: 'image/jpeg', buffer: file }]);
      await firstPart;
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

      const item = page.locator('#uploads > li', { has: page.locator('.name', { hasText: 'resume.jpg' }) });
      await expect(item.locator('.message').textContent()).resolves.toBe('Interrupted by a reload.');
      expect(await resumeRecords(page)).toEqual([expect.objectContaining({ filename: 'resume.jpg', key: await item.getAttribute('data-key') })]);
      const sent: number[] = [];
      page.on('request', (req) => {
        if (req.method() === 'PUT') sent.push(Number(new URL(req.url()).searchParams.get('partNumber')));
      });
      await item.getByRole('button', { name: 'Resume upload of resume.jpg', exact: true }).click();
      const result = await finishedItem(page, 'resume.jpg', 60_000);
      expect(result.state).toBe('done');
      expect(await resumeRecords(page)).toEqual([]);
      expect(sent).not.toContain(1);
      expect(sent).toContain(4);
      const object = await stored(result.key!);
      expect(sha256(object.bytes)).toBe(sha256(file));
      await cdp.detach();
    });

    /** What the page keeps in Web Storage under its own prefix. */
    const pageStorage = (target: Page) =>
      target.evaluate(() =>
        [localStorage, sessionStorage].flatMap((storage) => Object.keys(storage).filter((name) => name.startsWith('express-direct-upload:')).map((name) => `${name}=${storage.getItem(name)}`)),
      );

    /** Signs in, starts a 16 MiB multipart upload, and reloads after its first part: a resume record (with the File) remains. */
    async function interruptedUpload(target: Page, user: string, name: string): Promise<string> {
      await openPage(target, origin);
      await devSignIn(target, user);
      const cdp = await browser.context.newCDPSession(target);
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 5, downloadThroughput: -1, uploadThroughput: 3.5 * MiB });
      const firstPart = target.waitForResponse((res) => res.request().method() === 'PUT' && /[?&]partNumber=1(&|$)/.test(res.url()) && res.status() === 200, { timeout: 30_000 });
      await pickFiles(target, [{ name, mimeType: 'image/jpeg', buffer: randomBytes(16 * MiB) }]);
      await firstPart;
      await target.reload();
      await target.waitForSelector('body[data-ready="true"]');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
      await target.getByRole('button', { name: `Resume upload of ${name}`, exact: true }).waitFor();
      const [record] = await resumeRecords(target);
      expect(record).toEqual(expect.objectContaining({ filename: name }));
      return record.key;
    }

    it('signing out forgets the user\'s resume data: no record, no File, no page storage, the upload aborted in RGW, and no Resume offer for the next user', async () => {
      const key = await interruptedUpload(page, 'rgw-gina', 'gina-private.jpg');
      expect(await pageStorage(page)).toEqual(expect.arrayContaining([expect.stringMatching(/^express-direct-upload:dev-session=.*rgw-gina/), 'express-direct-upload:resume-owner=rgw-gina']));
      const aborted = page.waitForResponse((res) => res.request().method() === 'DELETE' && res.url().includes('/uploads/multipart?'));

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('#status', { hasText: 'Signed out.' }).waitFor();
      expect((await aborted).status()).toBe(204);
      expect(await resumeRecords(page)).toEqual([]);
      expect(await pageStorage(page)).toEqual([]);
      expect(await page.locator('#uploads > li').count()).toBe(0);
      expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }))).Uploads ?? []).toEqual([]);

      // The next person at this browser, after a reload too: nothing of gina's is offered.
      await devSignIn(page, 'rgw-hank');
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
      await page.locator('#account-name', { hasText: 'rgw-hank' }).waitFor();
      expect(await page.getByRole('button', { name: /^Resume upload/ }).count()).toBe(0);
      expect(await page.locator('#uploads > li').count()).toBe(0);
    });

    it('a user who closed the tab without signing out: the next user to sign in finds the resume store emptied', async () => {
      await interruptedUpload(page, 'rgw-ivy', 'ivy-private.jpg');
      // A new tab has a new sessionStorage, so no session: the next person signs in as themself.
      await page.close();
      page = await browser.context.newPage();
      await openPage(page, origin);
      expect(await resumeRecords(page)).toHaveLength(1);
      await devSignIn(page, 'rgw-jack');
      expect(await resumeRecords(page)).toEqual([]);
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]');
      await page.locator('#account-name', { hasText: 'rgw-jack' }).waitFor();
      expect(await page.getByRole('button', { name: /^Resume upload/ }).count()).toBe(0);
      expect(await pageStorage(page)).toEqual(expect.arrayContaining(['express-direct-upload:resume-owner=rgw-jack']));
    });

    it('retries a part whose PUT failed on the network, and still completes with the right bytes', async () => {
      let failed = 0;
      await page.route((url) => url.origin === rgw.endpoint && url.searchParams.get('partNumber') === '2', (route) => {
        if (failed++ === 0) return route.abort('connectionreset');
        return route.continue();
      });
      await openPage(page, origin);
      await devSignIn(page, 'rgw-erin');
      const file = randomBytes(11 * MiB);
      await pickFiles(page, [{ name: 'flaky.jpg', mimeType: 'image/jpeg', buffer: file }]);
      const result = await finishedItem(page, 'flaky.jpg', 60_000);
      expect({ state: result.state, message: result.message }).toEqual({ state: 'done', message: 'Uploaded and checked.' });
      expect(failed).toBe(2);
      expect(sha256((await stored(result.key!)).bytes)).toBe(sha256(file));
    });

    it('after a part fails for good, Retry continues the same multipart upload instead of starting over', async () => {
      let blocked = true;
      await page.route((url) => url.origin === rgw.endpoint && url.searchParams.get('partNumber') === '3', (route) =>
        blocked ? route.abort('connectionreset') : route.continue(),
      );
      const puts: number[] = [];
      const starts: string[] = [];
      page.on('request', (req) => {
        if (req.method() === 'PUT') puts.push(Number(new URL(req.url()).searchParams.get('partNumber')));
        if (req.method() === 'POST' && new URL(req.url()).pathname === '/uploads') starts.push(req.url());
      });
      await openPage(page, origin);
      await devSignIn(page, 'rgw-fay');
      const file = randomBytes(12 * MiB);
      await pickFiles(page, [{ name: 'stubborn.jpg', mimeType: 'image/jpeg', buffer: file }]);
      const failed = await finishedItem(page, 'stubborn.jpg', 60_000);
      expect(failed.state).toBe('error');
      expect(failed.message).toMatch(/network failed, or storage refused this page/);
      expect(puts.filter((n) => n === 3)).toHaveLength(4); // every attempt, with backoff in between

      blocked = false;
      puts.length = 0;
      await failed.item.getByRole('button', { name: 'Retry upload of stubborn.jpg' }).click();
      await page.locator('#uploads > li[data-state=done]', { has: page.locator('.name', { hasText: 'stubborn.jpg' }) }).waitFor({ timeout: 60_000 });
      expect(starts).toHaveLength(1);
      expect(puts).toEqual([3]);
      const key = (await failed.item.getAttribute('data-key'))!;
      expect(sha256((await stored(key)).bytes)).toBe(sha256(file));
    });

    it('cancelling a multipart upload aborts it in RGW, leaving no upload and no object', async () => {
      await openPage(page, origin);
      await devSignIn(page, 'rgw-dave');
      const cdp = await browser.context.newCDPSession(page);
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 5, downloadThroughput: -1, uploadThroughput: 2 * MiB });
      await pickFiles(page, [{ name: 'abandon.jpg', mimeType: 'image/jpeg', buffer: randomBytes(11 * MiB) }]);
      const uploading = page.locator('#uploads > li[data-state=uploading]', { has: page.locator('.name', { hasText: 'abandon.jpg' }) });
      await uploading.waitFor();
      const key = (await uploading.getAttribute('data-key'))!;
      const aborted = page.waitForResponse((res) => res.request().method() === 'DELETE' && res.url().includes('/uploads/multipart?'));
      await uploading.getByRole('button', { name: 'Cancel upload of abandon.jpg' }).click();
      expect((await aborted).status()).toBe(204);
      const result = await finishedItem(page, 'abandon.jpg');
      expect(result.state).toBe('cancelled');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      await cdp.detach();
      const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
      expect(uploads.Uploads ?? []).toEqual([]);
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    });
  });
});
