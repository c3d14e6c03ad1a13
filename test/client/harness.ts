// Runs the real router (real S3, real dev-issuer JWTs) on a loopback port for the client tests, plus loopback fault servers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type RequestHandler } from 'express';
import type { DirectUploadOptions } from '../../middleware';
import type { UploadServices } from '../support/upload-services';
import { directUpload } from '../../middleware';

/** A File from bytes, as a picker or `fs.openAsBlob` would give one. */
export const fileOf = (bytes: Uint8Array, name: string, type: string): File => new File([new Uint8Array(bytes)], name, { type });

export interface Served {
  baseUrl: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:0 and resolves with the base URL. */
export async function listen(handler: http.RequestListener): Promise<Served> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The stack's directUpload() router in an app of its own, with optional middleware in front (e.g. a limiter). */
export function serveRouter(stack: UploadServices, overrides: Partial<DirectUploadOptions> = {}, before: RequestHandler[] = []): Promise<Served> {
  const app = express();
  for (const handler of before) app.use(handler);
  app.use(directUpload(stack.options(overrides)));
  return listen(app);
}

/**
 * A storage endpoint that fails the way networks do: `cut` reads part of the body then drops the connection;
 * `busy` answers S3's 503 SlowDown. It counts the requests it saw.
 */
export async function faultServer(kind: 'cut' | 'busy'): Promise<Served & { hits: () => number }> {
  let hits = 0;
  const served = await listen((req, res) => {
    hits += 1;
    if (kind === 'busy') {
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'Content-Type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      });
      return;
    }
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      // Half a part in, the connection goes: what a dropped Wi-Fi or a reset proxy does to an upload.
      if (seen > 64 * 1024) req.socket.destroy();
    });
  });
  return { ...served, hits: () => hits };
}

/**
 * A fetch that sends the requests `divert` picks to `target` instead (same path and query), and everything else to
 * the real destination; it records every storage PUT it sees. The diverted request is real and really fails.
 */
export function divertingFetch(divert: (url: URL, attempt: number) => string | undefined) {
  const puts: Array<{ partNumber: number | null; url: URL }> = [];
  const attempts = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (init?.method !== 'PUT') return fetch(input, init);
    const part = url.searchParams.get('partNumber');
    const id = part ?? url.pathname;
    const attempt = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, attempt);
    puts.push({ partNumber: part === null ? null : Number(part), url });
    const target = divert(url, attempt);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await fetch(target ? `${target}${url.pathname}${url.search}` : url, init);
    } finally {
      inFlight -= 1;
    }
  };
  return { fetch: wrapped, puts, attempts, maxInFlight: () => maxInFlight };
}
