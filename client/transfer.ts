// Sends bytes to a presigned URL: XMLHttpRequest where there is one (upload progress), fetch otherwise (Node).
import { UploadCancelledError, UploadNetworkError, UploadStorageError } from './errors.js';

export interface TransferOptions {
  /** Called with bytes sent so far and the total. */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
  /** Makes the XMLHttpRequest; null sends with `fetch` (no progress events until the end). */
  xhr: (() => XMLHttpRequest) | null;
  fetch: typeof fetch;
}

const NETWORK_MESSAGE = 'Could not send the file to storage: the network failed, or storage refused this origin (CORS).';

/**
 * PUTs `body` to `url` with exactly `headers`: Content-Length comes from the body, which is the length that was
 * signed. Resolves with the ETag storage returned (readable only when the bucket's CORS exposes it).
 */
export function putBlob(url: string, headers: Record<string, string>, body: Blob, options: TransferOptions): Promise<{ etag?: string }> {
  return options.xhr ? putWithXhr(url, headers, body, options, options.xhr) : putWithFetch(url, headers, body, options);
}

function putWithXhr(url: string, headers: Record<string, string>, body: Blob, options: TransferOptions, makeXhr: () => XMLHttpRequest): Promise<{ etag?: string }> {
  const { signal, onProgress } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new UploadCancelledError());
    const xhr = makeXhr();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    const progress = (event: ProgressEvent) => onProgress?.(event.loaded, event.lengthComputable ? event.total : body.size);
    xhr.upload?.addEventListener('progress', progress);
    xhr.upload?.addEventListener('load', progress);
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (finish: () => void) => () => {
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    xhr.addEventListener('load', settle(() => {
      if (xhr.status >= 200 && xhr.status < 300) resolve({ etag: xhr.getResponseHeader('ETag') ?? undefined });
      else reject(UploadStorageError.fromResponse(xhr.status, typeof xhr.responseText === 'string' ? xhr.responseText : ''));
    }));
    // Browsers hide why (CORS refusal, DNS, dropped connection) from scripts.
    xhr.addEventListener('error', settle(() => reject(new UploadNetworkError('storage', NETWORK_MESSAGE))));
    xhr.addEventListener('timeout', settle(() => reject(new UploadNetworkError('storage', 'Storage did not answer in time.'))));
    xhr.addEventListener('abort', settle(() => reject(new UploadCancelledError())));
    xhr.send(body);
  });
}

async function putWithFetch(url: string, headers: Record<string, string>, body: Blob, options: TransferOptions): Promise<{ etag?: string }> {
  const { signal, onProgress } = options;
  if (signal?.aborted) throw new UploadCancelledError();
  onProgress?.(0, body.size);
  let response: Response;
  try {
    response = await options.fetch(url, { method: 'PUT', headers, body, signal });
  } catch (err) {
    if (signal?.aborted) throw new UploadCancelledError();
    throw new UploadNetworkError('storage', `${NETWORK_MESSAGE} ${(err as Error)?.message ?? ''}`.trim(), err);
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) throw UploadStorageError.fromResponse(response.status, text);
  onProgress?.(body.size, body.size);
  return { etag: response.headers.get('ETag') ?? undefined };
}
