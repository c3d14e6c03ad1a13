// express-direct-upload/client in Node (fetch) against the real router, real JWTs and a real local S3 (s3rver): single PUTs, errors, cancel.
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { RateLimitedError, sendProblem } from '../../middleware';
import {
  backoffDelay,
  createUploadClient,
  memoryResumeStore,
  UploadCancelledError,
  UploadNetworkError,
  UploadProblemError,
  UploadStorageError,
} from '../../client';
import { pngBytes } from '../../dev/png';
import { startUploadServices, type UploadServices } from '../support/upload-services';
import { fileOf, listen, serveRouter, type Served } from './harness';

describe('upload client against the router and a local S3 (s3rver)', () => {
  let stack: UploadServices;
  let server: Served;
  let token: string;

  beforeAll(async () => {
    stack = await startUploadServices('client-local');
    server = await serveRouter(stack, { maxFileSize: 64 * 1024, contentDisposition: true });
    token = await stack.token('auth0|client-alice');
  });
  afterAll(async () => {
    await server?.close();
    await stack?.stop();
  });

  const clientFor = (options: Parameters<typeof createUploadClient>[0] = {}) => createUploadClient({ baseUrl: server.baseUrl, getToken: () => token, ...options });

  async function storedObject(key: string) {
    const head = await stack.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
    const body = await stack.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
    return { head, bytes: Buffer.from(await body.Body!.transformToByteArray()) };
  }

  it('uploads a File with one PUT, sending the headers the server signed, and the server verifies it', async () => {
    const png = pngBytes(40, 30);
    const started: unknown[] = [];
    const progress: Array<[number, number]> = [];
    const result = await clientFor().upload(fileOf(png, 'holiday photo.png', 'image/png'), {
      onStart: (s) => started.push(s),
      onProgress: (loaded, total) => progress.push([loaded, total]),
    });
    expect(result).toMatchObject({ method: 'PUT', verified: true, size: png.length, contentType: 'image/png' });
    expect(result.key).toMatch(/^uploads\/[0-9a-f]{32}\/[0-9a-f-]{36}\.png$/);
    expect(started).toEqual([{ key: result.key, method: 'PUT', resumed: false }]);
    // fetch has no upload progress: 0 before the PUT, everything after it.
    expect(progress).toEqual([[0, png.length], [png.length, png.length]]);
    const { head, bytes } = await storedObject(result.key);
    expect(bytes.equals(png)).toBe(true);
    expect(head.ContentType).toBe('image/png');
    // Content-Disposition was signed by the server and sent by the client exactly as returned.
    expect(head.ContentDisposition).toBe(`attachment; filename="holiday photo.png"; filename*=UTF-8''holiday%20photo.png`);
  });

  it('uploads a plain Blob with the name and type given in the options', async () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    const result = await clientFor().upload(new Blob([new Uint8Array(bytes)]), { filename: 'scan.jpg', contentType: 'image/jpeg' });
    expect(result.key).toMatch(/\.jpg$/);
    expect((await storedObject(result.key)).head.ContentType).toBe('image/jpeg');
  });

  it('turns the server\'s problem+json into an UploadProblemError: 415 with code, title and detail', async () => {
    const err = await clientFor().upload(new File(['hello'], 'notes.txt', { type: 'text/plain' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadProblemError);
    expect(err).toMatchObject({ name: 'UploadProblemError', status: 415, code: 'unsupported_content_type', title: 'Content type not allowed', retryable: false });
    expect((err as UploadProblemError).detail).toMatch(/Content type "text\/plain" is not allowed/);
    expect((err as Error).message).toBe((err as UploadProblemError).detail);
  });

  it('keeps exact byte counts in the 413 detail, and field errors of a 400 in errors[]', async () => {
    const big = await clientFor().upload(fileOf(new Uint8Array(64 * 1024 + 1), 'big.png', 'image/png')).catch((e: unknown) => e);
    expect(big).toMatchObject({ status: 413, code: 'file_too_large', detail: `The file is ${64 * 1024 + 1} bytes; the limit is ${64 * 1024} bytes.` });
    const bad = await clientFor().presign({ contentType: 'image/png', size: -3 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(UploadProblemError);
    expect(bad).toMatchObject({ status: 400, code: 'invalid_request' });
    expect((bad as UploadProblemError).errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'size' })]));
  });

  it('sends no Authorization without a token, and reports the 401; a forged token is a 401 too', async () => {
    const none = await createUploadClient({ baseUrl: server.baseUrl }).upload(fileOf(pngBytes(), 'a.png', 'image/png')).catch((e: unknown) => e);
    expect(none).toMatchObject({ name: 'UploadProblemError', status: 401, retryable: false });
    const forged = await clientFor({ getToken: async () => `${token.slice(0, -4)}AAAA` }).upload(fileOf(pngBytes(), 'a.png', 'image/png')).catch((e: unknown) => e);
    expect(forged).toMatchObject({ status: 401, code: 'invalid_token' });
  });

  it('reads Retry-After from a 429 sent by a limiter in front of the router, and marks it retryable', async () => {
    const limited = await serveRouter(stack, {}, [(req, res) => sendProblem(res, new RateLimitedError('Slow down: 10 uploads a minute.', 42), req.path)]);
    try {
      const err = await createUploadClient({ baseUrl: limited.baseUrl, getToken: () => token }).presign({ contentType: 'image/png', size: 10 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 42, retryable: true, detail: 'Slow down: 10 uploads a minute.' });
    } finally {
      await limited.close();
    }
  });

  it('presign and complete work on their own: the low-level steps of upload()', async () => {
    const client = clientFor();
    const png = pngBytes(8, 8);
    const plan = await client.presign({ filename: 'manual.png', contentType: 'image/png', size: png.length });
    if (plan.method !== 'PUT') throw new Error(`expected a PUT plan, got ${plan.method}`);
    expect(plan.headers['Content-Type']).toBe('image/png');
    expect((await fetch(plan.url, { method: 'PUT', headers: plan.headers, body: new Uint8Array(png) })).status).toBe(200);
    await expect(client.complete({ key: plan.key, size: png.length, contentType: 'image/png' })).resolves.toMatchObject({ key: plan.key, size: png.length });
    const wrongSize = await client.complete({ key: plan.key, size: png.length + 1 }).catch((e: unknown) => e);
    expect(wrongSize).toMatchObject({ status: 409, code: 'upload_mismatch' });
  });

  it('reports an unreachable server and unreachable storage as UploadNetworkError, naming which', async () => {
    const closed = await listen((_req, res) => res.end());
    await closed.close();
    const serverDown = await createUploadClient({ baseUrl: closed.baseUrl, getToken: () => token }).upload(fileOf(pngBytes(), 'a.png', 'image/png')).catch((e: unknown) => e);
    expect(serverDown).toBeInstanceOf(UploadNetworkError);
    expect(serverDown).toMatchObject({ target: 'server', retryable: true });

    // Signing is local, so a router whose S3 endpoint is a closed port still presigns; the PUT then finds nobody.
    const noStorage = await serveRouter(stack, { s3: { endpoint: closed.baseUrl, forcePathStyle: true, credentials: stack.s3.credentials } });
    try {
      const storageDown = await createUploadClient({ baseUrl: noStorage.baseUrl, getToken: () => token }).upload(fileOf(pngBytes(), 'a.png', 'image/png')).catch((e: unknown) => e);
      expect(storageDown).toBeInstanceOf(UploadNetworkError);
      expect(storageDown).toMatchObject({ target: 'storage' });
    } finally {
      await noStorage.close();
    }
  });

  it('reports storage\'s own refusal as UploadStorageError with S3\'s code', async () => {
    // A router signing for a bucket that does not exist: the local S3 answers the PUT with NoSuchBucket.
    const missing = await serveRouter(stack, { bucket: 'no-such-bucket' });
    try {
      const err = await createUploadClient({ baseUrl: missing.baseUrl, getToken: () => token }).upload(fileOf(pngBytes(), 'a.png', 'image/png')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UploadStorageError);
      expect(err).toMatchObject({ status: 404, code: 'NoSuchBucket', retryable: false, expired: false });
    } finally {
      await missing.close();
    }
  });

  it('cancels: an aborted signal stops before any request, and an abort mid-PUT ends the request at once', async () => {
    const before = new AbortController();
    before.abort();
    await expect(clientFor().upload(fileOf(pngBytes(), 'a.png', 'image/png'), { signal: before.signal })).rejects.toBeInstanceOf(UploadCancelledError);

    // Storage that accepts the PUT and never answers: only the cancel can end it.
    const hung = await listen((req) => req.resume());
    const slow = await serveRouter(stack, { s3: { endpoint: hung.baseUrl, forcePathStyle: true, credentials: stack.s3.credentials } });
    try {
      const during = new AbortController();
      const upload = createUploadClient({ baseUrl: slow.baseUrl, getToken: () => token }).upload(fileOf(pngBytes(), 'a.png', 'image/png'), {
        signal: during.signal,
        onStart: () => setTimeout(() => during.abort(), 200),
      });
      const started = Date.now();
      await expect(upload).rejects.toBeInstanceOf(UploadCancelledError);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await slow.close();
      await hung.close();
    }
  });

  it('checks its options once, naming the option', () => {
    expect(() => createUploadClient({})).toThrow(/baseUrl is required outside a browser page/);
    expect(() => createUploadClient({ baseUrl: server.baseUrl, partConcurrency: 0 })).toThrow(/partConcurrency must be a whole number of at least 1, not 0/);
    expect(() => createUploadClient({ baseUrl: server.baseUrl, path: 'uploads' })).toThrow(/path must start with "\/"/);
  });

  it('keeps no resume store in Node unless given one', async () => {
    await expect(clientFor().pendingUploads()).resolves.toEqual([]);
    const store = memoryResumeStore();
    await store.set('f', { fingerprint: 'f', key: 'k', uploadId: 'u', size: 1, partSize: 1, partCount: 1, contentType: 'image/png', createdAt: 0 });
    await expect(clientFor({ resumeStore: store }).pendingUploads()).resolves.toEqual([expect.objectContaining({ uploadId: 'u' })]);
  });
});

describe('memoryResumeStore', () => {
  it('clear() forgets every record, as a page does when its user signs out', async () => {
    const store = memoryResumeStore();
    for (const id of ['a', 'b']) await store.set(id, { fingerprint: id, key: `k-${id}`, uploadId: id, size: 1, partSize: 1, partCount: 1, contentType: 'image/png', createdAt: 0 });
    expect(await store.list!()).toHaveLength(2);
    await store.clear!();
    expect({ list: await store.list!(), a: await store.get('a') }).toEqual({ list: [], a: undefined });
  });
});

describe('backoffDelay', () => {
  it('doubles from the base on each retry, stops at the cap, and spreads by ±50% jitter', () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, 500, 10_000, middle))).toEqual([500, 1000, 2000, 4000, 8000, 10_000]);
    expect(backoffDelay(1, 500, 10_000, () => 0)).toBe(250);
    expect(backoffDelay(1, 500, 10_000, () => 0.999)).toBeCloseTo(749.5);
    const spread = new Set(Array.from({ length: 20 }, () => Math.round(backoffDelay(3, 500, 10_000))));
    expect(spread.size).toBeGreaterThan(1);
  });
});
