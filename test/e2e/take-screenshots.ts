// Takes the page screenshots in docs/screenshots/ against the embedded default: `node -r ts-node/register/transpile-only test/e2e/take-screenshots.ts`.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../../dev/chromium';
import { devSignIn, finishedItem, openPage, pickFiles } from '../../dev/page';
import { pngBytes } from '../../dev/png';
import { startEmbeddedServer } from '../support/embedded-server';

const OUT = path.resolve(__dirname, '../../docs/screenshots');

/** A real PNG padded after its end marker: it still previews, and it is big enough to watch the progress bar. */
function paddedPng(rgb: [number, number, number], size: number): Buffer {
  const png = pngBytes(120, 90, rgb);
  return Buffer.concat([png, Buffer.alloc(Math.max(0, size - png.length), 0)]);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const running = await startEmbeddedServer();
  const browser = await launchBrowser({ viewport: { width: 1000, height: 720 } });
  try {
    const page = await browser.context.newPage();
    await openPage(page, running.url);
    await shot(page, 'signed-out');

    await devSignIn(page, 'alice');
    await shot(page, 'signed-in');

    // Uploading: slow the network so the bars are caught mid-way.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 10, downloadThroughput: -1, uploadThroughput: 150_000 });
    await pickFiles(page, [
      { name: 'holiday-card.png', mimeType: 'image/png', buffer: paddedPng([220, 90, 60], 900_000) },
      { name: 'family-photo.png', mimeType: 'image/png', buffer: paddedPng([60, 140, 210], 700_000) },
    ]);
    await page.waitForFunction(() => [...document.querySelectorAll('#uploads progress')].some((p) => (p as HTMLProgressElement).value >= 30));
    await shot(page, 'uploading');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await finishedItem(page, 'holiday-card.png');
    await finishedItem(page, 'family-photo.png');
    await page.locator('#status').evaluate((el) => (el.textContent = 'family-photo.png uploaded.'));
    await shot(page, 'success');

    await pickFiles(page, [
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
      { name: 'huge-scan.png', mimeType: 'image/png', buffer: paddedPng([120, 120, 120], 11 * 1024 * 1024) },
    ]);
    await finishedItem(page, 'notes.txt');
    await finishedItem(page, 'huge-scan.png');
    await shot(page, 'error');

    const phone = await browser.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await openPage(phone, running.url);
    await shot(phone, 'phone-signed-out');
    await devSignIn(phone, 'bob');
    await pickFiles(phone, [
      { name: 'IMG_2041.png', mimeType: 'image/png', buffer: paddedPng([90, 170, 90], 40_000) },
      { name: 'document.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4') },
    ]);
    await finishedItem(phone, 'IMG_2041.png');
    await finishedItem(phone, 'document.pdf');
    await shot(phone, 'phone');
  } finally {
    await browser.close();
    await running.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
