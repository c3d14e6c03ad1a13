// Upload logic, no UI: asks the server for presigned URLs, sends the bytes straight to S3 (one PUT, or parts in parallel), resumes after a reload.

/**
 * Why an upload failed, as a `kind` the page can act on, and a message a person can read.
 * kinds: auth, forbidden, invalid, incomplete, too-large, type, rate-limited, server, unreachable, offline,
 *        network (S3 unreachable or CORS), signature, expired, storage, verify, cancelled.
 */
export class UploadError extends Error {
  constructor(kind, message, { status, code, retryable = false } = {}) {
    super(message);
    this.name = 'UploadError';
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.retryable = retryable;
  }
}

const DEFAULTS = Object.freeze({
  uploadsPath: '/uploads',
  partConcurrency: 4,
  /** Tries per part before the whole upload fails; parts already sent stay in S3 for a resume. */
  maxPartAttempts: 4,
  /** First retry delay; doubled on each attempt, with jitter so parallel parts do not retry in lockstep. */
  retryBaseMs: 500,
  /** Part URLs asked for in one request. */
  partBatchSize: 20,
});

/** Part URLs this close to expiry are renewed before use, so a slow part does not start on a dying URL. */
const URL_EXPIRY_MARGIN_MS = 30_000;
const RESUME_STORAGE_KEY = 'express-direct-upload:multipart:v1';

/** Sizes in binary units (the server's limits are whole MiB, so "10 MB" is exactly the limit), labelled as people expect. */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(cancelled());
    }, { once: true });
  });

const cancelled = () => new UploadError('cancelled', 'Cancelled.');

/** Turns the server's problem+json (RFC 9457) into an UploadError that keeps the server's `detail`. */
function problemError(status, problem, statusText) {
  const detail = problem?.detail || problem?.title || `The server answered ${status} ${statusText || ''}`.trim();
  const code = problem?.code;
  switch (status) {
    case 401: return new UploadError('auth', `You are not signed in, or your sign-in has expired: ${detail} Sign in again.`, { status, code });
    case 403: return new UploadError('forbidden', `Not allowed: ${detail}`, { status, code });
    case 413: return new UploadError('too-large', `Too large: ${detail}`, { status, code });
    case 415: return new UploadError('type', `File type not accepted: ${detail}`, { status, code });
    // Completing before every part is in S3: sending the missing parts (Retry resumes) fixes it.
    case 409: return new UploadError('incomplete', `The upload is not complete yet: ${detail}`, { status, code, retryable: code === 'incomplete_upload' });
    case 429: return new UploadError('rate-limited', `Too many uploads at once: ${detail} Try again in a moment.`, { status, code, retryable: true });
    default:
      if (status >= 500) return new UploadError('server', `The server could not prepare the upload (${status}): ${detail}`, { status, code, retryable: true });
      return new UploadError('invalid', `The server refused the upload (${status}): ${detail}`, { status, code });
  }
}

/** Calls the upload API with the bearer token; returns parsed JSON (or null for 204) or throws an UploadError. */
async function api(ctx, method, path, body) {
  const token = await ctx.getToken();
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: ctx.signal,
      cache: 'no-store',
    });
  } catch (err) {
    if (ctx.signal?.aborted) throw cancelled();
    if (!navigator.onLine) throw new UploadError('offline', 'You are offline. Reconnect, then retry.', { retryable: true });
    throw new UploadError('unreachable', `Could not reach the server (${err.message}).`, { retryable: true });
  }
  if (response.status === 204) return null;
  const isJson = /json/.test(response.headers.get('content-type') || '');
  const payload = isJson ? await response.json().catch(() => null) : null;
  if (!response.ok) throw problemError(response.status, payload, response.statusText);
  return payload;
}

/** S3 errors are XML; their Code says whether the signature, the expiry or the bytes were the problem. */
function storageError(status, xml) {
  const code = /<Code>([^<]+)<\/Code>/.exec(xml || '')?.[1];
  const text = /<Message>([^<]*)<\/Message>/.exec(xml || '')?.[1];
  if (code === 'SignatureDoesNotMatch') {
    return new UploadError('signature', 'Storage refused the upload: what the browser sent does not match what the server signed (SignatureDoesNotMatch).', { status, code });
  }
  if (/expired/i.test(text || '') || code === 'ExpiredToken') {
    return new UploadError('expired', 'The upload link expired before the file was sent. Retry to get a fresh one.', { status, code, retryable: true });
  }
  if (status === 403 && !code) {
    // S3 left out its CORS headers on this error, so the body is unreadable: say what the usual causes are.
    return new UploadError('signature', 'Storage refused the upload (403): the signature did not match or the link expired.', { status });
  }
  const why = code ? `${code}${text ? `: ${text}` : ''}` : `HTTP ${status}`;
  return new UploadError('storage', `Storage refused the upload (${why}).`, { status, code, retryable: status >= 500 || status === 408 });
}

/**
 * PUTs a blob to a presigned URL with XHR, because fetch() reports no upload progress.
 * Sends exactly `headers`; the browser sets Content-Length from the body, which is what was signed.
 */
export function putBlob(url, headers, blob, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers || {})) xhr.setRequestHeader(name, value);
    const progress = (event) => onProgress?.(event.loaded, event.lengthComputable ? event.total : blob.size);
    xhr.upload.addEventListener('progress', progress);
    xhr.upload.addEventListener('load', progress);
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (fn) => (value) => {
      signal?.removeEventListener('abort', onAbort);
      fn(value);
    };
    xhr.addEventListener('load', settle(() => {
      if (xhr.status >= 200 && xhr.status < 300) resolve({ etag: xhr.getResponseHeader('ETag') || undefined });
      else reject(storageError(xhr.status, xhr.responseText));
    }));
    xhr.addEventListener('error', settle(() => {
      // The browser hides why (CORS refusal, DNS, dropped connection) from scripts; name the likely causes.
      if (!navigator.onLine) reject(new UploadError('offline', 'The connection was lost during the upload. Reconnect, then retry.', { retryable: true }));
      else reject(new UploadError('network', 'The browser could not send the file to storage: the network failed, or storage refused this page (CORS).', { retryable: true }));
    }));
    xhr.addEventListener('timeout', settle(() => reject(new UploadError('network', 'Storage did not answer in time.', { retryable: true }))));
    xhr.addEventListener('abort', settle(() => reject(cancelled())));
    xhr.send(blob);
  });
}

/** After the bytes are in S3, asks the server to check them. Without that route (404 from the app) there is nothing to check. */
async function verify(ctx, key, size, contentType) {
  try {
    await api(ctx, 'POST', `${ctx.uploadsPath}/complete`, { key, size, contentType });
    return true;
  } catch (err) {
    if (err instanceof UploadError && err.status === 404 && err.code !== 'not_found') return false;
    if (err instanceof UploadError && err.kind !== 'cancelled') {
      throw new UploadError('verify', `The file was sent, but the server's check failed: ${err.message}`, { status: err.status, code: err.code });
    }
    throw err;
  }
}

function context(options) {
  if (typeof options?.getToken !== 'function') throw new TypeError('uploadFile() needs options.getToken, an async function returning an access token.');
  return { ...DEFAULTS, ...options };
}

/**
 * Uploads one File. Resolves with `{ key, size, contentType, method, verified }`; rejects with an UploadError.
 * options: getToken (required), uploadsPath, onProgress(loaded, total), onStarted({ key, method }), signal, partConcurrency.
 */
export async function uploadFile(file, options) {
  const ctx = context(options);
  const contentType = file.type || 'application/octet-stream';
  const plan = await api(ctx, 'POST', ctx.uploadsPath, { filename: file.name, contentType, size: file.size });
  ctx.onStarted?.({ key: plan.key, method: plan.method });
  if (plan.method === 'MULTIPART') {
    const entry = { key: plan.key, uploadId: plan.uploadId, size: plan.size, partSize: plan.partSize, partCount: plan.partCount, name: file.name, lastModified: file.lastModified, type: contentType };
    await rememberUpload(entry, file);
    const result = await sendParts(ctx, entry, file, false);
    return { ...result, method: 'MULTIPART', verified: true };
  }
  if (plan.method !== 'PUT') throw new UploadError('server', `The server answered with an unknown upload method "${plan.method}".`);
  await putBlob(plan.url, plan.headers, file, { onProgress: ctx.onProgress, signal: ctx.signal });
  const verified = await verify(ctx, plan.key, file.size, contentType);
  return { key: plan.key, size: file.size, contentType, method: 'PUT', verified };
}

// ---- Multipart: parts in parallel, retries, and resume from what S3 already holds. ----

function byteRange(entry, partNumber) {
  const start = (partNumber - 1) * entry.partSize;
  return [start, Math.min(start + entry.partSize, entry.size)];
}

/**
 * Sends the parts S3 does not have yet, then completes. Progress counts parts already stored as sent.
 * Only a resume asks S3 what it holds: a fresh upload has nothing there yet.
 */
async function sendParts(ctx, entry, file, resuming) {
  const query = `key=${encodeURIComponent(entry.key)}&uploadId=${encodeURIComponent(entry.uploadId)}`;
  const stored = new Map();
  const listed = resuming ? await api(ctx, 'GET', `${ctx.uploadsPath}/multipart/parts?${query}`) : null;
  for (const part of listed?.parts ?? []) {
    const [start, end] = byteRange(entry, part.partNumber);
    // A part of the wrong length (say, from another file) must be sent again.
    if (part.size === end - start) stored.set(part.partNumber, part.size);
  }

  const loaded = new Map(stored);
  const report = () => ctx.onProgress?.([...loaded.values()].reduce((a, b) => a + b, 0), entry.size);
  report();

  const pending = [];
  for (let n = 1; n <= entry.partCount; n += 1) if (!stored.has(n)) pending.push(n);
  // The pool's own signal: the user's cancel, or the first hard failure, stops every part in flight.
  const stop = new AbortController();
  const parentAbort = () => stop.abort();
  ctx.signal?.addEventListener('abort', parentAbort, { once: true });
  const partCtx = { ...ctx, signal: stop.signal };
  const urls = new Map();
  const fetching = new Map();

  /** A fresh URL for a part, fetched in batches with the parts that come next. */
  async function urlFor(partNumber) {
    const cached = urls.get(partNumber);
    if (cached && cached.expiresAt - Date.now() > URL_EXPIRY_MARGIN_MS) return cached.url;
    if (!fetching.has(partNumber)) {
      const from = pending.indexOf(partNumber);
      const batch = [partNumber, ...pending.slice(from + 1).filter((n) => !fetching.has(n) && !urls.has(n))].slice(0, ctx.partBatchSize);
      const body = { key: entry.key, uploadId: entry.uploadId, size: entry.size, partNumbers: batch };
      const request = api(partCtx, 'POST', `${ctx.uploadsPath}/multipart/parts`, body).then((answer) => {
        const expiresAt = Date.parse(answer.expiresAt);
        for (const part of answer.parts) urls.set(part.partNumber, { url: part.url, expiresAt });
      });
      for (const n of batch) fetching.set(n, request);
      request.finally(() => batch.forEach((n) => fetching.get(n) === request && fetching.delete(n))).catch(() => undefined);
    }
    await fetching.get(partNumber);
    const fresh = urls.get(partNumber);
    if (!fresh) throw new UploadError('server', `The server did not sign part ${partNumber}.`);
    return fresh.url;
  }

  async function sendPart(partNumber) {
    const [start, end] = byteRange(entry, partNumber);
    // No type argument: the slice must carry no Content-Type, because none was signed for parts.
    const blob = file.slice(start, end);
    for (let attempt = 1; ; attempt += 1) {
      try {
        const url = await urlFor(partNumber);
        const onProgress = (sent) => {
          loaded.set(partNumber, sent);
          report();
        };
        await putBlob(url, {}, blob, { signal: stop.signal, onProgress });
        loaded.set(partNumber, end - start);
        report();
        return;
      } catch (err) {
        loaded.set(partNumber, 0);
        report();
        if (err.kind === 'cancelled' || stop.signal.aborted) throw cancelled();
        if (err.kind === 'expired') urls.delete(partNumber);
        if (!err.retryable || attempt >= ctx.maxPartAttempts) throw err;
        await sleep(ctx.retryBaseMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2), stop.signal);
      }
    }
  }

  // A small pool: each worker takes the next part until none is left.
  const queue = [...pending];
  let failure;
  const worker = async () => {
    while (queue.length > 0 && !stop.signal.aborted) {
      const partNumber = queue.shift();
      try {
        await sendPart(partNumber);
      } catch (err) {
        failure ??= err;
        stop.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.partConcurrency, pending.length)) }, worker));
  } finally {
    ctx.signal?.removeEventListener('abort', parentAbort);
  }
  if (ctx.signal?.aborted) throw cancelled();
  if (failure) throw failure;

  const done = await api(ctx, 'POST', `${ctx.uploadsPath}/multipart/complete`, { key: entry.key, uploadId: entry.uploadId, size: entry.size });
  await forgetUpload(entry.uploadId);
  return { key: done?.key ?? entry.key, size: done?.size ?? entry.size, contentType: done?.contentType ?? entry.type };
}

/** Resumes a multipart upload left by a reload: asks S3 which parts it has and sends only the rest. */
export async function resumeUpload(entry, file, options) {
  const ctx = context(options);
  if (file.size !== entry.size || file.name !== entry.name || file.lastModified !== entry.lastModified) {
    throw new UploadError('invalid', `That is not the same file: pick "${entry.name}" (${formatBytes(entry.size)}) again.`);
  }
  ctx.onStarted?.({ key: entry.key, method: 'MULTIPART' });
  const result = await sendParts(ctx, entry, file, true);
  return { ...result, method: 'MULTIPART', verified: true };
}

/** Aborts a multipart upload in S3 (freeing its parts) and forgets it here. */
export async function abortUpload(entry, options) {
  // Called right after a cancel: the upload's own (already aborted) signal must not cancel the abort too.
  const ctx = context({ ...options, signal: undefined });
  try {
    await api(ctx, 'DELETE', `${ctx.uploadsPath}/multipart?key=${encodeURIComponent(entry.key)}&uploadId=${encodeURIComponent(entry.uploadId)}`);
  } finally {
    await forgetUpload(entry.uploadId);
  }
}

// ---- Where unfinished multipart uploads are remembered: the plan in localStorage, the File in IndexedDB. ----

function readEntries() {
  try {
    const entries = JSON.parse(localStorage.getItem(RESUME_STORAGE_KEY) || '[]');
    return Array.isArray(entries) ? entries : [];
  } catch {
    return [];
  }
}

function writeEntries(entries) {
  try {
    localStorage.setItem(RESUME_STORAGE_KEY, JSON.stringify(entries));
  } catch {
    // Storage full or disabled (private mode): uploads still work, they just cannot resume after a reload.
  }
}

function openFileStore() {
  return new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') return reject(new Error('no IndexedDB'));
    const request = indexedDB.open('express-direct-upload', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('files');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function fileStore(mode, action) {
  const db = await openFileStore();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction('files', mode);
      const request = action(tx.objectStore('files'));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

async function rememberUpload(entry, file) {
  writeEntries([...readEntries().filter((e) => e.uploadId !== entry.uploadId), entry]);
  // Keeping the File lets a reload resume without asking the user to pick it again; browsers that refuse just ask.
  await fileStore('readwrite', (store) => store.put(file, entry.uploadId)).catch(() => undefined);
}

async function forgetUpload(uploadId) {
  writeEntries(readEntries().filter((e) => e.uploadId !== uploadId));
  await fileStore('readwrite', (store) => store.delete(uploadId)).catch(() => undefined);
}

/** Multipart uploads started on this browser and not finished, each with its File when the browser kept it. */
export async function unfinishedUploads() {
  return Promise.all(
    readEntries().map(async (entry) => ({
      entry,
      file: await fileStore('readonly', (store) => store.get(entry.uploadId)).catch(() => undefined),
    })),
  );
}
