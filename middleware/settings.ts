// Rules and defaults shared by the middleware, example-server and terraform/: bucket names, key prefixes, URL lifetimes, option-name suggestions.
// It imports nothing, so terraform/config.ts (loaded by example-server at runtime) can use it without the AWS SDK.

/** Start of every object key unless configured. */
export const DEFAULT_KEY_PREFIX = 'uploads/';
/** Shortest lifetime of a presigned URL, in seconds. */
export const MIN_EXPIRES_IN = 1;
/** Longest lifetime of a presigned URL, in seconds: SigV4 refuses anything over a week. */
export const MAX_EXPIRES_IN = 7 * 24 * 60 * 60;
/** Lifetime of a presigned URL unless configured, in seconds. */
export const DEFAULT_EXPIRES_IN = 300;

const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '--x-s3', '--table-s3'];

/**
 * Why `value` cannot name an S3 general purpose bucket, or undefined when it can. S3's rules: 3 to 63 lower-case
 * letters, digits, hyphens and dots, starting and ending with a letter or digit, no `..`, not an IP address, no
 * reserved prefix or suffix.
 *
 * `allowDots: false` also refuses dots. Dots are legal and the middleware signs dotted buckets path-style, so they
 * work with it; terraform/ refuses them for the buckets it creates, because virtual-hosted HTTPS URLs (the form
 * other S3 clients and Transfer Acceleration use) fail TLS on them.
 */
export function bucketNameProblem(value: unknown, { allowDots }: { allowDots: boolean }): string | undefined {
  if (typeof value !== 'string') return 'it must be a string such as "my-app-uploads"';
  if (value.length < 3 || value.length > 63) return 'S3 bucket names are 3 to 63 characters long';
  // Suggest a name that fixes every rule at once, not one that trips the next check.
  const suggestion = value.toLowerCase().replace(allowDots ? /_/g : /[_.]/g, '-');
  if (/[A-Z]/.test(value)) return `S3 bucket names are lowercase; use "${suggestion}"`;
  if (value.includes('_')) return `S3 bucket names cannot contain "_"; use "${suggestion}"`;
  if (!/^[a-z0-9.-]+$/.test(value)) return `use only lowercase letters, digits${allowDots ? ', dots' : ''} and hyphens`;
  if (!/^[a-z0-9].*[a-z0-9]$/.test(value)) return 'it must begin and end with a letter or digit';
  if (value.includes('.')) {
    if (!allowDots) return `dots break HTTPS for virtual-hosted S3 URLs (the certificate does not match); use hyphens, e.g. "${suggestion}"`;
    if (value.includes('..')) return 'it must not contain two adjacent dots';
    if (/^\d+\.\d+\.\d+\.\d+$/.test(value)) return 'it must not be formatted as an IP address';
  }
  for (const prefix of RESERVED_BUCKET_PREFIXES) {
    if (value.startsWith(prefix)) return `the prefix "${prefix}" is reserved by S3; choose another name`;
  }
  for (const suffix of RESERVED_BUCKET_SUFFIXES) {
    if (value.endsWith(suffix)) return `the suffix "${suffix}" is reserved by S3; choose another name`;
  }
  return undefined;
}

/** Characters a key prefix may hold: AWS's "safe characters" for object keys, in `/`-terminated segments. */
const SAFE_PREFIX = /^([A-Za-z0-9!_.*'()-]+\/)*$/;

/**
 * Why `value` cannot start every object key, or undefined when it can. A prefix is folder-like: segments of AWS's
 * safe characters, each ending with `/`, no leading `/`, no `.` or `..` segment. `''` (no prefix) is accepted.
 */
export function keyPrefixProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'it must be a string such as "uploads/"';
  if (value === '') return undefined;
  const suggestion = `${value.replace(/^\/+/, '').replace(/\/*$/, '')}/`;
  if (value.startsWith('/')) return `S3 keys do not start with "/"; use "${suggestion}"`;
  if (!value.endsWith('/')) return `it must end with "/" so that it names a folder; use "${suggestion}"`;
  if (value.includes('//')) return 'use single "/" separators; empty segments are not allowed';
  if (!SAFE_PREFIX.test(value)) return "use only letters, digits and !_.*'()- in each segment";
  if (value.split('/').some((segment) => segment === '.' || segment === '..')) return '"." and ".." segments are not allowed';
  return undefined;
}

/** Levenshtein distance, case-sensitive. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Largest edit distance still worth suggesting, a third of the longer name and at most 3: beyond it a suggestion is
 * more often wrong than right (`colour` is 3 edits from `clock`).
 */
const maxSuggestionDistance = (a: string, b: string): number => Math.min(3, Math.floor(Math.max(a.length, b.length) / 3));

/**
 * The known name an unknown one most likely meant, or undefined. `aliases` (lower-case keys) catch well-known
 * names too far away to be typos (`maxSize` for `maxFileSize`); otherwise the closest name within a few edits, any case.
 */
export function closestName(unknown: string, known: readonly string[], aliases: Readonly<Record<string, string>> = {}): string | undefined {
  const lower = unknown.toLowerCase();
  if (Object.hasOwn(aliases, lower)) return aliases[lower];
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= maxSuggestionDistance(lower, name) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
