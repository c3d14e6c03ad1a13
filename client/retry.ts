// Waiting between attempts: exponential backoff with jitter, and a sleep that a cancel cuts short.
import { UploadCancelledError } from './errors.js';

/**
 * Delay before retry number `retry` (1 for the first retry): `base * 2^(retry-1)`, capped at `max`, then scaled by
 * a random factor in [0.5, 1.5) so parts that failed together do not retry in lockstep.
 */
export function backoffDelay(retry: number, base: number, max: number, random: () => number = Math.random): number {
  return Math.min(max, base * 2 ** (retry - 1)) * (0.5 + random());
}

/** Resolves after `ms`, or rejects with UploadCancelledError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new UploadCancelledError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new UploadCancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
