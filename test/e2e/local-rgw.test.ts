// `LOCAL_S3=rgw npm start`: the embedded default on a throwaway Ceph RGW, where a file above the threshold goes up in parts through the page.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../../dev/chromium';
import { cspViolations, devSignIn, finishedItem, instrument, openPage, pickFiles } from '../../dev/page';
import { s3Client } from '../../dev/s3-connection';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server';
import { describeWithRgw } from '../support/rgw';
import { describeWithBrowser } from './browser';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// describeWithRgw is the guard (Ceph installed, or REQUIRE_RGW=1 fails); this mode starts its own cluster, as npm start does.
describeWithRgw('LOCAL_S3=rgw: the embedded default on Ceph RGW', () => {
  describeWithBrowser('the upload page', () => {
    let running: EmbeddedServer;
    let browser: Browser;
    let s3: S3Client;
    let page: Page;

    beforeAll(async () => {
      // Nothing but LOCAL_S3: the mode's own defaults must make multipart reachable.
      running = await startEmbeddedServer({ LOCAL_S3: 'rgw' });
      s3 = s3Client(running.embedded!.s3);
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      s3?.destroy();
      await running?.stop();
    });
    beforeEach(async () => {
      page = await browser.context.newPage();
      await instrument(page);
    });
    afterEach(async () => {
      await page.close();
    });

    it('offers multipart above 5 MiB with the 10 MiB default limit', () => {
      expect(running.embedded!.s3.kind).toBe('rgw');
      expect(running.settings.policy.multipartThreshold).toBe(5 * MiB);
      expect(running.pageConfig.maxFileSize).toBe(10 * MiB);
    });

    it('uploads a 9 MiB file through the page in two parts, and the bucket holds the same bytes', async () => {
      const partPuts: Array<{ partNumber: number; status: number }> = [];
      page.on('response', (res) => {
        const partNumber = new URL(res.url()).searchParams.get('partNumber');
        if (res.request().method() === 'PUT' && partNumber) partPuts.push({ partNumber: Number(partNumber), status: res.status() });
      });
      await openPage(page, running.url);
      await devSignIn(page, 'rgw-local');
      const file = randomBytes(9 * MiB);
      await pickFiles(page, [{ name: 'large.jpg', mimeType: 'image/jpeg', buffer: file }]);
      const result = await finishedItem(page, 'large.jpg', 60_000);
      expect({ state: result.state, message: result.message }).toEqual({ state: 'done', message: 'Uploaded and checked.' });
      // 8 MiB parts (the default part size): 8 + 1.
      expect(partPuts.sort((a, b) => a.partNumber - b.partNumber)).toEqual([
        { partNumber: 1, status: 200 },
        { partNumber: 2, status: 200 },
      ]);
      const object = await s3.send(new GetObjectCommand({ Bucket: running.bucket, Key: result.key! }));
      expect(object.ContentType).toBe('image/jpeg');
      expect(sha256(await object.Body!.transformToByteArray())).toBe(sha256(file));
      expect(await cspViolations(page)).toEqual([]);
    });

    it('verifies signatures, unlike s3rver: a URL whose signature was altered gets 403', async () => {
      const token = await running.embedded!.issuer.issue({ sub: 'dev|rgw-local' });
      const presign = await fetch(`${running.url}/uploads`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ filename: 'a.png', contentType: 'image/png', size: 3 }),
      });
      const { url, headers } = (await presign.json()) as { url: string; headers: Record<string, string> };
      const tampered = new URL(url);
      const signature = tampered.searchParams.get('X-Amz-Signature')!;
      tampered.searchParams.set('X-Amz-Signature', `${signature[0] === '0' ? '1' : '0'}${signature.slice(1)}`);
      const put = await fetch(tampered, { method: 'PUT', headers, body: new Uint8Array([1, 2, 3]) });
      expect(put.status).toBe(403);
      expect((await fetch(url, { method: 'PUT', headers, body: new Uint8Array([1, 2, 3]) })).status).toBe(200);
    });
  });
});

describeWithRgw('LOCAL_S3=rgw: stopping', () => {
  it('stop() ends the cluster and removes its directory: the data was in RAM only', async () => {
    const running = await startEmbeddedServer({ LOCAL_S3: 'rgw' });
    const { endpoint, dir } = running.embedded!.s3 as { endpoint: string; dir?: string };
    expect(dir && existsSync(dir)).toBe(true);
    expect((await fetch(endpoint)).status).toBe(200);
    await running.stop();
    expect(existsSync(dir!)).toBe(false);
    await expect(fetch(endpoint)).rejects.toThrow();
  });
});
