// The options of directUpload(), their defaults, and parseOptions(): validated once, when the router is built.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AuthOptions } from 'express-oauth2-jwt-bearer';
import type { Request, RequestHandler } from 'express';
import { DirectUploadOptionsError } from './errors';
import { bucketNameProblem, closestName, DEFAULT_EXPIRES_IN, DEFAULT_KEY_PREFIX, keyPrefixProblem, MAX_EXPIRES_IN, MIN_EXPIRES_IN } from './settings';
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
  /** Lower-case extension without the dot, from the filename or the content type; '' when unknown. */
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
  /**
   * How single uploads are sent when the request does not choose (`method` in `POST /uploads` or `GET /uploads`):
   * `'PUT'` answers a presigned PUT; `'POST'` answers a presigned POST form whose policy pins the key, the stored
   * fields and the size (`content-length-range`). It defaults to `'PUT'`.
   */
  uploadMethod?: 'PUT' | 'POST';
  /** Route path of the presign routes. It defaults to `/uploads`. */
  path?: string;
  /** Multipart uploads for large files; `false` turns them off. */
  multipart?: MultipartOptions | false;
  /** After a failed verification (wrong size or type in the bucket), delete the object. It defaults to true. */
  deleteRejectedUploads?: boolean;
  /** Called once an upload has been verified in the bucket (`POST /uploads/complete`). It defaults to none. */
  onUploaded?: (object: UploadedObject, req: Request) => void | Promise<void>;
  /** Source of the current time, for signing and expiry. It defaults to `() => new Date()`. */
  clock?: () => Date;
  /** Sees every error before it is sent as problem+json, e.g. for logging. It defaults to logging 5xx errors with console.error. */
  onError?: (err: unknown, status: number) => void;
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
  uploadMethod: 'PUT' | 'POST';
  path: string;
  multipart: Required<MultipartOptions> | false;
  deleteRejectedUploads: boolean;
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

function parseS3(s3: DirectUploadOptions['s3'], region: string | undefined): S3Client {
  if (s3 instanceof S3Client) return s3;
  if (s3 !== undefined && (typeof s3 !== 'object' || s3 === null)) fail('s3', 's3 must be an S3Client or an S3ClientConfig object.');
  return new S3Client({
    ...(s3 as S3ClientConfig | undefined),
    region,
    // Without this the SDK signs a CRC32 of an empty body into every presigned PUT, and real uploads fail.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Every option of directUpload(); anything else is a mistake worth naming. */
const OPTION_NAMES = [
  'bucket', 'region', 's3', 'auth', 'requiredScopes', 'owner', 'allowedContentTypes', 'maxFileSize', 'minFileSize',
  'expiresIn', 'keyPrefix', 'key', 'metadata', 'contentDisposition', 'acl', 'allowUnsizedUploads', 'uploadMethod', 'path',
  'multipart', 'deleteRejectedUploads', 'onUploaded', 'clock', 'onError',
] as const satisfies ReadonlyArray<keyof DirectUploadOptions>;
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

  if (o.uploadMethod !== undefined && o.uploadMethod !== 'PUT' && o.uploadMethod !== 'POST') {
    fail('uploadMethod', `"${String(o.uploadMethod)}" is not a valid uploadMethod. Use "PUT" or "POST".`);
  }
  if (o.acl !== undefined && o.acl !== 'public-read') fail('acl', `"${String(o.acl)}" is not a supported acl. Use "public-read" or leave it out for private objects.`);

  return {
    bucket: o.bucket,
    region: (region as string) ?? '',
    s3: parseS3(o.s3, region),
    auth,
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
    uploadMethod: o.uploadMethod ?? 'PUT',
    path,
    multipart,
    deleteRejectedUploads: o.deleteRejectedUploads ?? true,
    onUploaded: checkFunction('onUploaded', o.onUploaded),
    clock: checkFunction('clock', o.clock) ?? (() => new Date()),
    onError: checkFunction('onError', o.onError) ?? defaultOnError,
  };
}
