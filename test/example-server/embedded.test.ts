// The embedded default's services: the local bucket carries the Terraform stack's CORS rule for the page's origins, and the dev issuer's key is kept privately.
import { stat } from 'node:fs/promises';
import { embeddedPaths } from '../../example-server/embedded';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server';

describe('embedded default services', () => {
  let running: EmbeddedServer;

  beforeAll(async () => {
    running = await startEmbeddedServer();
  });
  afterAll(async () => {
    await running?.stop();
  });

  /** A browser's CORS preflight for a PUT to the local bucket. */
  const preflight = (origin: string, headers: string) =>
    fetch(`${running.s3Origin}/${running.bucket}/uploads/x/y.png`, {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': headers },
    });

  it.each([`http://localhost:PORT`, `http://127.0.0.1:PORT`])('lets the page on %s PUT with Content-Type, and exposes ETag', async (template) => {
    const origin = template.replace('PORT', String(running.port));
    const res = await preflight(origin, 'content-type');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/PUT/);
    // s3rver answers every allowed preflight with "*"; the PUT itself names the origin, as S3 does.
    const token = await running.embedded!.issuer.issue({ sub: 'dev|cors' });
    const presign = await fetch(`http://127.0.0.1:${running.port}/uploads`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ filename: 'a.png', contentType: 'image/png', size: 3 }),
    });
    const { url, headers } = (await presign.json()) as { url: string; headers: Record<string, string> };
    const put = await fetch(url, { method: 'PUT', headers: { ...headers, Origin: origin }, body: new Uint8Array([1, 2, 3]) });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe(origin);
    expect(put.headers.get('access-control-expose-headers')).toMatch(/ETag/i);
  });

  it('refuses other origins, and headers the deployed bucket would refuse too', async () => {
    expect((await preflight('http://evil.example', 'content-type')).status).toBe(403);
    expect((await preflight(`http://localhost:${running.port}`, 'x-custom-header')).status).toBe(403);
  });

  it('keeps the dev issuer key in DATA_DIR, readable by the owner only', async () => {
    const info = await stat(embeddedPaths(running.dataDir).issuerKey);
    expect(info.mode & 0o777).toBe(0o600);
  });
});
