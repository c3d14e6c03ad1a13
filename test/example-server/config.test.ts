// Example-server settings and composition: embedded vs real mode, half-configured errors, the CSP, and where the dev login exists.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { S3Client } from '@aws-sdk/client-s3';
import { createApp, s3OriginFor } from '../../example-server/app';
import { DEFAULT_PORT, EMBEDDED_AUDIENCE, isLoopbackHost, loadSettings, StartupConfigError, type EmbeddedSettings, type RealSettings } from '../../example-server/config';
import { startDevIssuer, type DevIssuer } from '../../dev/issuer';
import { startServer } from '../../example-server/server';

const REAL = Object.freeze({
  AUTH0_ISSUER_BASE_URL: 'https://example-tenant.eu.auth0.com/',
  AUTH0_AUDIENCE: 'https://api.example.com/uploads',
  AUTH0_CLIENT_ID: 'spa-client-id-123',
  S3_BUCKET: 'my-app-uploads',
  AWS_REGION: 'eu-west-3',
  ALLOWED_ORIGINS: 'https://app.example.com',
});

/** Parses a CSP header into directive → sources. */
function csp(header: string | undefined): Record<string, string[]> {
  return Object.fromEntries(
    (header ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

/** Live child processes of this jest worker, to prove real mode spawns none. */
function childProcesses(): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(ppid) === process.pid && state !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('loadSettings()', () => {
  it('is embedded mode when nothing is configured, with the documented defaults', () => {
    const settings = loadSettings({});
    expect(settings).toMatchObject({ mode: 'embedded', port: DEFAULT_PORT, host: '127.0.0.1', localS3Port: 4568, devIssuerPort: 4569 });
    expect(settings.mode === 'embedded' && settings.dataDir).toBe(path.resolve('.data'));
    expect(settings.deployment).toMatchObject({ bucketName: 'direct-upload-dev', keyPrefix: 'uploads/', allowedOrigins: ['http://localhost:3000'] });
  });

  it('is real mode when Auth0 and S3 are configured, with the deployment config read by loadDeploymentConfig()', () => {
    const settings = loadSettings({ ...REAL, S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true', KEY_PREFIX: 'photos/', MAX_FILE_SIZE: '25MiB', ALLOWED_CONTENT_TYPES: 'image/jpeg, image/png,application/pdf' }) as RealSettings;
    expect(settings.mode).toBe('real');
    expect(settings.auth0).toEqual({ issuerBaseURL: REAL.AUTH0_ISSUER_BASE_URL, audience: REAL.AUTH0_AUDIENCE, clientId: REAL.AUTH0_CLIENT_ID });
    expect(settings.s3).toEqual({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
    expect(settings.deployment).toMatchObject({ bucketName: 'my-app-uploads', region: 'eu-west-3', keyPrefix: 'photos/', allowedOrigins: ['https://app.example.com'] });
    expect(settings.policy).toMatchObject({ maxFileSize: 25 * 1024 * 1024, allowedContentTypes: ['image/jpeg', 'image/png', 'application/pdf'] });
  });

  it.each([
    ['only the issuer', { AUTH0_ISSUER_BASE_URL: REAL.AUTH0_ISSUER_BASE_URL }, ['AUTH0_AUDIENCE', 'AUTH0_CLIENT_ID', 'S3_BUCKET']],
    ['issuer but no audience', { ...REAL, AUTH0_AUDIENCE: undefined }, ['AUTH0_AUDIENCE']],
    ['Auth0 without a client id', { ...REAL, AUTH0_CLIENT_ID: '' }, ['AUTH0_CLIENT_ID']],
    ['only a bucket', { S3_BUCKET: 'my-app-uploads' }, ['AUTH0_ISSUER_BASE_URL', 'AUTH0_AUDIENCE', 'AUTH0_CLIENT_ID']],
    ['only an S3 endpoint', { S3_ENDPOINT: 'http://127.0.0.1:9000' }, ['AUTH0_ISSUER_BASE_URL', 'S3_BUCKET']],
    ['Auth0 but no bucket', { ...REAL, S3_BUCKET: undefined }, ['S3_BUCKET']],
  ])('half-configured (%s) is a start-up error naming what is missing, never embedded mode', (_, env, missing) => {
    let error: unknown;
    try {
      loadSettings(env as NodeJS.ProcessEnv);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StartupConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Half-configured: /);
    for (const name of missing) expect(message).toContain(name);
  });

  it('a deployment config file alone counts as configuring S3, so it needs Auth0 too', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'edu-config-'));
    try {
      const file = path.join(dir, 'direct-upload.config.json');
      await writeFile(file, JSON.stringify({ bucketName: 'from-file-bucket', allowedOrigins: ['https://app.example.com'] }));
      expect(() => loadSettings({ DIRECT_UPLOAD_CONFIG: file })).toThrow(/deployment config file .* is used.*AUTH0_ISSUER_BASE_URL/);
      const { S3_BUCKET, ...auth0Only } = REAL;
      const settings = loadSettings({ ...auth0Only, DIRECT_UPLOAD_CONFIG: file });
      expect(settings.mode).toBe('real');
      expect(settings.deployment.bucketName).toBe('from-file-bucket');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses multipart settings on s3rver, which cannot list or abort parts, and points to LOCAL_S3=rgw', () => {
    expect(() => loadSettings({ MULTIPART_THRESHOLD: '64MiB' })).toThrow(/MULTIPART_THRESHOLD.*s3rver.*LOCAL_S3=rgw/);
    expect(() => loadSettings({ LOCAL_S3: 's3rver', MULTIPART_PART_SIZE: '8MiB' })).toThrow(/MULTIPART_PART_SIZE/);
    expect(loadSettings({ ...REAL, MULTIPART_THRESHOLD: '64MiB' }).policy.multipartThreshold).toBe(64 * 1024 * 1024);
  });

  it('runs the local S3 on s3rver by default, and on Ceph RGW with LOCAL_S3=rgw, where multipart starts above 5 MiB unless set', () => {
    const byDefault = loadSettings({});
    expect(byDefault.mode === 'embedded' && byDefault.localS3).toBe('s3rver');
    expect(byDefault.policy.multipartThreshold).toBeUndefined();
    const rgw = loadSettings({ LOCAL_S3: 'rgw' });
    expect(rgw.mode === 'embedded' && rgw.localS3).toBe('rgw');
    expect(rgw.policy.multipartThreshold).toBe(5 * 1024 * 1024);
    expect(loadSettings({ LOCAL_S3: 'RGW', MULTIPART_THRESHOLD: '6MiB' }).policy.multipartThreshold).toBe(6 * 1024 * 1024);
  });

  it('refuses an unknown LOCAL_S3, and LOCAL_S3 in real mode, where it would be ignored', () => {
    expect(() => loadSettings({ LOCAL_S3: 'minio' })).toThrow(/LOCAL_S3=minio is not a local S3: use "s3rver" \(the default\) or "rgw"/);
    expect(() => loadSettings({ ...REAL, LOCAL_S3: 'rgw' })).toThrow(/LOCAL_S3 chooses the embedded mode's local S3/);
  });

  it('refuses embedded mode under NODE_ENV=production unless ALLOW_EMBEDDED_IN_PRODUCTION=true', () => {
    expect(() => loadSettings({ NODE_ENV: 'production' })).toThrow(/ALLOW_EMBEDDED_IN_PRODUCTION=true/);
    expect(loadSettings({ NODE_ENV: 'production', ALLOW_EMBEDDED_IN_PRODUCTION: 'true' }).mode).toBe('embedded');
    expect(loadSettings({ ...REAL, NODE_ENV: 'production' }).mode).toBe('real');
  });

  it.each(['0.0.0.0', '::', '192.168.1.20', '10.0.0.5', 'example.com', '[::]', '::ffff:10.0.0.1'])(
    'refuses embedded mode on the non-loopback HOST=%s: its dev login would hand tokens to anyone who can reach it',
    (host) => {
      let error: unknown;
      try {
        loadSettings({ HOST: host });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(StartupConfigError);
      expect((error as StartupConfigError).setting).toBe('HOST');
      expect((error as Error).message).toContain(`HOST=${host} would let other machines reach the embedded development mode`);
      // The fix, both ways.
      expect((error as Error).message).toMatch(/set HOST=127\.0\.0\.1 \(the default\), localhost or ::1, or configure Auth0 and S3 to run the real mode/);
    },
  );

  it('runs embedded mode on any loopback HOST, and real mode on any HOST', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) {
      expect({ host, loopback: isLoopbackHost(host), mode: loadSettings({ HOST: host }).mode }).toEqual({ host, loopback: true, mode: 'embedded' });
    }
    expect(loadSettings({ ...REAL, HOST: '0.0.0.0' })).toMatchObject({ mode: 'real', host: '0.0.0.0' });
  });

  it.each([
    ['PORT=eighty', { PORT: 'eighty' }],
    ['PORT=70000', { PORT: '70000' }],
    ['LOCAL_S3_PORT=-1', { LOCAL_S3_PORT: '-1' }],
    ['MAX_FILE_SIZE=10MB', { MAX_FILE_SIZE: '10MB' }],
    ['S3_FORCE_PATH_STYLE=maybe', { ...REAL, S3_FORCE_PATH_STYLE: 'maybe' }],
    ['AUTH0_ISSUER_BASE_URL=example-tenant.auth0.com', { ...REAL, AUTH0_ISSUER_BASE_URL: 'example-tenant.auth0.com' }],
    ['trailing slash', { ALLOWED_ORIGINS: 'https://app.example.com/' }],
  ])('a malformed value is an error that names it: %s', (text, env) => {
    expect(() => loadSettings(env as NodeJS.ProcessEnv)).toThrow(text);
  });
});

describe('embedded mode on a non-loopback HOST', () => {
  it('startServer() refuses settings built by hand with HOST=0.0.0.0, before listening or starting anything', async () => {
    const settings: EmbeddedSettings = { ...(loadSettings({ PORT: '0' }) as EmbeddedSettings), host: '0.0.0.0' };
    const before = childProcesses();
    await expect(startServer(settings)).rejects.toMatchObject({ name: 'StartupConfigError', setting: 'HOST', message: expect.stringContaining('HOST=0.0.0.0') });
    expect(childProcesses()).toEqual(before);
  });
});

describe('real mode', () => {
  it('starts nothing embedded: no child process, no dev issuer, no dev login, and the page signs in with Auth0', async () => {
    const before = childProcesses();
    const running = await startServer({ ...(loadSettings({ ...REAL, PORT: '0' }) as RealSettings) });
    try {
      expect(running.mode).toBe('real');
      expect(running.embedded).toBeUndefined();
      expect(childProcesses()).toEqual(before);

      const page = `http://127.0.0.1:${running.port}`;
      const config = await (await fetch(`${page}/config.json`)).json();
      expect(config).toEqual({
        signIn: 'auth0',
        auth0: { domain: 'example-tenant.eu.auth0.com', clientId: REAL.AUTH0_CLIENT_ID, audience: REAL.AUTH0_AUDIENCE },
        uploadsPath: '/uploads',
        maxFileSize: 10 * 1024 * 1024,
        allowedContentTypes: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'],
        partConcurrency: 4,
      });
      expect((await fetch(`${page}/dev-login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"mallory"}' })).status).toBe(404);
      const sdk = await fetch(`${page}/vendor/auth0-spa-js/auth0-spa-js.production.js`);
      expect(sdk.status).toBe(200);
      expect(await sdk.text()).toContain('createAuth0Client');

      const home = await fetch(`${page}/`);
      const policy = csp(home.headers.get('content-security-policy') ?? undefined);
      expect(policy['connect-src']).toEqual(["'self'", 'https://my-app-uploads.s3.eu-west-3.amazonaws.com', 'https://example-tenant.eu.auth0.com']);
      expect(policy['frame-src']).toEqual(['https://example-tenant.eu.auth0.com']);
      expect(policy['upgrade-insecure-requests']).toEqual([]);
      expect(policy['script-src']).toEqual(["'self'"]);
    } finally {
      await running.stop();
    }
  });

  it('puts a custom S3 endpoint (path style) in connect-src, exactly where presigned URLs point', async () => {
    const settings = loadSettings({ ...REAL, PORT: '0', S3_ENDPOINT: 'https://s3.internal.example:9443', S3_FORCE_PATH_STYLE: 'true' }) as RealSettings;
    const running = await startServer(settings);
    try {
      expect(running.s3Origin).toBe('https://s3.internal.example:9443');
      const home = await fetch(`http://127.0.0.1:${running.port}/`);
      expect(csp(home.headers.get('content-security-policy') ?? undefined)['connect-src']).toEqual(["'self'", 'https://s3.internal.example:9443', 'https://example-tenant.eu.auth0.com']);
    } finally {
      await running.stop();
    }
  });

  it('computes the S3 origin from the router\'s own client, as the presigner does (virtual-hosted for AWS, path-style endpoint otherwise)', async () => {
    // No credentials anywhere: the probe signs with placeholders, so start-up never asks the SDK's credential chain.
    const aws = new S3Client({ region: 'us-east-1', credentials: () => Promise.reject(new Error('the probe must not resolve credentials')) });
    const local = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4568', forcePathStyle: true });
    try {
      await expect(s3OriginFor(aws, 'bucket-a')).resolves.toBe('https://bucket-a.s3.us-east-1.amazonaws.com');
      await expect(s3OriginFor(local, 'bucket-a')).resolves.toBe('http://127.0.0.1:4568');
    } finally {
      aws.destroy();
      local.destroy();
    }
  });
});

describe('embedded composition', () => {
  let issuer: DevIssuer;
  beforeAll(async () => {
    issuer = await startDevIssuer({ audience: EMBEDDED_AUDIENCE });
  });
  afterAll(async () => {
    await issuer.stop();
  });

  const embeddedApp = (identityIssuer: DevIssuer) =>
    createApp({
      bucket: 'direct-upload-dev',
      s3: { region: 'us-east-1', endpoint: 'http://127.0.0.1:4568', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } },
      keyPrefix: 'uploads/',
      publicRead: false,
      policy: {},
      identity: { kind: 'dev', issuer: identityIssuer },
    });

  it('allows exactly self and the local S3 in connect-src, frames nothing, and does not upgrade http requests', async () => {
    const { app } = await embeddedApp(issuer);
    const res = await request(app).get('/').expect(200);
    const policy = csp(res.headers['content-security-policy']);
    expect(policy['connect-src']).toEqual(["'self'", 'http://127.0.0.1:4568']);
    expect(policy['frame-src']).toEqual(["'none'"]);
    expect(policy['img-src']).toEqual(["'self'", 'data:', 'blob:']);
    expect(policy).not.toHaveProperty('upgrade-insecure-requests');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('wires the dev login to the in-process issuer, whose tokens the upload route accepts', async () => {
    const { app } = await embeddedApp(issuer);
    const login = await request(app).post('/dev-login').send({ name: 'alice' }).expect(200);
    expect(login.headers['cache-control']).toBe('no-store');
    const presign = await request(app).post('/uploads').set('Authorization', `Bearer ${login.body.access_token}`).send({ filename: 'a.png', contentType: 'image/png', size: 10 });
    expect(presign.status).toBe(200);
    expect(presign.body.url).toMatch(/^http:\/\/127\.0\.0\.1:4568\/direct-upload-dev\/uploads\//);
    const bad = await request(app).post('/dev-login').send({ name: 'a b/c' });
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('refuses a look-alike issuer object: the dev login cannot be switched on by configuration', async () => {
    const lookAlike = { ...issuer };
    await expect(embeddedApp(lookAlike)).rejects.toThrow(/startDevIssuer\(\)/);
  });

  it('answers unknown routes with problem+json code route_not_found, which the page tells apart from a missing object', async () => {
    const { app } = await embeddedApp(issuer);
    const res = await request(app).get('/nope').expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('route_not_found');
    await request(app).get('/healthz').expect(200, { status: 'ok' });
  });
});
