// The curl lines `npm start` prints, pasted as they are into bash from the repository root, upload the shipped sample; README shows the same lines.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { curlExample, DEFAULT_BASE_URL, SAMPLE_FILE } from '../../example-server/try-it';
import { embeddedEnv, freePort, ROOT, startExampleServer, type ExampleServerProcess } from '../support/npm-start-process';

jest.setTimeout(90_000);

const hasCurl = spawnSync('curl', ['--version']).status === 0;
const describeWithCurl = hasCurl ? describe : describe.skip;
if (!hasCurl) console.warn('printed-curl.test.ts skipped: curl is not installed.');

/** The block under "Try it with curl" in the banner, each line exactly as printed (indent included). */
function printedCurl(output: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.startsWith('Try it with curl'));
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end);
}

/** What pasting into an interactive shell does: each line runs in turn in the repository root, no errexit. */
function paste(lines: string[], env: NodeJS.ProcessEnv = process.env) {
  const run = spawnSync('bash', ['--noprofile', '--norc', '-c', lines.join('\n')], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describeWithCurl('the curl lines npm start prints', () => {
  let dataDir: string;
  let server: ExampleServerProcess;
  let baseUrl: string;
  let s3: S3Client;
  const sample = readFileSync(path.join(ROOT, SAMPLE_FILE));

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'edu-curl-'));
    const ports = { PORT: String(await freePort()), LOCAL_S3_PORT: String(await freePort()), DEV_ISSUER_PORT: String(await freePort()) };
    server = startExampleServer(embeddedEnv({ ...ports, DATA_DIR: dataDir }));
    await server.ready;
    baseUrl = `http://localhost:${ports.PORT}`;
    s3 = new S3Client({ endpoint: `http://127.0.0.1:${ports.LOCAL_S3_PORT}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  });
  afterAll(async () => {
    s3?.destroy();
    await server?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  /** The answer the lines echo (first line of output), and the object it names read back from the local S3. */
  async function stored(stdout: string): Promise<{ key: string; body: Buffer; contentType?: string }> {
    const { key } = JSON.parse(stdout.split('\n')[0]) as { key: string };
    const object = await s3.send(new GetObjectCommand({ Bucket: 'direct-upload-dev', Key: key }));
    return { key, body: Buffer.from(await object.Body!.transformToByteArray()), contentType: object.ContentType };
  }

  it('are the shared curl example, with the printed token and this server address', () => {
    const printed = printedCurl(server.output());
    const token = /^ {2}TOKEN='([^']+)'$/.exec(printed[0])?.[1];
    expect(token).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(printed).toEqual(curlExample({ baseUrl, token }).map((l) => `  ${l}`));
    expect(printed.join('\n')).toContain(`FILE=${SAMPLE_FILE}`);
  });

  it('pasted as printed, upload example-server/sample.jpg: the object in the bucket has its bytes and type', async () => {
    const run = paste(printedCurl(server.output()));
    expect({ status: run.status, stderr: run.stderr, last: run.stdout.trim().split('\n').pop() }).toEqual({ status: 0, stderr: '', last: 'uploaded' });
    const object = await stored(run.stdout);
    expect(object.contentType).toBe('image/jpeg');
    expect(object.body.equals(sample)).toBe(true);
  });

  it('work with BSD wc, which pads the count with spaces', async () => {
    // macOS's wc is not available on Linux: this stand-in prints the count as BSD wc does ("    2711").
    const realWc = spawnSync('sh', ['-c', 'command -v wc'], { encoding: 'utf8' }).stdout.trim();
    const bin = path.join(dataDir, 'bsd-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'wc'), `#!/bin/sh\nprintf '%8d\\n' "$(${realWc} "$@")"\n`);
    await chmod(path.join(bin, 'wc'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    expect(spawnSync('sh', ['-c', `wc -c < ${SAMPLE_FILE}`], { cwd: ROOT, encoding: 'utf8', env }).stdout).toBe(`${String(sample.length).padStart(8)}\n`);
    const run = paste(printedCurl(server.output()), env);
    expect({ status: run.status, stderr: run.stderr, last: run.stdout.trim().split('\n').pop() }).toEqual({ status: 0, stderr: '', last: 'uploaded' });
    expect((await stored(run.stdout)).body.equals(sample)).toBe(true);
  });

  it("show the server's problem detail when it refuses, and do not try the PUT", () => {
    const printed = printedCurl(server.output());
    const run = paste([`  TOKEN='not-a-token'`, ...printed.slice(1)]);
    expect(run.status).not.toBe(0);
    const problem = JSON.parse(run.stdout.split('\n')[0]);
    expect(problem).toMatchObject({ status: 401, code: 'invalid_token' });
    expect(problem.detail).toEqual(expect.any(String));
    // Neither the errors of the old snippet (an empty URL, JSON of nothing) nor any other.
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toContain('uploaded');
  });

  it.each([['README.md'], ['docs/example-server.md']])('are in %s for the default address, with a development login for the token, and work from there', async (doc) => {
    const expected = curlExample({ baseUrl: DEFAULT_BASE_URL });
    expect(expected[0]).toContain(`${DEFAULT_BASE_URL}/dev-login`);
    expect(readFileSync(path.join(ROOT, doc), 'utf8')).toContain(`\`\`\`sh\n${expected.join('\n')}\n\`\`\``);
    // Those lines, with only the port changed to this server's.
    const run = paste(expected.map((l) => l.split(DEFAULT_BASE_URL).join(baseUrl)));
    expect({ status: run.status, stderr: run.stderr, last: run.stdout.trim().split('\n').pop() }).toEqual({ status: 0, stderr: '', last: 'uploaded' });
    expect((await stored(run.stdout)).body.equals(sample)).toBe(true);
  });
});
