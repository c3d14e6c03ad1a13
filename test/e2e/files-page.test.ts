// The page's "Your files" list in Debian Chromium against the embedded default: upload, see it listed, download the same bytes, delete it.
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from '../../dev/chromium';
import { cspViolations, devSignIn, finishedItem, instrument, openPage, pickFiles } from '../../dev/page';
import { pngBytes } from '../../dev/png';
import { s3Client } from '../../dev/s3-connection';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server';
import { describeWithBrowser } from './browser';

jest.setTimeout(60_000);

describeWithBrowser('"Your files" on the upload page, in Chromium', () => {
  let running: EmbeddedServer;
  let browser: Browser;
  let s3: S3Client;
  let page: Page;

  beforeAll(async () => {
    running = await startEmbeddedServer();
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

  const row = (name: string) => page.getByRole('row', { name: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });

  it('lists an upload under its original name, downloads the same bytes under that name, and deletes it from list and bucket', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'carol');
    await page.getByRole('heading', { name: 'Your files' }).waitFor();
    await page.getByText('You have no stored files yet.').waitFor();

    const png = pngBytes(30, 20, [10, 120, 200]);
    await pickFiles(page, [{ name: 'Été 2026.png', mimeType: 'image/png', buffer: png }]);
    const uploaded = await finishedItem(page, 'Été 2026.png');
    expect(uploaded.state).toBe('done');

    const listed = row('Été 2026.png');
    await listed.waitFor();
    await expect(listed.getByRole('cell').first().textContent()).resolves.toBe(`${png.length} bytes`);
    await expect(page.getByRole('rowheader', { name: 'Été 2026.png' }).getAttribute('title')).resolves.toBe(uploaded.key);

    // Download: the presigned URL answers Content-Disposition: attachment, so Chromium saves the file.
    const [download] = await Promise.all([page.waitForEvent('download'), listed.getByRole('button', { name: 'Download Été 2026.png' }).click()]);
    expect(download.suggestedFilename()).toBe('Été 2026.png');
    const saved = await download.path();
    expect((await readFile(saved!)).equals(png)).toBe(true);
    // The page stayed where it was.
    expect(new URL(page.url()).origin).toBe(new URL(running.url).origin);

    // Delete, after the confirmation.
    const dialogs: string[] = [];
    page.once('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await listed.getByRole('button', { name: 'Delete Été 2026.png' }).click();
    await listed.waitFor({ state: 'detached' });
    expect(dialogs).toEqual(['Delete Été 2026.png? This cannot be undone.']);
    await expect(page.locator('#status').textContent()).resolves.toBe('Deleted Été 2026.png.');
    await page.getByText('You have no stored files yet.').waitFor();
    await expect(s3.send(new HeadObjectCommand({ Bucket: running.bucket, Key: uploaded.key! }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    // Gone on the server too, not just on the page.
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByText('You have no stored files yet.').waitFor();
    expect(await cspViolations(page)).toEqual([]);
  });

  it('keeps the file when the deletion is not confirmed, shows it after a reload, and not to another user', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'dave');
    await pickFiles(page, [{ name: 'keep.png', mimeType: 'image/png', buffer: pngBytes(8, 8) }]);
    const uploaded = await finishedItem(page, 'keep.png');
    await row('keep.png').waitFor();

    page.once('dialog', (dialog) => void dialog.dismiss());
    await row('keep.png').getByRole('button', { name: 'Delete keep.png' }).click();
    await expect(row('keep.png').count()).resolves.toBe(1);
    await s3.send(new HeadObjectCommand({ Bucket: running.bucket, Key: uploaded.key! }));

    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await row('keep.png').waitFor();

    // Signing out (which first aborts and forgets unfinished uploads) hides the list and drops its rows.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#files').waitFor({ state: 'hidden' });
    await page.locator('#sign-in').waitFor();
    await expect(page.locator('#files-body').evaluate((body) => body.children.length)).resolves.toBe(0);
    await devSignIn(page, 'erin');
    await page.getByText('You have no stored files yet.').waitFor();
    await expect(row('keep.png').count()).resolves.toBe(0);
  });

  it('reaches Download and Delete with the keyboard, each named after its file', async () => {
    await openPage(page, running.url);
    await devSignIn(page, 'frank');
    await pickFiles(page, [{ name: 'tab.png', mimeType: 'image/png', buffer: pngBytes(4, 4) }]);
    await row('tab.png').waitFor();
    await page.getByRole('button', { name: 'Refresh' }).focus();
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      await page.keyboard.press('Tab');
      names.push(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''));
    }
    expect(names).toEqual(['Download tab.png', 'Delete tab.png']);
  });
});
