// The published form of express-direct-upload/client: the ESM build with .d.ts files, imported by plain Node, uploads for real.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { pngBytes } from '../../dev/png';
import { startUploadServices, type UploadServices } from '../support/upload-services';
import { serveRouter, type Served } from './harness';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

jest.setTimeout(120_000);

describe('the client\'s ESM build', () => {
  let outDir: string;
  let stack: UploadServices;
  let server: Served;

  beforeAll(async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), 'edu-client-build-'));
    // The package's own build step, into a scratch directory so the test leaves dist/ alone.
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'client/tsconfig.json'), '--outDir', outDir]);
    await writeFile(path.join(outDir, 'package.json'), '{"type":"module"}\n');
    stack = await startUploadServices('client-esm');
    server = await serveRouter(stack);
  });
  afterAll(async () => {
    await server?.close();
    await stack?.stop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('is what package.json exports as ./client: index.js with its index.d.ts', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['./client']).toEqual({ types: './dist/client/index.d.ts', default: './dist/client/index.js' });
    expect(pkg.files).toContain('dist/client');
    const config = await readFile(path.join(ROOT, 'client/tsconfig.json'), 'utf8');
    expect(config).toMatch(/"outDir": "\.\.\/dist\/client"/);
    const types = await readFile(path.join(outDir, 'index.d.ts'), 'utf8');
    for (const name of ['createUploadClient', 'indexedDbResumeStore', 'memoryResumeStore', 'UploadClient', 'UploadOptions', 'UploadResult']) expect(types).toContain(name);
    // ES module syntax, sibling imports with their .js extension (browsers resolve nothing else), no Node built-ins.
    const code = await readFile(path.join(outDir, 'index.js'), 'utf8');
    expect(code).toMatch(/^export function createUploadClient/m);
    expect(code).toContain("from './multipart.js'");
    expect(code).not.toMatch(/require\(|from ['"]node:/);
  });

  it('uploads from plain Node (no jest, no TypeScript) through the real router to S3', async () => {
    const token = await stack.token('auth0|esm-user');
    const png = pngBytes(16, 16, [9, 99, 199]);
    const script = `
      import { createUploadClient, UploadProblemError } from ${JSON.stringify(pathToFileURL(path.join(outDir, 'index.js')).href)};
      const client = createUploadClient({ baseUrl: process.env.BASE_URL, getToken: () => process.env.TOKEN });
      const result = await client.upload(new Blob([Buffer.from(process.env.PNG, 'base64')], { type: 'image/png' }), { filename: 'esm.png' });
      const refused = await client.upload(new Blob(['x'], { type: 'text/plain' })).catch((err) => err);
      console.log(JSON.stringify({ result, refused: { problem: refused instanceof UploadProblemError, status: refused.status } }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, BASE_URL: server.baseUrl, TOKEN: token, PNG: png.toString('base64') },
    });
    const { result, refused } = JSON.parse(stdout);
    expect(result).toMatchObject({ method: 'PUT', verified: true, size: png.length, contentType: 'image/png' });
    expect(refused).toEqual({ problem: true, status: 415 });
    const object = await stack.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: result.key }));
    expect(Buffer.from(await object.Body!.transformToByteArray()).equals(png)).toBe(true);
  });
});
