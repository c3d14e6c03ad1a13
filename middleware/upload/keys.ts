// Object-key naming: the server derives every key from the caller's identity; pure functions, no I/O.
import { createHash } from 'node:crypto';

/** Characters S3 keys may safely hold without encoding surprises (AWS "safe characters" plus `/`). */
const SAFE_KEY = /^[A-Za-z0-9!_.*'()\/-]+$/;
/** S3's limit on key length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * The folder that holds one caller's objects: `keyPrefix` plus a hash of the identity.
 * Hashing makes any `sub` (with `|`, `@`, unicode...) path-safe, keeps identities out of URLs,
 * and gives two different users two disjoint folders.
 */
export function ownerPrefix(keyPrefix: string, owner: string): string {
  const digest = createHash('sha256').update(owner, 'utf8').digest('hex').slice(0, 32);
  return `${keyPrefix}${digest}/`;
}

/** The default key: `<ownerPrefix><uuid>[.<extension>]`. */
export function defaultObjectKey(prefix: string, uuid: string, extension: string): string {
  return extension ? `${prefix}${uuid}.${extension}` : `${prefix}${uuid}`;
}

/** Why a key cannot be used, or undefined when it is fine. */
export function keyProblem(key: unknown, prefix: string): string | undefined {
  if (typeof key !== 'string') return 'the key must be a string';
  if (!key.startsWith(prefix) || key.length === prefix.length) return `the key must start with the caller's prefix "${prefix}"`;
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `the key is longer than ${MAX_KEY_BYTES} bytes`;
  if (!SAFE_KEY.test(key)) return "the key may only hold letters, digits, / and !_.*'()-";
  if (key.split('/').some((segment) => segment === '.' || segment === '..') || key.includes('//')) return 'the key has an empty, "." or ".." segment';
  return undefined;
}

/** True when the key lies in the caller's folder; used by every route that names an existing object. */
export function isOwnedBy(key: string, prefix: string): boolean {
  return key.startsWith(prefix) && keyProblem(key, prefix) === undefined;
}
