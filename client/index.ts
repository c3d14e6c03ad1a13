// express-direct-upload/client: uploads files straight to S3 through an express-direct-upload server, in browsers, Node and React Native.
import { routes, type ApiSettings, type MultipartRef, type PresignRequest, type TokenGetter, type UploadPlan, type VerifiedUpload } from './api.js';
import { defaultDigest, type ChecksumAlgorithm, type DigestFunction } from './checksum.js';
import { UploadCancelledError, UploadError, UploadProblemError } from './errors.js';
import { sendParts, type MultipartSettings } from './multipart.js';
import { indexedDbResumeStore, type ResumeRecord, type ResumeStore } from './resume-store.js';
import { putBlob } from './transfer.js';

export * from './errors.js';
export { memoryResumeStore, indexedDbResumeStore, type ResumeStore, type ResumeRecord, type IndexedDbResumeStoreOptions } from './resume-store.js';
export { backoffDelay } from './retry.js';
export { defaultDigest, type ChecksumAlgorithm, type DigestFunction } from './checksum.js';
export type { UploadPlan, PutPlan, MultipartPlan, PresignRequest, VerifiedUpload, StoredPart, MultipartRef, TokenGetter } from './api.js';

export interface UploadClientOptions {
  /** Origin (and any prefix) of the upload server, e.g. `https://api.example.com`. Required outside a browser. It defaults to the page's origin. */
  baseUrl?: string;
  /** Where the server mounted its routes (its `path` option). It defaults to `/uploads`. */
  path?: string;
  /** Returns the access token sent as `Authorization: Bearer`; called before every server request. It defaults to sending none. */
  getToken?: TokenGetter;
  /** The fetch used for the server, and for storage when there is no XMLHttpRequest. It defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Remembers started multipart uploads so that a retry or a reload resumes them; `null` turns it off. It defaults to `indexedDbResumeStore()` where IndexedDB exists, else none. */
  resumeStore?: ResumeStore | null;
  /** Parts sent at the same time. It defaults to 4. */
  partConcurrency?: number;
  /** Retries of one part after its first attempt fails with a retryable error. It defaults to 3. */
  retries?: number;
  /** Delay before the first retry, in ms; doubled on each retry, with jitter. It defaults to 500. */
  retryDelay?: number;
  /** Longest delay between retries, in ms. It defaults to 10000. */
  maxRetryDelay?: number;
  /** Makes the XMLHttpRequest that PUTs to storage with progress events; `null` uses fetch. It defaults to `new XMLHttpRequest()` where it exists, else null. */
  xhr?: (() => XMLHttpRequest) | null;
  /**
   * The algorithm of the server's `checksum` option: the client then sends the digest of each file (or part), and
   * storage refuses bytes that do not match it. Set it to what the server is configured with. It defaults to none.
   */
  checksum?: ChecksumAlgorithm;
  /**
   * Computes a base64 digest. It defaults to `defaultDigest`: WebCrypto SHA-256 (in a Worker where the page allows
   * one), and @aws-sdk/crc64-nvme for CRC64NVME (loaded on first use; a page without a bundler passes its own).
   */
  digest?: DigestFunction;
}

export interface UploadOptions {
  /** The object's Content-Type. It defaults to the Blob's `type`, else `application/octet-stream`. */
  contentType?: string;
  /** The file name the server sees (for the key's extension and Content-Disposition). It defaults to the File's `name`. */
  filename?: string;
  /** Base64 MD5 of the file, signed for a single PUT so that storage refuses corrupted bytes. It defaults to none. */
  contentMD5?: string;
  /** Bytes sent so far and the total; per XHR progress event, or per part with fetch. */
  onProgress?: (loaded: number, total: number) => void;
  /** Called once the server chose the key and the method, before any byte is sent. */
  onStart?: (started: { key: string; method: 'PUT' | 'MULTIPART'; resumed: boolean }) => void;
  /** Cancels the upload; a multipart upload is then aborted in S3 (DELETE) and forgotten. */
  signal?: AbortSignal;
}

export interface UploadResult extends VerifiedUpload {
  method: 'PUT' | 'MULTIPART';
  /** True when the server checked the stored object's size and type (its `/complete` route answered). */
  verified: boolean;
}

/** A multipart upload that a retry or a reload can resume, from `pendingUploads()`. */
export type PendingUpload = ResumeRecord;

export interface UploadClient {
  /** Uploads one Blob or File: presign, one PUT or parts in parallel, then complete. Rejects with an UploadError. */
  upload(file: Blob, options?: UploadOptions): Promise<UploadResult>;
  /** `POST {path}`: asks the server for a PUT plan, or a started multipart upload for large sizes. */
  presign(request: PresignRequest, signal?: AbortSignal): Promise<UploadPlan>;
  /** Asks the server to verify an upload: `{ key, size?, contentType? }` after a PUT, `{ key, uploadId, size }` to complete a multipart upload. */
  complete(target: { key: string; uploadId?: string; size?: number; contentType?: string }, signal?: AbortSignal): Promise<VerifiedUpload>;
  /** `DELETE {path}/multipart`: aborts a multipart upload in S3, freeing its parts, and forgets it in the resume store. */
  abort(upload: MultipartRef & { fingerprint?: string }): Promise<void>;
  /** Multipart uploads started and not finished, as remembered by the resume store (empty without `list`). */
  pendingUploads(): Promise<PendingUpload[]>;
}

const DEFAULTS = { path: '/uploads', partConcurrency: 4, retries: 3, retryDelay: 500, maxRetryDelay: 10_000 } as const;
/**
 * Files up to this size get a whole-file digest with their presign request: the server's default multipart threshold.
 * Larger ones are presigned without, since a multipart upload needs per-part digests only; if the server still
 * plans a single PUT for them (a higher threshold), it asks for the digest and the request is repeated with one.
 */
const WHOLE_FILE_DIGEST_LIMIT = 100 * 1024 * 1024;
const CHECKSUM_ALGORITHMS: readonly string[] = ['SHA256', 'CRC64NVME'];

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`express-direct-upload/client: ${name} must be a whole number of at least ${min}, not ${String(value)}.`);
  }
  return value;
}

/** The key a resume record is stored under: the same file for the same server gives the same fingerprint. */
function fingerprintOf(endpoint: string, file: Blob, filename: string | undefined, contentType: string): string {
  const lastModified = (file as Partial<File>).lastModified ?? '';
  return JSON.stringify([endpoint, filename ?? '', file.size, contentType, lastModified]);
}

/**
 * Builds an upload client for one express-direct-upload server. Options are checked here, once.
 *
 * @example
 * const client = createUploadClient({ getToken: () => auth0.getTokenSilently() });
 * const { key } = await client.upload(input.files[0], { onProgress: (sent, total) => bar.value = sent / total });
 */
export function createUploadClient(options: UploadClientOptions = {}): UploadClient {
  const foundFetch = options.fetch ?? (typeof fetch === 'function' ? fetch.bind(globalThis) : undefined);
  if (!foundFetch) throw new TypeError('express-direct-upload/client: no fetch here; pass options.fetch.');
  const fetchImpl: typeof fetch = foundFetch;
  const hasLocation = typeof location !== 'undefined' && /^https?:$/.test(location.protocol);
  if (options.baseUrl === undefined && !hasLocation) {
    throw new TypeError('express-direct-upload/client: baseUrl is required outside a browser page, e.g. "http://localhost:3000".');
  }
  const path = options.path ?? DEFAULTS.path;
  if (!path.startsWith('/')) throw new TypeError(`express-direct-upload/client: path must start with "/", like "${DEFAULTS.path}".`);
  const api: ApiSettings = {
    endpoint: `${(options.baseUrl ?? '').replace(/\/+$/, '')}${path === '/' ? '' : path}`,
    getToken: options.getToken,
    fetch: fetchImpl,
  };
  const xhr = options.xhr !== undefined ? options.xhr : typeof XMLHttpRequest === 'function' ? () => new XMLHttpRequest() : null;
  const store = options.resumeStore !== undefined ? options.resumeStore : typeof indexedDB !== 'undefined' ? indexedDbResumeStore() : null;
  if (options.checksum !== undefined && !CHECKSUM_ALGORITHMS.includes(options.checksum)) {
    throw new TypeError(`express-direct-upload/client: checksum must be "SHA256" or "CRC64NVME", not ${JSON.stringify(options.checksum)}.`);
  }
  const checksum = options.checksum ? { algorithm: options.checksum, digest: options.digest ?? defaultDigest } : undefined;
  const multipart: MultipartSettings = {
    api,
    partConcurrency: checkCount('partConcurrency', options.partConcurrency ?? DEFAULTS.partConcurrency, 1),
    retries: checkCount('retries', options.retries ?? DEFAULTS.retries, 0),
    retryDelay: checkCount('retryDelay', options.retryDelay ?? DEFAULTS.retryDelay, 0),
    maxRetryDelay: checkCount('maxRetryDelay', options.maxRetryDelay ?? DEFAULTS.maxRetryDelay, 0),
    xhr,
    fetch: fetchImpl,
    checksum,
  };

  /** `POST {path}`, with the file's digest when the server signs checksums and the upload may be a single PUT. */
  async function presignFile(file: Blob, request: PresignRequest, signal?: AbortSignal): Promise<UploadPlan> {
    if (!checksum) return routes.presign(api, request, signal);
    const withDigest = async () => routes.presign(api, { ...request, checksum: await checksum.digest(file, checksum.algorithm) }, signal);
    if (file.size <= WHOLE_FILE_DIGEST_LIMIT) return withDigest();
    try {
      return await routes.presign(api, request, signal);
    } catch (err) {
      if (err instanceof UploadProblemError && err.status === 400 && err.errors.some((e) => e.field === 'checksum')) return withDigest();
      throw err;
    }
  }

  async function abort(upload: MultipartRef & { fingerprint?: string }): Promise<void> {
    try {
      await routes.abortMultipart(api, { key: upload.key, uploadId: upload.uploadId });
    } finally {
      if (upload.fingerprint) await store?.delete(upload.fingerprint);
    }
  }

  /** Sends the parts of a remembered (or just started) multipart upload; on cancel, aborts it in S3. */
  async function runMultipart(record: ResumeRecord, file: Blob, resuming: boolean, options: UploadOptions): Promise<UploadResult> {
    options.onStart?.({ key: record.key, method: 'MULTIPART', resumed: resuming });
    try {
      const done = await sendParts(multipart, record, file, resuming, options.onProgress, options.signal);
      await store?.delete(record.fingerprint);
      return { ...done, method: 'MULTIPART', verified: true };
    } catch (err) {
      if (err instanceof UploadCancelledError) {
        // Cancelling means "never mind": free the parts in S3 now rather than leaving them to a lifecycle rule.
        await abort(record).catch(() => undefined);
      }
      throw err;
    }
  }

  async function upload(file: Blob, options: UploadOptions = {}): Promise<UploadResult> {
    if (options.signal?.aborted) throw new UploadCancelledError();
    const filename = options.filename ?? (file as Partial<File>).name;
    const contentType = options.contentType ?? (file.type || 'application/octet-stream');
    const fingerprint = fingerprintOf(api.endpoint, file, filename, contentType);

    const remembered = await store?.get(fingerprint);
    if (remembered) {
      try {
        return await runMultipart(remembered, file, true, options);
      } catch (err) {
        // The upload is gone (completed elsewhere, aborted, expired) or not this user's: start over below.
        if (!(err instanceof UploadProblemError && (err.status === 404 || err.status === 403))) throw err;
        await store?.delete(fingerprint);
      }
    }

    const plan = await presignFile(file, { filename, contentType, size: file.size, ...(options.contentMD5 ? { contentMD5: options.contentMD5 } : {}) }, options.signal);
    if (plan.method === 'MULTIPART') {
      const record: ResumeRecord = { fingerprint, key: plan.key, uploadId: plan.uploadId, size: plan.size, partSize: plan.partSize, partCount: plan.partCount, contentType, filename, createdAt: Date.now(), blob: file };
      await store?.set(fingerprint, record);
      return runMultipart(record, file, false, options);
    }
    if (plan.method !== 'PUT') throw new UploadError(`The server answered with an unknown upload method "${(plan as { method?: unknown }).method}".`);
    options.onStart?.({ key: plan.key, method: 'PUT', resumed: false });
    await putBlob(plan.url, plan.headers, file, { onProgress: options.onProgress, signal: options.signal, xhr, fetch: fetchImpl });
    try {
      const verified = await routes.completePut(api, { key: plan.key, size: file.size, contentType }, options.signal);
      return { ...verified, method: 'PUT', verified: true };
    } catch (err) {
      // A host that mounted the presign route without /complete answers its own 404: there is nothing to check with.
      if (err instanceof UploadProblemError && err.status === 404 && err.code !== 'not_found') {
        return { key: plan.key, size: file.size, contentType, method: 'PUT', verified: false };
      }
      throw err;
    }
  }

  return {
    upload,
    presign: (request, signal) => routes.presign(api, request, signal),
    complete: (target, signal) =>
      target.uploadId !== undefined
        ? routes.completeMultipart(api, { key: target.key, uploadId: target.uploadId }, target.size as number, signal)
        : routes.completePut(api, { key: target.key, size: target.size, contentType: target.contentType }, signal),
    abort,
    pendingUploads: async () => (store?.list ? [...(await store.list())] : []),
  };
}
