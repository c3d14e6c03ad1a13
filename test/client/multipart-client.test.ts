// express-direct-upload/client's multipart in Node against a verifying S3 (Ceph RGW): parallel parts, retry, resume, abort.
import { createHash, randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { createUploadClient, memoryResumeStore, UploadCancelledError, UploadNetworkError, UploadStorageError, type UploadClientOptions } from '../../client';
import { describeWithRgw } from '../support/rgw';
import { startUploadServices, type UploadServices } from '../support/upload-services';
import { divertingFetch, faultServer, fileOf, serveRouter, type Served } from './harness';

jest.setTimeout(90_000);

const MiB = 1024 * 1024;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describeWithRgw('upload client multipart against a verifying S3 (Ceph RGW)', (rgw) => {
  let stack: UploadServices;
  let server: Served;
  let token: string;

  beforeAll(async () => {
    stack = await startUploadServices('client-mp', rgw);
    // 5 MiB is the smallest part S3 allows, so a 12 MiB file is three parts: 5, 5 and 2 MiB.
    server = await serveRouter(stack, { maxFileSize: 64 * MiB, multipart: { threshold: 5 * MiB, partSize: 5 * MiB } });
    token = await stack.token('auth0|client-bob');
  });
  afterAll(async () => {
    await server?.close();
    await stack?.stop();
  });

  /** Fast retries: the backoff's shape is tested on its own; here only that a retry happens. */
  const clientFor = (options: Partial<UploadClientOptions> = {}) =>
    createUploadClient({ baseUrl: server.baseUrl, getToken: () => token, retryDelay: 20, maxRetryDelay: 100, ...options });

  async function storedSha256(key: string): Promise<string> {
    const out = await stack.client.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
    return sha256(await out.Body!.transformToByteArray());
  }
  const openUploads = async (key: string) => (await stack.client.send(new ListMultipartUploadsCommand({ Bucket: stack.bucket, Prefix: key }))).Uploads ?? [];

  it('sends the parts in parallel, completes, and the server verifies the same bytes', async () => {
    const bytes = randomBytes(12 * MiB);
    const recorder = divertingFetch(() => undefined);
    const store = memoryResumeStore();
    const progress: number[] = [];
    const result = await clientFor({ fetch: recorder.fetch, resumeStore: store, partConcurrency: 3 }).upload(fileOf(bytes, 'big.jpg', 'image/jpeg'), {
      onProgress: (loaded, total) => {
        expect(total).toBe(bytes.length);
        progress.push(loaded);
      },
    });
    expect(result).toMatchObject({ method: 'MULTIPART', verified: true, size: bytes.length, contentType: 'image/jpeg' });
    expect(recorder.puts.map((p) => p.partNumber).sort()).toEqual([1, 2, 3]);
    expect(recorder.maxInFlight()).toBeGreaterThanOrEqual(2);
    expect(progress[progress.length - 1]).toBe(bytes.length);
    expect(await storedSha256(result.key)).toBe(sha256(bytes));
    // Finished: nothing left to resume, nothing left open in S3.
    await expect(clientFor({ resumeStore: store }).pendingUploads()).resolves.toEqual([]);
    expect(await openUploads(result.key)).toEqual([]);
  });

  it('retries a part whose connection dropped mid-body, with backoff, and the bytes are still right', async () => {
    const cut = await faultServer('cut');
    try {
      const bytes = randomBytes(11 * MiB);
      // The first attempt at part 2 goes to a server that hangs up halfway; the retry goes to RGW.
      const recorder = divertingFetch((url, attempt) => (url.searchParams.get('partNumber') === '2' && attempt === 1 ? cut.baseUrl : undefined));
      const result = await clientFor({ fetch: recorder.fetch, resumeStore: null }).upload(fileOf(bytes, 'flaky.jpg', 'image/jpeg'));
      expect(cut.hits()).toBe(1);
      expect(recorder.attempts.get('2')).toBe(2);
      expect(await storedSha256(result.key)).toBe(sha256(bytes));
    } finally {
      await cut.close();
    }
  });

  it('retries a part that storage answered with 503 SlowDown', async () => {
    const busy = await faultServer('busy');
    try {
      const bytes = randomBytes(6 * MiB);
      const recorder = divertingFetch((url, attempt) => (url.searchParams.get('partNumber') === '1' && attempt <= 2 ? busy.baseUrl : undefined));
      const result = await clientFor({ fetch: recorder.fetch, resumeStore: null }).upload(fileOf(bytes, 'busy.jpg', 'image/jpeg'));
      expect(busy.hits()).toBe(2);
      expect(recorder.attempts.get('1')).toBe(3);
      expect(await storedSha256(result.key)).toBe(sha256(bytes));
    } finally {
      await busy.close();
    }
  });

  it('fails after its retries, lets the parts in flight finish, and the next upload() of the same file resumes with only the missing part', async () => {
    const cut = await faultServer('cut');
    const store = memoryResumeStore();
    const bytes = randomBytes(12 * MiB);
    const file = fileOf(bytes, 'stubborn.jpg', 'image/jpeg');
    try {
      const broken = divertingFetch((url) => (url.searchParams.get('partNumber') === '3' ? cut.baseUrl : undefined));
      const err = await clientFor({ fetch: broken.fetch, resumeStore: store, retries: 2 }).upload(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UploadNetworkError);
      expect(err).toMatchObject({ target: 'storage', retryable: true });
      expect(broken.attempts.get('3')).toBe(3); // the first try and 2 retries
      expect(cut.hits()).toBe(3);
    } finally {
      await cut.close();
    }
    const [pending] = await clientFor({ resumeStore: store }).pendingUploads();
    expect(pending).toMatchObject({ filename: 'stubborn.jpg', size: bytes.length, partCount: 3 });
    expect(await openUploads(pending.key)).toHaveLength(1);

    const healthy = divertingFetch(() => undefined);
    const presigns: string[] = [];
    const counting: typeof fetch = (input, init) => {
      if (init?.method === 'POST' && new URL(String(input)).pathname === '/uploads') presigns.push(String(input));
      return healthy.fetch(input, init);
    };
    const started: unknown[] = [];
    const result = await clientFor({ fetch: counting, resumeStore: store }).upload(file, { onStart: (s) => started.push(s) });
    expect(started).toEqual([{ key: pending.key, method: 'MULTIPART', resumed: true }]);
    expect(presigns).toEqual([]);
    expect(healthy.puts.map((p) => p.partNumber)).toEqual([3]);
    expect(result.key).toBe(pending.key);
    expect(await storedSha256(result.key)).toBe(sha256(bytes));
    await expect(clientFor({ resumeStore: store }).pendingUploads()).resolves.toEqual([]);
  });

  it('does not retry a part storage refused as tampered (SignatureDoesNotMatch), and reports S3\'s code', async () => {
    const bytes = randomBytes(6 * MiB);
    // A part URL corrupted on its way: one character of the signature changed, as a broken proxy might.
    const tamper = divertingFetch(() => undefined);
    const tampering: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      if (init?.method === 'PUT' && url.searchParams.get('partNumber') === '2') {
        const signature = url.searchParams.get('X-Amz-Signature')!;
        url.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
        return tamper.fetch(url.toString(), init);
      }
      return tamper.fetch(input, init);
    };
    const store = memoryResumeStore();
    const err = await clientFor({ fetch: tampering, resumeStore: store }).upload(fileOf(bytes, 'tampered.jpg', 'image/jpeg')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadStorageError);
    expect(err).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch', retryable: false });
    expect(tamper.attempts.get('2')).toBe(1);
    // The upload is still open for a resume, or an abort.
    const [pending] = await clientFor({ resumeStore: store }).pendingUploads();
    await clientFor({ resumeStore: store }).abort(pending);
    expect(await openUploads(pending.key)).toEqual([]);
    await expect(clientFor({ resumeStore: store }).pendingUploads()).resolves.toEqual([]);
  });

  it('cancelling aborts the multipart upload in S3 (DELETE), leaving no upload, no object and no resume record', async () => {
    // Part 3 keeps being cut off and retried, which keeps the upload in flight until the cancel.
    const hung = await faultServer('cut');
    const store = memoryResumeStore();
    const deletes: string[] = [];
    const recorder = divertingFetch((url) => (url.searchParams.get('partNumber') === '3' ? hung.baseUrl : undefined));
    const watching: typeof fetch = (input, init) => {
      if (init?.method === 'DELETE') deletes.push(String(input));
      return recorder.fetch(input, init);
    };
    const controller = new AbortController();
    let key = '';
    try {
      const upload = clientFor({ fetch: watching, resumeStore: store, retries: 10, retryDelay: 200 }).upload(fileOf(randomBytes(12 * MiB), 'abandon.jpg', 'image/jpeg'), {
        signal: controller.signal,
        onStart: (s) => {
          key = s.key;
        },
        onProgress: (loaded) => {
          if (loaded >= 10 * MiB) controller.abort();
        },
      });
      await expect(upload).rejects.toBeInstanceOf(UploadCancelledError);
    } finally {
      await hung.close();
    }
    expect(deletes).toEqual([expect.stringContaining('/uploads/multipart?key=')]);
    expect(await openUploads(key)).toEqual([]);
    await expect(stack.client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    await expect(clientFor({ resumeStore: store }).pendingUploads()).resolves.toEqual([]);
  });

  it('starts over when the remembered upload is gone (aborted elsewhere)', async () => {
    const store = memoryResumeStore();
    const bytes = randomBytes(6 * MiB);
    const file = fileOf(bytes, 'gone.jpg', 'image/jpeg');
    const cut = await faultServer('cut');
    try {
      const broken = divertingFetch((url) => (url.searchParams.get('partNumber') === '2' ? cut.baseUrl : undefined));
      await expect(clientFor({ fetch: broken.fetch, resumeStore: store, retries: 0 }).upload(file)).rejects.toBeInstanceOf(UploadNetworkError);
    } finally {
      await cut.close();
    }
    const [pending] = await clientFor({ resumeStore: store }).pendingUploads();
    // Another tab (or a lifecycle rule) aborted it; the record is stale.
    await clientFor({ resumeStore: null }).abort(pending);
    const result = await clientFor({ resumeStore: store }).upload(file);
    expect(result.key).not.toBe(pending.key);
    expect(await storedSha256(result.key)).toBe(sha256(bytes));
  });
});
