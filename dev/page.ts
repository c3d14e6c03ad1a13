// Drives the upload page the way a person does (sign in, pick files) and records what it shows, for the browser tests and the page bench.
import type { Page } from 'playwright-core';

export interface PickedFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** Records CSP violations and every percentage each upload shows, from before the page's own scripts run. */
export async function instrument(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[]; __progress: Record<string, string[]> };
    w.__csp = [];
    w.__progress = {};
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    new MutationObserver(() => {
      for (const item of document.querySelectorAll('#uploads > li')) {
        const name = item.querySelector('.name')?.textContent ?? '';
        const percent = item.querySelector('.percent')?.textContent ?? '';
        const seen = (w.__progress[name] ??= []);
        if (seen[seen.length - 1] !== percent) seen.push(percent);
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

export async function openPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
}

export async function devSignIn(page: Page, name: string): Promise<void> {
  await page.getByLabel('User name').fill(name);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#account-name', { hasText: name }).waitFor();
}

export async function pickFiles(page: Page, files: PickedFile[]): Promise<void> {
  await page.setInputFiles('#file-input', files);
}

/** The list item of an upload, once it reached a final state. */
export async function finishedItem(page: Page, name: string, timeout = 20_000) {
  const item = page.locator('#uploads > li', { has: page.locator('.name', { hasText: name }) });
  await item.and(page.locator('[data-state=done], [data-state=error], [data-state=cancelled]')).waitFor({ timeout });
  return {
    state: await item.getAttribute('data-state'),
    key: await item.getAttribute('data-key'),
    message: (await item.locator('.message').textContent()) ?? '',
    progress: await item.locator('progress').evaluate((el) => (el as HTMLProgressElement).value),
    percentText: await item.locator('.percent').textContent(),
    item,
  };
}

export async function progressSeen(page: Page, name: string): Promise<string[]> {
  return page.evaluate((n) => (window as unknown as { __progress: Record<string, string[]> }).__progress[n] ?? [], name);
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

/** The upload client's resume records in the page's IndexedDB (its default store): multipart uploads not finished. */
export async function resumeRecords(page: Page): Promise<Array<{ key: string; uploadId: string; filename?: string }>> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('express-direct-upload');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          if (!db.objectStoreNames.contains('resume')) return resolve([]);
          const all = db.transaction('resume').objectStore('resume').getAll();
          all.onsuccess = () => resolve(all.result.map(({ key, uploadId, filename }) => ({ key, uploadId, filename })));
          all.onerror = () => reject(all.error);
        };
      }),
  );
}
