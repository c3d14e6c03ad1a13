// Load with nothing lost: 200 concurrent uploads through the real routes (presign, PUT to Ceph RGW, complete), with
// real RS256 tokens; every object is read back and its SHA-256 compared. Bounded: 200 uploads, under 60 s.
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { LocalS3Connection } from '../../dev/s3-connection';
import { describeWithRgw } from '../support/rgw';
import { startUploadServices, type UploadServices } from '../support/upload-services';

const UPLOADS = 200;
const USERS = 20;
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

jest.setTimeout(60_000);

describeWithRgw('200 concurrent uploads through the routes to RGW', (rgw: LocalS3Connection) => {
  let services: UploadServices;
  let server: Server;
  let base: string;
  const verified = new Set<string>();

  beforeAll(async () => {
    services = await startUploadServices('load', rgw);
    const app = services.app({ allowedContentTypes: ['image/png', 'image/svg+xml'], onUploaded: (object) => void verified.add(object.key) });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await services?.stop();
  });

  test('every upload is verified and stored byte for byte: 0 lost, 0 5xx', async () => {
    const tokens = await Promise.all(Array.from({ length: USERS }, (_, i) => services.token(`auth0|load-${i}`)));
    const statuses: number[] = [];
    const call = async (path: string, token: string, body: object) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      statuses.push(res.status);
      return { status: res.status, body: (await res.json()) as any };
    };

    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: UPLOADS }, async (_, i) => {
        const token = tokens[i % USERS];
        // Sizes from 1 byte to 64 KiB; every tenth one an SVG, which is signed as an attachment.
        const svg = i % 10 === 0;
        const body = randomBytes(1 + ((i * 7919) % (64 * 1024)));
        const presigned = await call('/uploads', token, { filename: `f${i}`, contentType: svg ? 'image/svg+xml' : 'image/png', size: body.length });
        if (presigned.status !== 200) return { key: '', hash: '', ok: false };
        const put = await fetch(presigned.body.url, { method: 'PUT', headers: presigned.body.headers, body: new Uint8Array(body) });
        await put.arrayBuffer();
        statuses.push(put.status);
        const done = await call('/uploads/complete', token, { key: presigned.body.key, size: body.length });
        return { key: presigned.body.key as string, hash: sha256(body), ok: put.status === 200 && done.status === 200 };
      }),
    );
    const seconds = (Date.now() - started) / 1000;

    const stored = await Promise.all(
      results.map(async ({ key }) => {
        if (!key) return '';
        const object = await services.client.send(new GetObjectCommand({ Bucket: services.bucket, Key: key }));
        return sha256(await object.Body!.transformToByteArray());
      }),
    );
    const lost = results.filter((r, i) => !r.ok || stored[i] !== r.hash).length;
    const serverErrors = statuses.filter((s) => s >= 500).length;
    console.log(`load: ${UPLOADS} uploads (${statuses.length} requests) in ${seconds.toFixed(1)} s, ${(UPLOADS / seconds).toFixed(0)} uploads/s; lost ${lost}, 5xx ${serverErrors}`);
    expect({ lost, serverErrors, verified: verified.size }).toEqual({ lost: 0, serverErrors: 0, verified: UPLOADS });
  });
});
