// Digests for the server's `checksum` option: SHA-256 through WebCrypto (in a Worker where a page allows one), CRC-64/NVME through @aws-sdk/crc64-nvme.
import { UploadError } from './errors.js';

/** The algorithms an express-direct-upload server's `checksum` option can ask for. */
export type ChecksumAlgorithm = 'SHA256' | 'CRC64NVME';

/** Computes the base64 digest of a Blob (a whole file, or one multipart part). */
export type DigestFunction = (data: Blob, algorithm: ChecksumAlgorithm) => Promise<string>;

/** Bytes read and fed to CRC-64/NVME at a time: memory stays bounded and the page gets a turn between slices. */
const CRC_SLICE = 1024 * 1024;

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The Worker's whole program. It reads the Blob itself, so neither the read nor the hash runs on the page's thread;
 * it is inline (a blob: URL) so the client needs no extra file to serve.
 */
const WORKER_SOURCE = `self.onmessage = async (event) => {
  const { id, blob } = event.data;
  try {
    const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
    self.postMessage({ id, digest }, [digest]);
  } catch (err) {
    self.postMessage({ id, error: String(err && err.message || err) });
  }
};`;

interface DigestWorker {
  run(blob: Blob): Promise<ArrayBuffer>;
}

/** undefined: not tried yet; null: this page cannot run one (no Worker, or its CSP refuses blob: workers). */
let sharedWorker: DigestWorker | null | undefined;

function startWorker(): DigestWorker | null {
  if (typeof Worker !== 'function' || typeof Blob !== 'function' || typeof URL?.createObjectURL !== 'function') return null;
  let worker: Worker;
  let revoke = (): void => undefined;
  try {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    worker = new Worker(url);
    // The URL must outlive the Worker's asynchronous script load: it is revoked once the Worker answers or fails.
    revoke = () => URL.revokeObjectURL(url);
  } catch {
    return null;
  }
  const waiting = new Map<number, { resolve: (digest: ArrayBuffer) => void; reject: (err: Error) => void }>();
  let next = 0;
  worker.onmessage = (event: MessageEvent<{ id: number; digest?: ArrayBuffer; error?: string }>) => {
    revoke();
    const job = waiting.get(event.data.id);
    waiting.delete(event.data.id);
    if (event.data.digest) job?.resolve(event.data.digest);
    else job?.reject(new Error(event.data.error ?? 'the digest worker failed'));
  };
  // A CSP that forbids blob: workers shows up here, after construction: every job then falls back to the page.
  worker.onerror = (event) => {
    event.preventDefault?.();
    revoke();
    sharedWorker = null;
    worker.terminate();
    for (const job of waiting.values()) job.reject(new Error('the digest worker could not run'));
    waiting.clear();
  };
  return {
    run(blob) {
      return new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, blob });
      });
    },
  };
}

/**
 * SHA-256 of a Blob. WebCrypto hashes asynchronously (Node and browsers do the work off the JavaScript thread); in a
 * page with Worker support the Blob is also read inside a Worker. Without one, or when the Worker fails, it runs here.
 */
async function sha256(data: Blob): Promise<Uint8Array> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new UploadError('SHA-256 checksums need WebCrypto (crypto.subtle): a secure context (https or localhost) in browsers, Node 20 or later.');
  if (sharedWorker === undefined) sharedWorker = startWorker();
  if (sharedWorker) {
    try {
      return new Uint8Array(await sharedWorker.run(data));
    } catch {
      sharedWorker = null;
    }
  }
  return new Uint8Array(await subtle.digest('SHA-256', await data.arrayBuffer()));
}

interface Crc64NvmeHash {
  update(data: Uint8Array): void;
  digest(): Promise<Uint8Array>;
}

/**
 * CRC-64/NVME of a Blob, with @aws-sdk/crc64-nvme (pure JavaScript, browsers included). It is loaded on first use,
 * so clients that never ask for CRC64NVME need not install it; a page without a bundler cannot resolve it and
 * passes its own `digest` instead. It runs on the calling thread, one slice at a time.
 */
async function crc64nvme(data: Blob): Promise<Uint8Array> {
  let Crc64Nvme: new () => Crc64NvmeHash;
  try {
    ({ Crc64Nvme } = await import('@aws-sdk/crc64-nvme'));
  } catch (err) {
    throw new UploadError('CRC64NVME checksums need the package @aws-sdk/crc64-nvme (npm install @aws-sdk/crc64-nvme), or a digest option.', false, err);
  }
  const hash = new Crc64Nvme();
  for (let start = 0; start < data.size; start += CRC_SLICE) {
    hash.update(new Uint8Array(await data.slice(start, start + CRC_SLICE).arrayBuffer()));
  }
  return hash.digest();
}

/** The built-in digests: base64, as S3's `x-amz-checksum-*` headers carry them. */
export const defaultDigest: DigestFunction = async (data, algorithm) => {
  if (algorithm === 'SHA256') return toBase64(await sha256(data));
  if (algorithm === 'CRC64NVME') return toBase64(await crc64nvme(data));
  throw new UploadError(`Unknown checksum algorithm "${String(algorithm)}": use "SHA256" or "CRC64NVME".`);
};
