// The upload page in Debian Chromium against the embedded default: dev login, real files through the picker and the upload client, bytes checked in the local S3.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../../dev/chromium';
import { cspViolations, devSignIn, finishedItem, instrument, openPage, pickFiles, progressSeen } from '../../dev/page';
import { pngBytes } from '../../dev/png';
import { s3Client } from '../../dev/s3-connection';
import { loadSettings } from '../../example-server/config';
import { startServer, type RunningServer } from '../../example-server/server';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server';
import { describeWithBrowser } from './browser';

jest.setTimeout(60_000);

describeWithBrowser('upload page in Chromium, embedded default', () => {
  let running: EmbeddedServer;
  let browser: Browser;
  let s3: S3Client;
  let page: Page;

  beforeAll(async () => {
    // A small size limit, so the 413 case needs no huge file.
    running = await startEmbeddedServer({ MAX_FILE_SIZE: '1MiB' });
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

  async function stored(key: string) {
    const head = await s3.send(new HeadObjectCommand({ Bucket: running.bucket, Key: key }));
    const object = await s3.send(new GetObjectCommand({ Bucket: running.bucket, Key: key }));
    return { contentType: head.ContentType, length: head.ContentLength, bytes: Buffer.from(await object.Body!.transformToByteArray()) };
  }

  it('signs in with the dev login, uploads a PNG through the picker, shows 100% and success, and the bytes land in S3', async () => {
    await openPage(page, running.url);
    await expect(page.getByRole('heading', { name: 'Sign in to upload' }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: 'Sign out' }).isVisible()).resolves.toBe(false);
    await expect(page.locator('#file-input').count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Choose files' }).or(page.getByText('Choose files')).isVisible()).resolves.toBe(false);
    await devSignIn(page, 'alice');

    const png = pngBytes(64, 48);
    await pickFiles(page, [{ name: 'sunset.png', mimeType: 'image/png', buffer: png }]);
    const result = await finishedItem(page, 'sunset.png');

    expect(result.state).toBe('done');
    // POST /uploads/complete exists, so the server checked the object's size and type in the bucket.
    expect(result.message).toBe('Uploaded and checked.');
    expect(result.progress).toBe(100);
    expect(result.percentText).toBe('100%');
    // The percentage came from XHR progress events and only went up.
    const seen = (await progressSeen(page, 'sunset.png')).map((p) => Number(p.replace('%', '')));
    expect(seen[seen.length - 1]).toBe(100);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(result.key).toMatch(/^uploads\/[0-9a-f]{32}\/[0-9a-f-]{36}\.png$/);
    await expect(result.item.locator('.key code').textContent()).resolves.toBe(result.key);
    await expect(result.item.locator('img.preview').getAttribute('src')).resolves.toMatch(/^blob:/);
    // Finished: neither Cancel nor Retry is offered.
    await expect(result.item.getByRole('button').count()).resolves.toBe(0);

    const object = await stored(result.key!);
    expect(object.contentType).toBe('image/png');
    expect(object.length).toBe(png.length);
    expect(object.bytes.equals(png)).toBe(true);
    await expect(page.locator('#status').textContent()).resolves.toBe('sunset.png uploaded.');
    expect(await cspViolations(page)).toEqual([]);
  });

  it('uploads several files at once, each with its own item and object', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'bob');
    const files = [
      { name: 'one.png', mimeType: 'image/png', buffer: pngBytes(10, 10, [200, 0, 0]) },
      { name: 'two.jpg', mimeType: 'image/jpeg', buffer: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(5000, 7), Buffer.from([0xff, 0xd9])]) },
    ];
    await pickFiles(page, files);
    for (const file of files) {
      const result = await finishedItem(page, file.name);
      expect(result.state).toBe('done');
      const object = await stored(result.key!);
      expect(object.contentType).toBe(file.mimeType);
      expect(object.bytes.equals(file.buffer)).toBe(true);
    }
    await expect(page.locator('#status').textContent()).resolves.toBe('2 uploaded.');
  });

  it('sums up a mixed batch in the banner ("2 uploaded, 2 failed"), not just its last event', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'mixa');
    const files = [
      { name: 'ok-1.png', mimeType: 'image/png', buffer: pngBytes(12, 12, [0, 0, 200]) },
      { name: 'bad-type.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
      { name: 'ok-2.png', mimeType: 'image/png', buffer: pngBytes(14, 14, [0, 200, 0]) },
      { name: 'too-big.png', mimeType: 'image/png', buffer: Buffer.alloc(1024 * 1024 + 10, 2) },
    ];
    await pickFiles(page, files);
    const states: Array<string | null> = [];
    for (const file of files) states.push((await finishedItem(page, file.name)).state);
    expect(states).toEqual(['done', 'error', 'done', 'error']);
    const banner = page.locator('#status');
    await expect(banner.textContent()).resolves.toBe('2 uploaded, 2 failed (bad-type.txt, too-big.png).');
    await expect(banner.getAttribute('class')).resolves.toContain('problem');
  });

  it('uploads files dropped on the drop zone', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'dora');
    const png = pngBytes(20, 20, [0, 200, 100]);
    // What a drag from the desktop delivers: a drop event whose DataTransfer holds the File.
    await page.evaluate((bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
      const zone = document.querySelector('#drop-zone')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, [...png]);
    const result = await finishedItem(page, 'dropped.png');
    expect(result.state).toBe('done');
    await expect(result.item.locator('progress').getAttribute('aria-label')).resolves.toBe('Upload of dropped.png');
    expect((await stored(result.key!)).bytes.equals(png)).toBe(true);
  });

  it('shows the server\'s 415 detail for a type that is not allowed, and stores nothing', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'carol');
    await pickFiles(page, [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') }]);
    const result = await finishedItem(page, 'notes.txt');
    expect(result.state).toBe('error');
    expect(result.message).toContain('File type not accepted');
    expect(result.message).toContain('Content type "text/plain" is not allowed');
    expect(result.key).toBeNull();
    await expect(page.locator('#status').textContent()).resolves.toContain('notes.txt failed');
    await expect(page.locator('#status').getAttribute('aria-live')).resolves.toBe('polite');
  });

  it('shows the server\'s 413 detail for a file over the limit', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'dave');
    await pickFiles(page, [{ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(1024 * 1024 + 1, 1) }]);
    const result = await finishedItem(page, 'huge.png');
    expect(result.state).toBe('error');
    // Human units on the page; the exact byte counts stay in the API's problem detail, one hover away.
    expect(result.message).toBe('Too large: this file is 1.0 MiB; the limit is 1 MiB.');
    await expect(result.item.locator('.message').getAttribute('title')).resolves.toBe(`The file is ${1024 * 1024 + 1} bytes; the limit is ${1024 * 1024} bytes.`);
  });

  it('labels every size in binary units (KiB, MiB), the limit hint included', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'kim');
    await expect(page.locator('#limits').textContent()).resolves.toBe('Accepted: JPEG, PNG, GIF, WEBP. Up to 1 MiB each.');
    await pickFiles(page, [{ name: 'mid.png', mimeType: 'image/png', buffer: Buffer.concat([pngBytes(), Buffer.alloc(5000)]) }]);
    const result = await finishedItem(page, 'mid.png');
    expect(result.state).toBe('done');
    await expect(result.item.locator('.size').textContent()).resolves.toMatch(/^\(\d\.\d KiB\)$/);
    // No decimal-looking labels anywhere: one unit style on the whole page.
    await expect(page.locator('body').innerText()).resolves.not.toMatch(/\d\s?(KB|MB|GB)\b/);
  });

  it('tells the user to sign in again when the token is refused (401), and goes back to the sign-in form', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'erin');
    await page.evaluate(() => {
      const key = 'express-direct-upload:dev-session';
      const session = JSON.parse(sessionStorage.getItem(key)!);
      sessionStorage.setItem(key, JSON.stringify({ ...session, token: `${session.token.slice(0, -4)}AAAA` }));
    });
    await pickFiles(page, [{ name: 'late.png', mimeType: 'image/png', buffer: pngBytes() }]);
    const result = await finishedItem(page, 'late.png');
    expect(result.state).toBe('error');
    expect(result.message).toBe('Your sign-in has expired or was not accepted, so the server would not prepare the upload. Sign in again, then retry.');
    await page.getByRole('heading', { name: 'Sign in to upload' }).waitFor();
  });

  it('explains the no-token 401 in plain words when the session is gone, with no protocol jargon', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'nora');
    const answers: Array<{ status: number; authorization?: string }> = [];
    page.on('response', async (res) => {
      if (res.request().method() === 'POST' && new URL(res.url()).pathname === '/uploads') answers.push({ status: res.status(), authorization: await res.request().headerValue('authorization') ?? undefined });
    });
    // The session ended in this tab (as after its expiry): the page has no token to send.
    await page.evaluate(() => sessionStorage.removeItem('express-direct-upload:dev-session'));
    await pickFiles(page, [{ name: 'anonymous.png', mimeType: 'image/png', buffer: pngBytes() }]);
    const result = await finishedItem(page, 'anonymous.png');
    expect(answers).toEqual([{ status: 401, authorization: undefined }]);
    expect(result.state).toBe('error');
    expect(result.message).toBe('You are not signed in, so the server would not prepare the upload (it needs to know who is uploading). Sign in, then retry.');
    expect(result.message).not.toMatch(/token|bearer|401/i);
    await page.getByRole('heading', { name: 'Sign in to upload' }).waitFor();
  });

  it('reports a storage refusal (signature mismatch) instead of claiming success', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'frank');
    // s3rver does not check signatures, so stand in for S3 answering the PUT as AWS does to a tampered request.
    await page.route(`${running.s3Origin}/**`, (route) =>
      route.request().method() === 'PUT'
        ? route.fulfill({
            status: 403,
            headers: { 'content-type': 'application/xml', 'access-control-allow-origin': new URL(running.url).origin },
            body: '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message></Error>',
          })
        : route.continue(),
    );
    await pickFiles(page, [{ name: 'tampered.png', mimeType: 'image/png', buffer: pngBytes() }]);
    const result = await finishedItem(page, 'tampered.png');
    expect(result.state).toBe('error');
    expect(result.message).toContain('SignatureDoesNotMatch');
    await expect(result.item.getByRole('button', { name: 'Retry upload of tampered.png' }).isVisible()).resolves.toBe(true);
  });

  it('reports a network failure on the PUT (connection lost, or CORS refused)', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'gina');
    await page.route(`${running.s3Origin}/**`, (route) => (route.request().method() === 'PUT' ? route.abort('connectionreset') : route.continue()));
    await pickFiles(page, [{ name: 'lost.png', mimeType: 'image/png', buffer: pngBytes() }]);
    const result = await finishedItem(page, 'lost.png');
    expect(result.state).toBe('error');
    expect(result.message).toMatch(/could not send the file to storage: the network failed, or storage refused this page \(CORS\)/);
  });

  it('cancels an upload in flight, and nothing is stored', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'hana');
    // Slow the upload down so there is time to press Cancel.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 1_000_000, uploadThroughput: 40_000 });
    const aborted: string[] = [];
    page.on('requestfailed', (request) => {
      if (request.method() === 'PUT' && /ERR_ABORTED/.test(request.failure()?.errorText ?? '')) aborted.push(request.url());
    });
    await pickFiles(page, [{ name: 'slow.png', mimeType: 'image/png', buffer: Buffer.alloc(800_000, 3) }]);
    const item = page.locator('#uploads > li', { has: page.locator('.name', { hasText: 'slow.png' }) });
    await page.locator('#uploads > li[data-state=uploading]', { has: page.locator('.name', { hasText: 'slow.png' }) }).waitFor();
    const key = await item.getAttribute('data-key');
    await item.getByRole('button', { name: 'Cancel upload of slow.png' }).click();
    const result = await finishedItem(page, 'slow.png');
    expect(result.state).toBe('cancelled');
    expect(result.progress).toBeLessThan(100);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    expect(aborted).toEqual([expect.stringContaining(key!)]);
    // s3rver keeps what it received of an aborted PUT (real S3 and RGW refuse a body shorter than the signed
    // Content-Length), so here the check is that no complete object exists; the RGW suite checks for none at all.
    const head = await s3.send(new HeadObjectCommand({ Bucket: running.bucket, Key: key! })).catch((err: Error) => err);
    if (head instanceof Error) expect(head.name).toBe('NotFound');
    else expect(head.ContentLength).toBeLessThan(800_000);
  });

  it('has a favicon: linked from the page, served, and no 404 for /favicon.ico', async () => {
    const notFound: string[] = [];
    page.on('response', (res) => res.status() === 404 && notFound.push(res.url()));
    await openPage(page, running.url);
    await expect(page.locator('link[rel=icon]').getAttribute('href')).resolves.toBe('/favicon.ico');
    const icon = await fetch(`${running.url}/favicon.ico`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toMatch(/image\/(x-icon|vnd\.microsoft\.icon)/);
    expect(Buffer.from(await icon.arrayBuffer()).subarray(0, 4).equals(Buffer.from([0, 0, 1, 0]))).toBe(true);
    expect(notFound).toEqual([]);
  });

  it('imports the upload client from this server as a module (no copy in public/), under the CSP', async () => {
    const scripts: Array<{ url: string; type: string | null }> = [];
    page.on('response', (res) => res.request().resourceType() === 'script' && scripts.push({ url: new URL(res.url()).pathname, type: res.headers()['content-type'] ?? null }));
    await openPage(page, running.url);
    expect(scripts.map((s) => s.url)).toEqual(expect.arrayContaining(['/app.js', '/client/index.js', '/client/multipart.js']));
    expect(scripts.every((s) => /^text\/javascript/.test(s.type ?? ''))).toBe(true);
    expect((await fetch(`${running.url}/uploader.js`)).status).toBe(404);
    expect(await cspViolations(page)).toEqual([]);
  });

  it('works with the keyboard: the file picker is reachable by Tab and its focus is visible', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'ivan');
    // From the header's last control, one Tab reaches the (visually hidden) file input; its label shows the focus ring.
    await page.locator('#sign-out').focus();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('file-input');
    const outline = await page.locator('label[for=file-input]').evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).toBe('solid');
    await expect(page.locator('label[for=file-input]').textContent()).resolves.toBe('Choose files');
  });
});

describeWithBrowser('upload page in Chromium, real mode (Auth0 sign-in)', () => {
  const TENANT = 'https://example-tenant.eu.auth0.com';
  let running: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    const settings = loadSettings({
      PORT: '0',
      AUTH0_ISSUER_BASE_URL: `${TENANT}/`,
      AUTH0_AUDIENCE: 'https://api.example.com/uploads',
      AUTH0_CLIENT_ID: 'spa-client-123',
      S3_BUCKET: 'my-app-uploads',
    });
    running = await startServer(settings);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  it('loads the SPA SDK from this server under the CSP, offers no dev login, and sends the user to Universal Login with PKCE', async () => {
    const page = await browser.context.newPage();
    await instrument(page);
    // The tenant is not reachable from a test; catch the navigation to it and check where it would go.
    const authorize: string[] = [];
    await page.route(`${TENANT}/**`, (route) => {
      authorize.push(route.request().url());
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Universal Login (stub)</title>' });
    });
    await openPage(page, `http://127.0.0.1:${running.port}`);
    await expect(page.locator('#dev-login').isVisible()).resolves.toBe(false);
    await expect(page.evaluate(() => typeof (window as unknown as { auth0?: unknown }).auth0)).resolves.toBe('object');
    expect(await cspViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${TENANT}/**`);
    const url = new URL(authorize[authorize.length - 1]);
    expect(url.pathname).toBe('/authorize');
    expect(Object.fromEntries(['client_id', 'audience', 'redirect_uri', 'response_type', 'code_challenge_method'].map((k) => [k, url.searchParams.get(k)]))).toEqual({
      client_id: 'spa-client-123',
      audience: 'https://api.example.com/uploads',
      redirect_uri: `http://127.0.0.1:${running.port}/`,
      response_type: 'code',
      code_challenge_method: 'S256',
    });
    await page.close();
  });
});
