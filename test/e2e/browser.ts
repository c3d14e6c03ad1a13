// Finds and launches Debian Chromium through playwright-core, and skips (or, with REQUIRE_BROWSER=1, fails) browser tests without one.
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The flags the project standardises on: headless, no sandbox (containers), and no background traffic to Google. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function browserUnavailableReason(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch {
    return `no chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  }
}

/**
 * `describe()` for tests that drive a real browser. Without one the block is reported as skipped with the reason;
 * with REQUIRE_BROWSER=1 (CI) a missing browser is a failing test instead.
 */
export function describeWithBrowser(name: string, fn: () => void): void {
  const reason = browserUnavailableReason();
  if (!reason) describe(name, fn);
  else if (process.env.REQUIRE_BROWSER === '1') {
    describe(name, () => {
      test('has a browser to run in', () => {
        throw new Error(`REQUIRE_BROWSER=1 but there is ${reason}`);
      });
    });
  } else {
    // Jest prints nothing about a file whose tests are all skipped, so say why here too.
    console.warn(`Browser tests skipped: ${name}: ${reason}. Set REQUIRE_BROWSER=1 to make this an error.`);
    describe.skip(`${name} (skipped: ${reason})`, fn);
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile per launch, so no cookie, cache or storage leaks between test files. */
export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'edu-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: options.viewport ?? { width: 1100, height: 800 },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A small but real PNG (solid colour), so the page's preview and the stored bytes are a genuine image. */
export function pngBytes(width = 32, height = 24, rgb: [number, number, number] = [30, 120, 200]): Buffer {
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3).map((_, i) => rgb[i % 3])]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}
