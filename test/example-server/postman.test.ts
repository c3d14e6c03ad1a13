// Runs the shipped Postman collection with newman (Postman's own command-line runner), as README says, against the embedded default.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../dev/s3-connection';
import { startEmbeddedServer, type EmbeddedServer } from '../support/embedded-server';
import { newmanCommand, POSTMAN_COLLECTION, POSTMAN_ENVIRONMENT, SAMPLE_FILE } from '../../example-server/try-it';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');
const COLLECTION = POSTMAN_COLLECTION;
const SAMPLE = SAMPLE_FILE;
const NEWMAN_BIN = require.resolve('newman/bin/newman.js');

const collection = JSON.parse(readFileSync(path.join(ROOT, COLLECTION), 'utf8'));
const environment = JSON.parse(readFileSync(path.join(ROOT, POSTMAN_ENVIRONMENT), 'utf8'));

interface Item {
  name: string;
  item?: Item[];
  event?: Array<{ listen: string; script: { exec: string[] } }>;
  request?: { method: string; url: PostmanUrl; body?: { mode: string; file?: { src: string } } };
}
interface PostmanUrl {
  raw: string;
  protocol?: string;
  host?: string[];
  port?: string;
  path?: string[];
  query?: Array<{ key: string; value: string }>;
}
/** The URL newman sends, which it builds from the parts (it ignores `raw`), before variables are filled in. */
const fromParts = (url: PostmanUrl): string =>
  (url.protocol ? `${url.protocol}://` : '') +
  (url.host ?? []).join('.') +
  (url.port ? `:${url.port}` : '') +
  (url.path ? `/${url.path.join('/')}` : '') +
  (url.query ? `?${url.query.map((q) => `${q.key}=${q.value}`).join('&')}` : '');
const requests = (items: Item[]): Item[] => items.flatMap((i) => (i.item ? requests(i.item) : [i]));

/** The parts of newman's JSON report this test reads. */
interface NewmanReport {
  run: {
    stats: Record<'requests' | 'assertions' | 'testScripts' | 'prerequestScripts', { total: number; failed: number }>;
    failures: Array<{ error: { message: string }; source?: { name: string } }>;
    executions: Array<{
      item: { name: string };
      response?: { code: number; stream: { data: number[] } };
      assertions?: Array<{ assertion: string; error?: { message: string } }>;
    }>;
  };
}

describe(COLLECTION, () => {
  it('is a v2.1 collection that Postman and newman read the same: every url has its parts, and they rebuild its raw text', () => {
    expect(collection.info.schema).toBe('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    const all = requests(collection.item);
    expect(all).toHaveLength(8);
    for (const { name, request } of all) {
      const { url } = request!;
      // A raw-only url is newman's "request url is empty". With a `{{baseUrl}}` variable, the protocol and port
      // live in the variable's value, and host is the variable itself, as Postman's own export writes it.
      expect({ name, host: url.host }).toEqual({ name, host: [url.raw.match(/^\{\{\w+\}\}/)![0]] });
      expect({ name, url: fromParts(url) }).toEqual({ name, url: url.raw });
      if (url.raw.includes('?')) expect({ name, query: url.query?.length }).toEqual({ name, query: url.raw.split('?')[1].split('&').length });
    }
  });

  it('sends the shipped sample, whose exact size is in `sampleSize`', () => {
    const files = requests(collection.item).filter((i) => i.request!.body?.mode === 'file');
    expect(files.map((i) => i.request!.body!.file!.src)).toEqual([SAMPLE, SAMPLE]);
    const sampleSize = collection.variable.find((v: { key: string }) => v.key === 'sampleSize').value;
    expect(Number(sampleSize)).toBe(statSync(path.join(ROOT, SAMPLE)).size);
    // A real JPEG: SOI marker, then a JFIF APP0 segment.
    expect(readFileSync(path.join(ROOT, SAMPLE)).subarray(0, 4)).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
  });

  it('has an environment for `npm start` that leaves `token` to the collection', () => {
    const keys = environment.values.map((v: { key: string }) => v.key);
    expect(environment.values.find((v: { key: string }) => v.key === 'baseUrl').value).toBe('http://localhost:3000');
    // An environment `token`, even empty or disabled, shadows the collection variable that "Sign in" sets.
    expect(keys).not.toContain('token');
  });

  it('is run in README and docs/example-server.md with the newman line `npm start` prints', () => {
    expect(newmanCommand()).toBe(`npx newman run ${POSTMAN_COLLECTION} -e ${POSTMAN_ENVIRONMENT}`);
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(newmanCommand());
    expect(readFileSync(path.join(ROOT, 'docs/example-server.md'), 'utf8')).toContain(newmanCommand());
  });

  describe('run by newman against the embedded default', () => {
    let running: EmbeddedServer;
    let s3: S3Client;

    beforeAll(async () => {
      running = await startEmbeddedServer();
      s3 = s3Client(running.embedded!.s3);
    });
    afterAll(async () => {
      s3?.destroy();
      await running?.stop();
    });

    /** The newman line `npm start` prints (README's, plus this run's baseUrl), run from the repository root. */
    async function newman(extra: string[] = [], baseUrl = running.url): Promise<{ code: number; output: string; report: NewmanReport }> {
      const reportFile = path.join(running.dataDir, `newman-${Date.now()}.json`);
      const args = [
        // `npx newman run …` without npx: the same CLI, resolved from node_modules without npx's start-up.
        ...newmanCommand(baseUrl).split(' ').slice(3),
        ...extra,
        '--reporters', 'cli,json', '--reporter-json-export', reportFile, '--color', 'off',
      ];
      const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(process.execPath, [NEWMAN_BIN, 'run', ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
        );
      });
      return { code, output, report: JSON.parse(await readFile(reportFile, 'utf8')) };
    }

    const bodyOf = (report: NewmanReport, name: string) =>
      JSON.parse(Buffer.from(report.run.executions.find((e) => e.item.name === name)!.response!.stream.data).toString('utf8'));

    it('exits 0 with every request sent and every assertion passing, and both PUTs stored the sample byte for byte', async () => {
      const { code, output, report } = await newman();
      expect({ code, failures: report.run.failures.map((f) => `${f.source?.name}: ${f.error.message}`) }).toEqual({ code: 0, failures: [] });
      expect(output).toContain('│              assertions │');

      const ran = report.run.executions.map((e) => ({
        name: e.item.name,
        status: e.response?.code,
        failed: (e.assertions ?? []).filter((a) => a.error).map((a) => a.assertion),
        asserted: (e.assertions ?? []).length,
      }));
      expect(ran.map(({ name, status, failed }) => ({ name, status, failed }))).toEqual([
        { name: '1. Sign in (development login)', status: 200, failed: [] },
        { name: 'POST /uploads', status: 200, failed: [] },
        { name: 'PUT the sample to S3', status: 200, failed: [] },
        { name: 'POST /uploads/complete', status: 200, failed: [] },
        { name: 'GET /uploads', status: 200, failed: [] },
        { name: 'PUT the sample to uploadURL', status: 200, failed: [] },
        { name: '415: a type that is not allowed', status: 415, failed: [] },
        { name: '401: no token', status: 401, failed: [] },
      ]);
      // Each request asserts at least its status and the shape of its answer.
      for (const r of ran) expect({ name: r.name, enough: r.asserted >= 2 }).toEqual({ name: r.name, enough: true });
      const { stats } = report.run;
      expect(stats.requests).toMatchObject({ total: 8, failed: 0 });
      expect(stats.assertions.failed).toBe(0);
      expect(stats.assertions.total).toBe(ran.reduce((n, r) => n + r.asserted, 0));
      expect(stats.testScripts).toMatchObject({ total: 8, failed: 0 });

      // The two keys the server signed hold exactly the bytes of example-server/sample.jpg.
      const keys = [bodyOf(report, 'POST /uploads').key, bodyOf(report, 'GET /uploads').key];
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: running.bucket }));
      expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual([...keys].sort());
      const sample = readFileSync(path.join(ROOT, SAMPLE));
      for (const key of keys) {
        const object = await s3.send(new GetObjectCommand({ Bucket: running.bucket, Key: key }));
        expect(object.ContentType).toBe('image/jpeg');
        expect(Buffer.from(await object.Body!.transformToByteArray()).equals(sample)).toBe(true);
      }
    });

    it('with a token in the environment (as against a real deployment), skips the development login and uses that token', async () => {
      const token = await running.embedded!.issuer.issue({ sub: 'dev|from-auth0' });
      const { code, report } = await newman(['--env-var', `token=${token}`]);
      expect(code).toBe(0);
      expect(report.run.executions.map((e) => e.item.name)).not.toContain('1. Sign in (development login)');
      expect(report.run.stats.requests).toMatchObject({ total: 7, failed: 0 });
      expect(report.run.stats.assertions.failed).toBe(0);
      // The key lives under the owner folder of that token's `sub`, not the development user's.
      const theirs = bodyOf(report, 'POST /uploads').key as string;
      const { report: devRun } = await newman();
      expect(path.dirname(theirs)).not.toBe(path.dirname(bodyOf(devRun, 'POST /uploads').key));
    });

    it('exits 1 and reports the request error when nothing answers at baseUrl', async () => {
      const { code, report } = await newman([], 'http://127.0.0.1:9');
      expect(code).toBe(1);
      expect(report.run.failures[0].error.message).toBe('connect ECONNREFUSED 127.0.0.1:9');
      expect(report.run.stats.assertions.failed).toBeGreaterThan(0);
    });
  });
});
