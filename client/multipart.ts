// Multipart transfer: sends the parts S3 does not hold yet, several at a time, each retried with backoff, then completes.
import { routes, type ApiSettings, type MultipartRef, type VerifiedUpload } from './api.js';
import type { ChecksumAlgorithm, DigestFunction } from './checksum.js';
import { UploadCancelledError, UploadError, UploadStorageError } from './errors.js';
import { backoffDelay, sleep } from './retry.js';
import { putBlob } from './transfer.js';

/** The plan of a started multipart upload. */
export interface PartPlan extends MultipartRef {
  size: number;
  partSize: number;
  partCount: number;
}

export interface MultipartSettings {
  api: ApiSettings;
  partConcurrency: number;
  retries: number;
  retryDelay: number;
  maxRetryDelay: number;
  xhr: (() => XMLHttpRequest) | null;
  fetch: typeof fetch;
  /** With the server's `checksum` option: each part's digest is computed and sent to be signed. */
  checksum?: { algorithm: ChecksumAlgorithm; digest: DigestFunction };
}

/** Part URLs asked for in one request (the server allows up to 100). */
const PART_BATCH_SIZE = 20;
/** Part URLs this close to expiry are renewed first, so a slow part does not start on a dying URL. */
const URL_EXPIRY_MARGIN_MS = 30_000;

function byteRange(plan: PartPlan, partNumber: number): [number, number] {
  const start = (partNumber - 1) * plan.partSize;
  return [start, Math.min(start + plan.partSize, plan.size)];
}

/**
 * Sends every part S3 does not hold, then completes and returns what the server verified. With `resuming`, S3 is
 * asked first (ListParts) which parts it has; a fresh upload has none. Progress counts stored parts as sent.
 */
export async function sendParts(
  settings: MultipartSettings,
  plan: PartPlan,
  blob: Blob,
  resuming: boolean,
  onProgress?: (loaded: number, total: number) => void,
  signal?: AbortSignal,
): Promise<VerifiedUpload> {
  const stored = new Map<number, number>();
  if (resuming) {
    for (const part of (await routes.listParts(settings.api, plan, signal)).parts) {
      const [start, end] = byteRange(plan, part.partNumber);
      // A part of another length (another file, or a different plan) must be sent again.
      if (part.size === end - start) stored.set(part.partNumber, part.size);
    }
  }
  const loaded = new Map(stored);
  const report = () => onProgress?.([...loaded.values()].reduce((a, b) => a + b, 0), plan.size);
  report();

  const pending: number[] = [];
  for (let n = 1; n <= plan.partCount; n += 1) if (!stored.has(n)) pending.push(n);
  // The pool's own signal, for the caller's cancel. A part that fails for good only stops new parts from starting:
  // the parts in flight finish, so that a resume has fewer to send.
  const stop = new AbortController();
  let failure: unknown;
  const forwardAbort = () => stop.abort();
  signal?.addEventListener('abort', forwardAbort, { once: true });
  const urls = new Map<number, { url: string; headers: Record<string, string>; expiresAt: number }>();
  // A part's digest does not change when its URL is renewed: computed once.
  const digests = new Map<number, Promise<string>>();
  const digestOf = (n: number): Promise<string> => {
    const { checksum } = settings;
    if (!checksum) return Promise.resolve('');
    if (!digests.has(n)) digests.set(n, checksum.digest(blob.slice(...byteRange(plan, n)), checksum.algorithm));
    return digests.get(n) as Promise<string>;
  };
  const signing = new Map<number, Promise<void>>();

  /** A fresh URL for a part, signed in one batch with the parts that come after it. */
  async function urlFor(partNumber: number): Promise<{ url: string; headers: Record<string, string> }> {
    const cached = urls.get(partNumber);
    if (cached && cached.expiresAt - Date.now() > URL_EXPIRY_MARGIN_MS) return cached;
    if (!signing.has(partNumber)) {
      const from = pending.indexOf(partNumber);
      const later = pending.slice(from + 1).filter((n) => !signing.has(n) && !urls.has(n));
      const batch = [partNumber, ...later].slice(0, PART_BATCH_SIZE);
      const checksums = settings.checksum ? Promise.all(batch.map(digestOf)) : Promise.resolve(undefined);
      const request = checksums
        .then((values) => routes.signParts(settings.api, plan, plan.size, batch, stop.signal, values))
        .then((answer) => {
          const expiresAt = Date.parse(answer.expiresAt);
          for (const part of answer.parts) urls.set(part.partNumber, { url: part.url, headers: part.headers ?? {}, expiresAt });
        });
      for (const n of batch) signing.set(n, request);
      const forget = () => batch.forEach((n) => signing.get(n) === request && signing.delete(n));
      request.then(forget, forget);
    }
    await signing.get(partNumber);
    const fresh = urls.get(partNumber);
    if (!fresh) throw new UploadError(`The server did not sign part ${partNumber}.`);
    return fresh;
  }

  async function sendPart(partNumber: number): Promise<void> {
    const [start, end] = byteRange(plan, partNumber);
    // No type argument: the slice carries no Content-Type, because none is signed for parts.
    const part = blob.slice(start, end);
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { url, headers } = await urlFor(partNumber);
        const progress = (sent: number) => {
          loaded.set(partNumber, sent);
          report();
        };
        await putBlob(url, headers, part, { onProgress: progress, signal: stop.signal, xhr: settings.xhr, fetch: settings.fetch });
        loaded.set(partNumber, end - start);
        report();
        return;
      } catch (err) {
        loaded.set(partNumber, 0);
        report();
        if (stop.signal.aborted) throw new UploadCancelledError();
        if (err instanceof UploadStorageError && err.expired) urls.delete(partNumber);
        if (!(err instanceof UploadError) || !err.retryable || attempt >= settings.retries || failure !== undefined) throw err;
        await sleep(backoffDelay(attempt + 1, settings.retryDelay, settings.maxRetryDelay), stop.signal);
      }
    }
  }

  // A small pool: each worker takes the next part until none is left, or one failed for good.
  const queue = [...pending];
  const worker = async () => {
    while (queue.length > 0 && !stop.signal.aborted && failure === undefined) {
      const partNumber = queue.shift() as number;
      try {
        await sendPart(partNumber);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(settings.partConcurrency, pending.length)) }, worker));
  } finally {
    signal?.removeEventListener('abort', forwardAbort);
  }
  if (signal?.aborted) throw new UploadCancelledError();
  if (failure) throw failure;
  return routes.completeMultipart(settings.api, plan, plan.size, signal);
}
