// The options of directUpload(), their defaults, and parseOptions(): validated once, when the router is built.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AuthOptions } from 'express-oauth2-jwt-bearer';
import type { Request, RequestHandler } from 'express';
import { DirectUploadOptionsError } from './errors';
import { bucketNameProblem, closestName, DEFAULT_EXPIRES_IN, DEFAULT_KEY_PREFIX, keyPrefixProblem, MAX_EXPIRES_IN, MIN_EXPIRES_IN } from './settings';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from './upload/checksum';
import { parseContentTypePattern, type ContentTypePattern } from './upload/content-types';
import { MAX_OBJECT_SIZE, MAX_PARTS, MIN_PART_SIZE, MAX_PART_SIZE, MAX_SINGLE_PUT_SIZE } from './upload/parts';

/** What the `key` hook is told about an upload. */
export interface KeyContext {
  /** The caller's identity (JWT `sub`, or what `owner` returned). */
  owner: string;
  /** The folder every key of this caller must start with: `keyPrefix` plus a hash of `owner`. */
  ownerPrefix: string;
  /** A fresh random UUID v4. */
  uuid: string;
  /** Lower-case extension without the dot, from the content type (never the client's filename); '' when unknown. */
  extension: string;
  filename?: string;
  contentType: string;
  size?: number;
  req: Request;
}

/** What the `onUploaded` hook is told once an upload has been checked in the bucket. */
export interface UploadedObject {
  key: string;
  bucket: string;
  size: number;
  contentType: string;
  etag?: string;
  owner: string;
}

/** What the `quarantine.scan` hook is told: the upload, verified, still under the incoming prefix. */
export interface QuarantinedObject extends UploadedObject {
  /** The key it will have once released (also `key`). */
  key: string;
  /** Where it is now: the quarantine prefix plus `key`. */
  incomingKey: string;
}

/** A scan's answer: `clean` releases the upload, `infected` deletes it, `pending` asks the client to complete again later. */
export type ScanVerdict = 'clean' | 'infected' | 'pending';

/** Uploads land under an incoming prefix, and reach their key only once verified (and scanned). */
export interface QuarantineOptions {
  /**
   * Where uploads land until `complete` releases them: this prefix plus the key they will have, so the owner's
   * folder is kept. It must not contain `keyPrefix`'s keys (a lifecycle rule expires what is left here). It defaults to `incoming/`.
   */
  prefix?: string;
  /**
   * Looks at a verified upload before it is released, e.g. a malware scanner's result (docs/deploy.md). Throwing
   * is a 500 and leaves the upload in quarantine for a retry. It defaults to none (verified uploads are released).
   */
  scan?: (object: QuarantinedObject, req: Request) => ScanVerdict | Promise<ScanVerdict>;
}

export interface DirectUploadOptions {
  /** Name of the S3 bucket that receives uploads. Required. */
  bucket: string;
  /** AWS region of the bucket. It defaults to the S3 client's region, then to `AWS_REGION`; otherwise construction fails. */
  region?: string;
  /**
   * An `S3Client` to use as is, or the configuration of one to build (`endpoint`, `forcePathStyle`, `credentials`...).
   * Checksums are only computed when S3 requires them, so presigned URLs carry no `x-amz-checksum-*`.
   * It defaults to `{}` (the AWS SDK's default credential chain).
   */
  s3?: S3Client | S3ClientConfig;
  /**
   * How callers are authenticated: options for express-oauth2-jwt-bearer's `auth()` (at least `issuerBaseURL` or
   * `issuer` + `jwksUri`, and `audience`), your own Express handler that authenticates and sets `req.auth`,
   * or `false` to turn authentication off (then `owner` is required). Required: there is no default.
   */
  auth: AuthOptions | RequestHandler | false;
  /**
   * Deadline in ms for each step of authentication that asks the identity provider (discovery, then the JWKS);
   * a request waits at most this long for them, then gets `503 auth_unavailable` with `Retry-After`. A failed or
   * timed-out fetch is not cached: the next request tries again. Unused with `secret`, `publicKey`, or your own
   * `auth` handler. It defaults to 5000.
   */
  authTimeout?: number;
  /**
   * Deadlines in ms of the server's own S3 calls (complete, multipart start/list/abort/complete), on the S3 client
   * built from `s3`: `connectionTimeout` to open a connection, and `requestTimeout` for a whole call, retries
   * included. Past them: `503 storage_unavailable` with `Retry-After`. An injected `S3Client` is used as is, with
   * its own timeouts, so this option cannot be combined with one. It defaults to `{ connectionTimeout: 3000, requestTimeout: 10000 }`.
   */
  s3Timeouts?: S3Timeouts;
  /**
   * Deadline in ms to receive a route's whole JSON body once its headers are in; a body that stops arriving gets
   * `408 request_timeout` and the connection is closed. It defaults to 10000.
   */
  bodyTimeout?: number;
  /** Scopes the token must all carry (checked after authentication, 403 otherwise). It defaults to none. */
  requiredScopes?: string[];
  /** Returns the caller's identity. It defaults to the JWT `sub` claim (`req.auth.payload.sub`). */
  owner?: (req: Request) => string | undefined;
  /** Content types clients may upload: exact (`image/png`) or wildcards (`image/*`). It defaults to JPEG, PNG, GIF and WebP images. */
  allowedContentTypes?: string[];
  /** Largest upload in bytes. It defaults to 10 MiB. */
  maxFileSize?: number;
  /** Smallest upload in bytes. It defaults to 1 (empty files are refused). */
  minFileSize?: number;
  /** Lifetime of presigned URLs in seconds, 1 to 604800 (7 days). It defaults to 300. */
  expiresIn?: number;
  /** Start of every object key; must end with `/`. It defaults to `uploads/`. */
  keyPrefix?: string;
  /**
   * Chooses the object key. Its result must start with `ctx.ownerPrefix`, so ownership checks keep working.
   * It defaults to `${ownerPrefix}${uuid}.${extension}`.
   */
  key?: (ctx: KeyContext) => string;
  /** User metadata to store with the object (`x-amz-meta-*`), signed into the URL. It defaults to none. */
  metadata?: (ctx: KeyContext) => Record<string, string>;
  /** Store `Content-Disposition: attachment; filename=...` so downloads keep the user's name. It defaults to false. */
  contentDisposition?: boolean;
  /** Canned ACL `public-read` for each upload. The bucket must allow ACLs (see terraform `publicRead`). It defaults to private (no ACL). */
  acl?: 'public-read';
  /**
   * Allow a `GET /uploads` without `size`. The URL then does not sign Content-Length, so S3 accepts any size
   * up to 5 GiB: only turn this on for trusted callers. It defaults to false.
   */
  allowUnsizedUploads?: boolean;
  /** Route path of the presign routes. It defaults to `/uploads`. */
  path?: string;
  /** Multipart uploads for large files; `false` turns them off. */
  multipart?: MultipartOptions | false;
  /** After a failed verification (wrong size or type in the bucket), delete the object. It defaults to true. */
  deleteRejectedUploads?: boolean;
  /**
   * End-to-end integrity beyond MD5: clients send the base64 digest of the file (`checksum`), or of each multipart
   * part (`checksums`), and the server signs it as the `x-amz-checksum-sha256` / `x-amz-checksum-crc64nvme` header
   * the client must send, so S3 refuses other bytes. A request without a digest is then a 400. Multipart uploads
   * declare the algorithm when they start. It defaults to off (no `x-amz-checksum-*` anywhere).
   */
  checksum?: ChecksumAlgorithm;
  /**
   * Quarantine for scanning: presigned uploads land under `prefix` (`incoming/` plus their key), and `complete`
   * moves a verified upload to its key (CopyObject, then DeleteObject), after the `scan` hook if there is one.
   * `true` uses the defaults. Objects are at most 5 GiB then (one CopyObject). It defaults to off.
   */
  quarantine?: QuarantineOptions | boolean;
  /** Called once an upload has been verified in the bucket (`POST /uploads/complete`). It defaults to none. */
  onUploaded?: (object: UploadedObject, req: Request) => void | Promise<void>;
  /** Source of the current time, for signing and expiry. It defaults to `() => new Date()`. */
  clock?: () => Date;
  /** Sees every error before it is sent as problem+json, e.g. for logging. It defaults to logging 5xx errors with console.error. */
  onError?: (err: unknown, status: number) => void;
}

/** Deadlines of the server's own S3 calls, in ms. */
export interface S3Timeouts {
  /** To open a connection to S3. It defaults to 3000. */
  connectionTimeout?: number;
  /** For one whole S3 call, retries included. It defaults to 10000. */
  requestTimeout?: number;
}

export interface MultipartOptions {
  /** Declared sizes above this many bytes use multipart. It defaults to 100 MiB. */
  threshold?: number;
  /** Preferred part size in bytes, at least 5 MiB; grown when needed to stay within 10,000 parts. It defaults to 8 MiB. */
  partSize?: number;
  /** Most part URLs signed in one request. It defaults to 100. */
  maxPartsPerRequest?: number;
}

/** The fully populated, validated configuration that the router is built from. */
export interface Configuration {
  bucket: string;
  region: string;
  s3: S3Client;
  auth: AuthOptions | RequestHandler | false;
  authTimeout: number;
  /** Undefined for an injected S3Client, whose own timeouts apply. */
  s3Timeouts?: Required<S3Timeouts>;
  bodyTimeout: number;
  requiredScopes: string[];
  owner: (req: Request) => string | undefined;
  allowedContentTypes: ContentTypePattern[];
  maxFileSize: number;
  minFileSize: number;
  expiresIn: number;
  keyPrefix: string;
  key?: (ctx: KeyContext) => string;
  metadata?: (ctx: KeyContext) => Record<string, string>;
  contentDisposition: boolean;
  acl?: 'public-read';
  allowUnsizedUploads: boolean;
  path: string;
  multipart: Required<MultipartOptions> | false;
  deleteRejectedUploads: boolean;
  checksum?: ChecksumAlgorithm;
  quarantine?: { prefix: string; scan?: QuarantineOptions['scan'] };
  onUploaded?: (object: UploadedObject, req: Request) => void | Promise<void>;
  clock: () => Date;
  onError: (err: unknown, status: number) => void;
}

export const DEFAULT_ALLOWED_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
export const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;
export const DEFAULT_MIN_FILE_SIZE = 1;
export const DEFAULT_PATH = '/uploads';
export const DEFAULT_MULTIPART_THRESHOLD = 100 * 1024 * 1024;
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
export const DEFAULT_MAX_PARTS_PER_REQUEST = 100;
export const DEFAULT_AUTH_TIMEOUT = 5000;
export const DEFAULT_S3_CONNECTION_TIMEOUT = 3000;
export const DEFAULT_S3_REQUEST_TIMEOUT = 10_000;
export const DEFAULT_BODY_TIMEOUT = 10_000;
/** Longest deadline any timeout option accepts (10 minutes): beyond it a request is as good as hung. */
const MAX_TIMEOUT = 600_000;

const defaultOwner = (req: Request): string | undefined => {
  const sub = (req as Request & { auth?: { payload?: { sub?: unknown } } }).auth?.payload?.sub;
  return typeof sub === 'string' && sub.length > 0 ? sub : undefined;
};

const defaultOnError = (err: unknown, status: number): void => {
  if (status >= 500) console.error('express-direct-upload:', err);
};

const fail = (option: string, message: string): never => {
  throw new DirectUploadOptionsError(option, message);
};

function checkInteger(option: string, value: unknown, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    fail(option, `${JSON.stringify(value)} is not a valid value for ${option}. Please choose an integer from ${min} to ${max}.`);
  }
  return value as number;
}

function checkFunction<T>(option: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') fail(option, `${option} must be a function, got ${typeof value}.`);
  return value;
}

function parseAuth(auth: DirectUploadOptions['auth'], hasOwner: boolean): Configuration['auth'] {
  if (auth === false) {
    if (!hasOwner) fail('auth', 'auth is false, so there is no JWT to take the owner from. Pass owner: (req) => ... to identify callers.');
    return false;
  }
  if (typeof auth === 'function') return auth;
  if (auth === undefined || auth === null || typeof auth !== 'object') {
    return fail('auth', 'auth is required. Pass { issuerBaseURL, audience } for Auth0, your own handler, or false (explicitly) to turn authentication off.');
  }
  const { issuerBaseURL, issuer, jwksUri, secret, audience } = auth as AuthOptions;
  if (!issuerBaseURL && !(issuer && (jwksUri || secret || (auth as AuthOptions).publicKey))) {
    fail('auth', 'auth needs issuerBaseURL (e.g. "https://YOUR_TENANT.auth0.com/"), or issuer with jwksUri. They are never read from the environment.');
  }
  if (!audience) fail('auth.audience', 'auth.audience is required: the API identifier your tokens are issued for. It is never read from the environment.');
  return auth;
}

function parseS3Timeouts(s3: DirectUploadOptions['s3'], timeouts: S3Timeouts | undefined): Required<S3Timeouts> | undefined {
  if (s3 instanceof S3Client) {
    if (timeouts !== undefined) fail('s3Timeouts', "s3Timeouts cannot apply to an injected S3Client: set connectionTimeout and requestTimeout on its requestHandler (with throwOnRequestTimeout: true), or pass the client's configuration as s3.");
    return undefined;
  }
  const t = timeouts ?? {};
  if (typeof t !== 'object' || t === null) fail('s3Timeouts', 's3Timeouts must be an object such as { connectionTimeout: 3000, requestTimeout: 10000 }.');
  checkKnownOptions(t, ['connectionTimeout', 'requestTimeout'], 's3Timeouts');
  return {
    connectionTimeout: checkInteger('s3Timeouts.connectionTimeout', t.connectionTimeout ?? DEFAULT_S3_CONNECTION_TIMEOUT, 1, MAX_TIMEOUT),
    requestTimeout: checkInteger('s3Timeouts.requestTimeout', t.requestTimeout ?? DEFAULT_S3_REQUEST_TIMEOUT, 1, MAX_TIMEOUT),
  };
}

function parseS3(s3: DirectUploadOptions['s3'], region: string | undefined, timeouts: Required<S3Timeouts> | undefined): S3Client {
  if (s3 instanceof S3Client) return s3;
  if (s3 !== undefined && (typeof s3 !== 'object' || s3 === null)) fail('s3', 's3 must be an S3Client or an S3ClientConfig object.');
  const config = s3 as S3ClientConfig | undefined;
  // The SDK has no default deadline, and a requestTimeout without throwOnRequestTimeout only logs a warning.
  // A requestHandler given as an instance is the caller's own; given as options, ours fill only what it leaves out.
  const handler = config?.requestHandler;
  const requestHandler =
    handler === undefined || (typeof handler === 'object' && handler !== null && !('handle' in handler))
      ? { connectionTimeout: timeouts?.connectionTimeout, requestTimeout: timeouts?.requestTimeout, throwOnRequestTimeout: true, ...(handler as object | undefined) }
      : handler;
  return new S3Client({
    ...config,
    requestHandler,
    region,
    // Without this the SDK signs a CRC32 of an empty body into every presigned PUT, and real uploads fail.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Every option of directUpload(); anything else is a mistake worth naming. */
const OPTION_NAMES = [
  'bucket', 'region', 's3', 'auth', 'authTimeout', 's3Timeouts', 'bodyTimeout', 'requiredScopes', 'owner', 'allowedContentTypes', 'maxFileSize', 'minFileSize',
  'expiresIn', 'keyPrefix', 'key', 'metadata', 'contentDisposition', 'acl', 'allowUnsizedUploads', 'path',
  'multipart', 'deleteRejectedUploads', 'onUploaded', 'clock', 'onError', 'checksum', 'quarantine',
] as const satisfies ReadonlyArray<keyof DirectUploadOptions>;
const QUARANTINE_OPTION_NAMES = ['prefix', 'scan'] as const satisfies ReadonlyArray<keyof QuarantineOptions>;
export const DEFAULT_QUARANTINE_PREFIX = 'incoming/';
const MULTIPART_OPTION_NAMES = ['threshold', 'partSize', 'maxPartsPerRequest'] as const satisfies ReadonlyArray<keyof MultipartOptions>;
/** Names people reach for that are too far from the real one for edit distance to find (lower case). */
const OPTION_ALIASES: Readonly<Record<string, string>> = {
  maxsize: 'maxFileSize',
  maxfilesizebytes: 'maxFileSize',
  minsize: 'minFileSize',
  expiresinseconds: 'expiresIn',
  contenttypes: 'allowedContentTypes',
  allowedtypes: 'allowedContentTypes',
  prefix: 'keyPrefix',
};

/** One check for every unknown option: it names the option it most likely meant, or lists the known ones. */
function checkKnownOptions(options: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const suggestion = closestName(name, known, OPTION_ALIASES);
    const option = where ? `${where}.${suggestion ?? name}` : (suggestion ?? name);
    const unknown = where ? `${where}.${name}` : name;
    fail(option, `Unknown option ${unknown}. ${suggestion ? `Did you mean ${where ? `${where}.` : ''}${suggestion}?` : `Known options: ${known.join(', ')}.`}`);
  }
}

function parseQuarantine(option: DirectUploadOptions['quarantine'], keyPrefix: string, maxFileSize: number): Configuration['quarantine'] {
  if (option === undefined || option === null || option === false) return undefined;
  const q: QuarantineOptions = option === true ? {} : option;
  if (typeof q !== 'object') fail('quarantine', 'quarantine must be an object such as { prefix: "incoming/", scan }, true, or false.');
  checkKnownOptions(q, QUARANTINE_OPTION_NAMES, 'quarantine');
  const prefix = q.prefix ?? DEFAULT_QUARANTINE_PREFIX;
  const problem = prefix === '' ? 'it must not be empty' : keyPrefixProblem(prefix);
  if (problem) fail('quarantine.prefix', `"${String(prefix)}" is not a valid quarantine.prefix: ${problem}. Use a folder such as "incoming/".`);
  // Released keys must never lie under the incoming prefix: its lifecycle rule would expire them.
  if (keyPrefix.startsWith(prefix)) {
    fail('quarantine.prefix', `quarantine.prefix "${prefix}" contains keyPrefix "${keyPrefix}", so released uploads would stay in quarantine. Use a prefix apart from it, such as "incoming/".`);
  }
  if (maxFileSize > MAX_SINGLE_PUT_SIZE) {
    fail('maxFileSize', `maxFileSize ${maxFileSize} is above 5 GiB, the most one CopyObject moves out of quarantine. Lower it to ${MAX_SINGLE_PUT_SIZE} or turn quarantine off.`);
  }
  return { prefix, scan: checkFunction('quarantine.scan', q.scan) };
}

/** Turns user options into a fully populated Configuration, or throws a DirectUploadOptionsError naming the option. */
export function parseOptions(options: DirectUploadOptions, env: NodeJS.ProcessEnv = process.env): Configuration {
  if (typeof options !== 'object' || options === null) fail('options', 'directUpload() needs an options object, e.g. { bucket, auth }.');
  const o = options;
  checkKnownOptions(o, OPTION_NAMES, '');

  if (typeof o.bucket !== 'string' || o.bucket.length === 0) fail('bucket', 'bucket is required: the name of the S3 bucket that receives uploads.');
  // Dotted names are accepted: the signer addresses them path-style, which keeps TLS valid.
  const bucketProblem = bucketNameProblem(o.bucket, { allowDots: true });
  if (bucketProblem) fail('bucket', `"${o.bucket}" is not a valid S3 bucket name: ${bucketProblem}.`);

  const clientRegion = o.s3 instanceof S3Client ? undefined : (o.s3 as S3ClientConfig | undefined)?.region;
  const region = o.region ?? (typeof clientRegion === 'string' ? clientRegion : undefined) ?? env.AWS_REGION;
  if (o.s3 instanceof S3Client) {
    // An injected client knows its own region; it is resolved when signing, and `region` (if given) must agree.
  } else if (typeof region !== 'string' || !/^[a-z0-9-]{1,32}$/.test(region)) {
    fail('region', 'region is required: pass region (e.g. "us-east-1") or set AWS_REGION.');
  }

  const hasOwner = o.owner !== undefined;
  const auth = parseAuth(o.auth, hasOwner);
  const requiredScopes = o.requiredScopes ?? [];
  if (!Array.isArray(requiredScopes) || requiredScopes.some((scope) => typeof scope !== 'string' || !/^\S+$/.test(scope))) {
    fail('requiredScopes', 'requiredScopes must be an array of scope names without spaces, e.g. ["write:uploads"].');
  }

  const allowed = o.allowedContentTypes ?? DEFAULT_ALLOWED_CONTENT_TYPES;
  if (!Array.isArray(allowed) || allowed.length === 0) {
    fail('allowedContentTypes', 'allowedContentTypes must be a non-empty array such as ["image/jpeg", "image/*"].');
  }
  const allowedContentTypes = allowed.map((pattern) => {
    const parsed = parseContentTypePattern(pattern);
    if (!parsed) fail('allowedContentTypes', `"${pattern}" is not a valid content type. Use "type/subtype", "type/*" or "*/*".`);
    return parsed as ContentTypePattern;
  });

  const maxFileSize = checkInteger('maxFileSize', o.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, 1, MAX_OBJECT_SIZE);
  const minFileSize = checkInteger('minFileSize', o.minFileSize ?? DEFAULT_MIN_FILE_SIZE, 0, maxFileSize);
  const expiresIn = checkInteger('expiresIn', o.expiresIn ?? DEFAULT_EXPIRES_IN, MIN_EXPIRES_IN, MAX_EXPIRES_IN);

  const keyPrefix = o.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const prefixProblem = keyPrefixProblem(keyPrefix);
  if (prefixProblem) {
    fail('keyPrefix', `"${keyPrefix}" is not a valid keyPrefix: ${prefixProblem}. Use path segments of letters, digits and !_.*'()- each ending with "/", like "uploads/", or "" for none.`);
  }

  const path = o.path ?? DEFAULT_PATH;
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9/_.-]*$/.test(path) || path.endsWith('/') && path !== '/') {
    fail('path', `"${path}" is not a valid path. Use an absolute route path without a trailing slash, like "/uploads".`);
  }

  let multipart: Configuration['multipart'] = false;
  if (o.multipart !== false) {
    // `true` reads as "on, with the defaults".
    const m: MultipartOptions = o.multipart === undefined || o.multipart === null || (o.multipart as unknown) === true ? {} : o.multipart;
    if (typeof m !== 'object') fail('multipart', 'multipart must be an object such as { threshold, partSize } or false.');
    checkKnownOptions(m, MULTIPART_OPTION_NAMES, 'multipart');
    const partSize = checkInteger('multipart.partSize', m.partSize ?? DEFAULT_PART_SIZE, MIN_PART_SIZE, MAX_PART_SIZE);
    multipart = {
      threshold: checkInteger('multipart.threshold', m.threshold ?? DEFAULT_MULTIPART_THRESHOLD, MIN_PART_SIZE, MAX_SINGLE_PUT_SIZE),
      partSize,
      maxPartsPerRequest: checkInteger('multipart.maxPartsPerRequest', m.maxPartsPerRequest ?? DEFAULT_MAX_PARTS_PER_REQUEST, 1, MAX_PARTS),
    };
  } else if (maxFileSize > MAX_SINGLE_PUT_SIZE) {
    fail('maxFileSize', `maxFileSize ${maxFileSize} is above 5 GiB, the most one PUT can carry. Lower it or enable multipart.`);
  }

  if (o.checksum !== undefined && !CHECKSUM_ALGORITHMS.includes(o.checksum)) {
    const upper = String(o.checksum).toUpperCase().replace(/[^A-Z0-9]/g, '');
    const meant = CHECKSUM_ALGORITHMS.find((name) => name === upper);
    fail('checksum', `${JSON.stringify(o.checksum)} is not a supported checksum. ${meant ? `Did you mean "${meant}"?` : `Use ${CHECKSUM_ALGORITHMS.map((a) => `"${a}"`).join(' or ')}, or leave it out.`}`);
  }

  const quarantine = parseQuarantine(o.quarantine, keyPrefix, maxFileSize);

  if (o.acl !== undefined && o.acl !== 'public-read') fail('acl', `"${String(o.acl)}" is not a supported acl. Use "public-read" or leave it out for private objects.`);

  const s3Timeouts = parseS3Timeouts(o.s3, o.s3Timeouts);
  return {
    bucket: o.bucket,
    region: (region as string) ?? '',
    s3: parseS3(o.s3, region, s3Timeouts),
    auth,
    authTimeout: checkInteger('authTimeout', o.authTimeout ?? DEFAULT_AUTH_TIMEOUT, 1, MAX_TIMEOUT),
    s3Timeouts,
    bodyTimeout: checkInteger('bodyTimeout', o.bodyTimeout ?? DEFAULT_BODY_TIMEOUT, 1, MAX_TIMEOUT),
    requiredScopes,
    owner: checkFunction('owner', o.owner) ?? defaultOwner,
    allowedContentTypes,
    maxFileSize,
    minFileSize,
    expiresIn,
    keyPrefix,
    key: checkFunction('key', o.key),
    metadata: checkFunction('metadata', o.metadata),
    contentDisposition: o.contentDisposition ?? false,
    acl: o.acl,
    allowUnsizedUploads: o.allowUnsizedUploads ?? false,
    path,
    multipart,
    deleteRejectedUploads: o.deleteRejectedUploads ?? true,
    checksum: o.checksum,
    quarantine,
    onUploaded: checkFunction('onUploaded', o.onUploaded),
    clock: checkFunction('clock', o.clock) ?? (() => new Date()),
    onError: checkFunction('onError', o.onError) ?? defaultOnError,
  };
}
