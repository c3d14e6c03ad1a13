// Calls to the upload server's JSON routes (presign, sign parts, list parts, complete, abort), with the bearer token.
import { UploadCancelledError, UploadNetworkError, UploadProblemError } from './errors.js';

/** `POST /uploads` answer for one PUT: send `headers` exactly, with the file as the body. */
export interface PutPlan {
  method: 'PUT';
  url: string;
  key: string;
  headers: Record<string, string>;
  size?: number;
  expiresAt: string;
}

/** `POST /uploads` answer above the server's multipart threshold: an upload started in S3. */
export interface MultipartPlan {
  method: 'MULTIPART';
  key: string;
  uploadId: string;
  size: number;
  partSize: number;
  partCount: number;
}

export type UploadPlan = PutPlan | MultipartPlan;

/** What to presign: the server picks the key from these and the caller's identity. */
export interface PresignRequest {
  contentType: string;
  /** Exact size in bytes; it is signed, so storage refuses any other length. */
  size: number;
  filename?: string;
  /** Base64 MD5 of the body, signed for a single PUT so that storage refuses corrupted bytes. */
  contentMD5?: string;
  /** Base64 digest of the body in the algorithm of the server's `checksum` option; signed for a single PUT. */
  checksum?: string;
}

/** The server's answer once it checked the stored object. */
export interface VerifiedUpload {
  key: string;
  size: number;
  contentType: string;
  etag?: string;
}

/** A part S3 already holds (ListParts). */
export interface StoredPart {
  partNumber: number;
  size: number;
  etag?: string;
}

export interface SignedParts {
  /** `headers`: what to send with the part, e.g. its signed `x-amz-checksum-*`. */
  parts: Array<{ partNumber: number; url: string; size: number; headers?: Record<string, string> }>;
  expiresAt: string;
}

/** A multipart upload, as named to the server's routes. */
export interface MultipartRef {
  key: string;
  uploadId: string;
}

export type TokenGetter = () => Promise<string | undefined> | string | undefined;

/** What every call needs; built once by createUploadClient(). */
export interface ApiSettings {
  /** `baseUrl + path`, e.g. `https://api.example.com/uploads` or `/uploads`. */
  endpoint: string;
  getToken?: TokenGetter;
  fetch: typeof fetch;
}

function retryAfterSeconds(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** One JSON call; resolves with the parsed body (undefined for 204) or throws an UploadError. */
export async function callApi<T>(settings: ApiSettings, method: string, route: string, body?: object, signal?: AbortSignal): Promise<T> {
  const token = await settings.getToken?.();
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers['Content-Type'] = 'application/json';
  const url = `${settings.endpoint}${route}`;
  let response: Response;
  try {
    // no-store: presigned URLs are short-lived credentials and must never come from a cache.
    response = await settings.fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined, signal, cache: 'no-store' });
  } catch (err) {
    if (signal?.aborted) throw new UploadCancelledError();
    throw new UploadNetworkError('server', `Could not reach the upload server (${method} ${url}): ${(err as Error)?.message ?? err}`, err);
  }
  if (response.status === 204) return undefined as T;
  const isJson = /json/i.test(response.headers.get('content-type') ?? '');
  const payload = isJson ? await response.json().catch(() => undefined) : await response.text().then(() => undefined, () => undefined);
  if (!response.ok) {
    const problem = typeof payload === 'object' && payload !== null ? payload : { title: response.statusText || undefined };
    throw new UploadProblemError(response.status, problem, retryAfterSeconds(response.headers.get('retry-after')));
  }
  return payload as T;
}

const refQuery = (ref: MultipartRef) => `key=${encodeURIComponent(ref.key)}&uploadId=${encodeURIComponent(ref.uploadId)}`;

/** The server's routes, one function each (see README "HTTP API"). */
export const routes = {
  presign: (s: ApiSettings, request: PresignRequest, signal?: AbortSignal) => callApi<UploadPlan>(s, 'POST', '', request, signal),
  signParts: (s: ApiSettings, ref: MultipartRef, size: number, partNumbers: number[], signal?: AbortSignal, checksums?: string[]) =>
    callApi<SignedParts>(s, 'POST', '/multipart/parts', { ...ref, size, partNumbers, ...(checksums ? { checksums } : {}) }, signal),
  listParts: (s: ApiSettings, ref: MultipartRef, signal?: AbortSignal) =>
    callApi<{ parts: StoredPart[] }>(s, 'GET', `/multipart/parts?${refQuery(ref)}`, undefined, signal),
  completeMultipart: (s: ApiSettings, ref: MultipartRef, size: number, signal?: AbortSignal) =>
    callApi<VerifiedUpload>(s, 'POST', '/multipart/complete', { ...ref, size }, signal),
  completePut: (s: ApiSettings, check: { key: string; size?: number; contentType?: string }, signal?: AbortSignal) =>
    callApi<VerifiedUpload>(s, 'POST', '/complete', check, signal),
  abortMultipart: (s: ApiSettings, ref: MultipartRef, signal?: AbortSignal) => callApi<void>(s, 'DELETE', `/multipart?${refQuery(ref)}`, undefined, signal),
};
