// The published package as a user gets it: `npm pack`, unpacked into a fresh project, loaded with require() and import, type-checked.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// npm pack builds the package first (prepack); on the shared 2-core machine that alone can take half a minute.
jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../..');
const NAME = 'express-direct-upload';

let tmp: string;
let project: string;
let files: string[];
let installed: string;

/** Runs a command to completion within `timeoutMs`, failing the test with its output if it does not exit 0. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): SpawnSyncReturns<string> {
  // NODE_PATH is cleared so nothing resolves from this repository by accident: only what the project links is there.
  const env = { ...process.env, NODE_PATH: '' };
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** Makes `name` resolvable from the project, as `npm install` would, but from this repository's node_modules (no network). */
function link(name: string): void {
  const target = path.join(ROOT, 'node_modules', name);
  if (!existsSync(target)) throw new Error(`${name} is not installed in this repository; run npm ci`);
  const at = path.join(project, 'node_modules', name);
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(target, at, 'dir');
}

/** Runs a script in a separate Node process inside the project and returns what it printed as JSON. */
function node(script: string): Record<string, unknown> {
  const { stdout } = run(process.execPath, [script], project, 30_000);
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const validOptions = `{ bucket: 'my-uploads', region: 'us-east-1', auth: { issuerBaseURL: 'https://tenant.auth0.com/', audience: 'https://api.example.com' } }`;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'edu-package-'));
  run('npm', ['pack', '--pack-destination', tmp, '--silent'], ROOT, 180_000);
  const tarballs = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
  expect(tarballs).toHaveLength(1);
  const tarball = path.join(tmp, tarballs[0]);
  files = run('tar', ['-tzf', tarball], tmp, 30_000).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));

  // A consumer project with the tarball unpacked where npm would put it, and its declared dependencies beside it.
  project = path.join(tmp, 'project');
  installed = path.join(project, 'node_modules', NAME);
  mkdirSync(installed, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], tmp, 30_000);
  const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
  for (const name of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) link(name);
  // What a TypeScript user installs beside it: express's and Node's types.
  link('@types/express');
  link('@types/node');
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('contains the build, the types, README, LICENSE and package.json, and nothing else', () => {
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    expect(readFileSync(path.join(installed, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 express-direct-upload contributors/);
    const outside = files.filter((f) => !['LICENSE', 'README.md', 'package.json'].includes(f) && !f.startsWith('dist/middleware/') && !f.startsWith('dist/client/'));
    expect(outside).toEqual([]);
    // No TypeScript sources and no tests: only JavaScript and declarations.
    // dist/client/package.json only says {"type":"module"}: the client is ESM inside a CommonJS package.
    expect(files.filter((f) => f.startsWith('dist/') && !/\.(js|mjs|d\.ts|d\.mts)$/.test(f))).toEqual(['dist/client/package.json']);
  });

  it('has a file behind every path of the exports map, main and types', () => {
    const manifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
    const targets: string[] = [manifest.main, manifest.types];
    const collect = (entry: unknown): void => {
      if (typeof entry === 'string') targets.push(entry);
      else if (entry && typeof entry === 'object') Object.values(entry).forEach(collect);
    };
    collect(manifest.exports);
    expect(manifest.exports['.']).toBeDefined();
    for (const target of targets) expect(files).toContain(path.posix.normalize(target));
  });

  it('has no source map that points at a file it does not ship', () => {
    const dangling: string[] = [];
    for (const file of files.filter((f) => /\.(js|mjs|d\.ts|d\.mts)$/.test(f))) {
      const comment = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(path.join(installed, file), 'utf8'));
      if (comment && !comment[1].startsWith('data:')) {
        const map = path.posix.join(path.posix.dirname(file), comment[1]);
        if (!files.includes(map)) dangling.push(`${file} -> ${map}`);
      }
    }
    for (const map of files.filter((f) => f.endsWith('.map'))) {
      const { sources = [], sourcesContent } = JSON.parse(readFileSync(path.join(installed, map), 'utf8'));
      sources.forEach((source: string, i: number) => {
        const target = path.posix.join(path.posix.dirname(map), source);
        if (!sourcesContent?.[i] && !files.includes(target)) dangling.push(`${map} -> ${target}`);
      });
    }
    expect(dangling).toEqual([]);
  });
});

describe('loading the package', () => {
  it('works with require(): directUpload builds a router that answers, and bad options throw DirectUploadOptionsError', () => {
    writeFileSync(
      path.join(project, 'require.cjs'),
      `const express = require('express');
const { directUpload, DirectUploadOptionsError } = require('${NAME}');
const router = directUpload(${validOptions});
let thrown;
try { directUpload({ ...${validOptions}, maxFileSize: -1 }); } catch (err) { thrown = err; }
const app = express().use(router);
const server = app.listen(0, '127.0.0.1', async () => {
  // No token: the packed router must answer 401 problem+json itself, before any identity-provider call.
  const res = await fetch('http://127.0.0.1:' + server.address().port + '/uploads', { method: 'POST' });
  server.close();
  console.log(JSON.stringify({
    directUpload: typeof directUpload,
    router: typeof router === 'function' && typeof router.use === 'function',
    thrownIsOptionsError: thrown instanceof DirectUploadOptionsError,
    option: thrown && thrown.option,
    status: res.status,
    contentType: res.headers.get('content-type'),
    resolved: require.resolve('${NAME}'),
  }));
});
`,
    );
    expect(node('require.cjs')).toEqual({
      directUpload: 'function',
      router: true,
      thrownIsOptionsError: true,
      option: 'maxFileSize',
      status: 401,
      contentType: expect.stringMatching(/^application\/problem\+json/),
      resolved: path.join(installed, 'dist/middleware/index.js'),
    });
  });

  it('works with import, and shares every export, classes included, with require()', () => {
    writeFileSync(
      path.join(project, 'import.mjs'),
      `import { createRequire } from 'node:module';
import * as esm from '${NAME}';
import { directUpload, DirectUploadOptionsError } from '${NAME}';
const cjs = createRequire(import.meta.url)('${NAME}');
const router = directUpload(${validOptions});
let thrown;
try { directUpload({ ...${validOptions}, maxFileSize: -1 }); } catch (err) { thrown = err; }
console.log(JSON.stringify({
  directUpload: typeof directUpload,
  router: typeof router === 'function' && typeof router.use === 'function',
  thrownIsOptionsError: thrown instanceof DirectUploadOptionsError,
  thrownIsRequiredOptionsError: thrown instanceof cjs.DirectUploadOptionsError,
  sameClass: DirectUploadOptionsError === cjs.DirectUploadOptionsError,
  esmNames: Object.keys(esm).sort(),
  cjsNames: Object.keys(cjs).sort(),
  differing: Object.keys(cjs).filter((name) => esm[name] !== cjs[name]),
  resolved: import.meta.resolve('${NAME}'),
}));
`,
    );
    const result = node('import.mjs');
    expect(result).toMatchObject({
      directUpload: 'function',
      router: true,
      thrownIsOptionsError: true,
      thrownIsRequiredOptionsError: true,
      sameClass: true,
      differing: [],
      resolved: `file://${path.join(installed, 'dist/middleware/index.mjs')}`,
    });
    expect(result.esmNames).toEqual(result.cjsNames);
    expect(result.esmNames).toEqual(expect.arrayContaining(['directUpload', 'DirectUploadOptionsError']));
  });
});

describe('the client subpath', () => {
  it('imports express-direct-upload/client as an ES module that needs nothing from the server side', () => {
    writeFileSync(
      path.join(project, 'client.mjs'),
      `const client = await import('${NAME}/client');
const upload = client.createUploadClient({ baseUrl: 'http://127.0.0.1:1', fetch: async () => { throw new Error('offline'); } });
console.log(JSON.stringify({
  createUploadClient: typeof client.createUploadClient,
  upload: typeof upload.upload,
  problemError: typeof client.UploadProblemError,
  resolved: import.meta.resolve('${NAME}/client'),
}));
`,
    );
    expect(node('client.mjs')).toEqual({
      createUploadClient: 'function',
      upload: 'function',
      problemError: 'function',
      resolved: `file://${path.join(installed, 'dist/client/index.js')}`,
    });
  });

  it('has types that resolve for bundlers and nodenext', () => {
    const source = `import { createUploadClient, UploadProblemError } from '${NAME}/client';
const client = createUploadClient({ baseUrl: 'https://app.example.com' });
export async function send(file: Blob): Promise<string> {
  try {
    return (await client.upload(file, { filename: 'a.png' })).key;
  } catch (err) {
    if (err instanceof UploadProblemError) return err.code;
    throw err;
  }
}
// @ts-expect-error partConcurrency is a number
createUploadClient({ partConcurrency: 'many' });
`;
    for (const [config, file, options] of [
      ['tsconfig.client-bundler.json', 'client-bundler.ts', { module: 'esnext', moduleResolution: 'bundler' }],
      ['tsconfig.client-nodenext.json', 'client-nodenext.mts', { module: 'nodenext', moduleResolution: 'nodenext' }],
    ] as const) {
      writeFileSync(path.join(project, file), source);
      writeFileSync(
        path.join(project, config),
        JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, types: [], lib: ['ES2022', 'DOM'], ...options }, files: [file] }),
      );
      run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], project, 90_000);
    }
  });
});

describe('the types', () => {
  // Uses the types for real, and one @ts-expect-error that fails the check if the types resolved to `any`.
  const consumer = (importLine: string) => `${importLine}
const options: DirectUploadOptions = {
  bucket: 'my-uploads',
  region: 'us-east-1',
  auth: { issuerBaseURL: 'https://tenant.auth0.com/', audience: 'https://api.example.com' },
};
const router: express.Router = directUpload(options);
express().use(router);
// @ts-expect-error bucket is a string
directUpload({ ...options, bucket: 42 });
export function optionAtFault(err: unknown): string | undefined {
  return err instanceof DirectUploadOptionsError ? err.option : undefined;
}
`;
  const esmImports = `import express from 'express';
import { directUpload, DirectUploadOptionsError, type DirectUploadOptions } from '${NAME}';`;
  const cjsImports = `import express = require('express');
import { directUpload, DirectUploadOptionsError, type DirectUploadOptions } from '${NAME}';`;

  function typecheck(config: string, compilerOptions: Record<string, unknown>, sources: Record<string, string>): void {
    for (const [file, text] of Object.entries(sources)) writeFileSync(path.join(project, file), text);
    writeFileSync(
      path.join(project, config),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, skipLibCheck: true, types: [], ...compilerOptions },
        files: Object.keys(sources),
      }),
    );
    run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], project, 90_000);
  }

  it('resolve for import and require() under module nodenext', () => {
    typecheck('tsconfig.nodenext.json', { module: 'nodenext', moduleResolution: 'nodenext' }, {
      'consumer.mts': consumer(esmImports),
      'consumer.cts': consumer(cjsImports),
    });
  });

  it('resolve for bundlers (moduleResolution bundler)', () => {
    typecheck('tsconfig.bundler.json', { module: 'esnext', moduleResolution: 'bundler', esModuleInterop: true }, {
      'consumer-bundler.ts': consumer(esmImports),
    });
  });

  it('resolve for older projects (moduleResolution node10, through main and types)', () => {
    typecheck(
      'tsconfig.node10.json',
      { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true, ignoreDeprecations: '6.0' },
      { 'consumer-node10.ts': consumer(esmImports) },
    );
  });
});
