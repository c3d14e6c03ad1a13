/** The bucket's CORS rule as plain data, so the construct, local S3 stand-ins and tests all apply the same rule. */
// Like config.ts, this module imports no cdktf: example-server and test helpers can use it at runtime.
import { type DeploymentConfig, DeploymentConfigError } from './config';

/**
 * Request headers a browser may send on a presigned PUT: exactly the ones the middleware's `headers` response can list.
 * - `Content-Type`: always sent and signed, so S3 rejects another type; a non-form type needs a CORS preflight.
 * - `Content-Disposition`: sent with the `contentDisposition` option, and for script-capable types (`attachment`).
 * - `Content-MD5`: sent when the client asked for an integrity check; S3 verifies the body against it.
 * - `x-amz-acl`: always sent, signed (`private`, or `public-read`), so a URL holder cannot choose another ACL.
 * - `If-None-Match`: always sent, signed as `*`, so the URL cannot replace an object once it is there.
 * - `x-amz-meta-*`: metadata from the `metadata` option travels as signed headers.
 * - `x-amz-checksum-sha256`, `x-amz-checksum-crc64nvme`: sent when the middleware's `checksum` option is on; S3
 *   verifies the body (or part) against the signed digest. Allowing them costs nothing when the option is off.
 * Not listed: `Content-Length` (the browser sets it itself), and `Cache-Control`/`Pragma`, which the browser adds
 * itself to a conditional request without a preflight.
 */
export const DEFAULT_ALLOWED_HEADERS: readonly string[] = Object.freeze([
  'Content-Type',
  'Content-Disposition',
  'Content-MD5',
  'x-amz-acl',
  'If-None-Match',
  'x-amz-meta-*',
  'x-amz-checksum-sha256',
  'x-amz-checksum-crc64nvme',
]);

/** Seconds a browser may cache a CORS preflight: fewer OPTIONS round trips per upload, and per multipart part. */
export const DEFAULT_CORS_MAX_AGE_SECONDS = 3000;

/** One CORS rule, with the field names of cdktf's `corsRule` (capitalise them for the AWS SDK's `CORSRule`). */
export interface UploadCorsRule {
  id: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number;
}

export interface UploadCorsOptions {
  /** CORS allowed request headers. It defaults to {@link DEFAULT_ALLOWED_HEADERS}. */
  readonly allowedHeaders?: readonly string[];
  /** CORS preflight cache time in seconds. It defaults to 3000. */
  readonly corsMaxAgeSeconds?: number;
}

/**
 * The CORS rule for a validated config.
 * Browsers only PUT: a single upload and each multipart part are presigned PUTs. Create, Complete, Abort and
 * ListParts are made by the server, which CORS does not apply to. GET/HEAD are added only for public-read objects,
 * so pages on the allowed origins can fetch() a preview; <img src> needs no CORS at all.
 */
export function uploadCorsRule(config: DeploymentConfig, options: UploadCorsOptions = {}): UploadCorsRule {
  return {
    id: 'direct-upload',
    allowedOrigins: [...config.allowedOrigins],
    allowedMethods: config.publicRead ? ['PUT', 'GET', 'HEAD'] : ['PUT'],
    allowedHeaders: [...checkAllowedHeaders(options.allowedHeaders ?? DEFAULT_ALLOWED_HEADERS)],
    // Multipart clients read each part's ETag, which JavaScript can see only if it is exposed.
    exposeHeaders: ['ETag'],
    maxAgeSeconds: checkMaxAge(options.corsMaxAgeSeconds ?? DEFAULT_CORS_MAX_AGE_SECONDS),
  };
}

/** The same rule with the AWS SDK's field names (`CORSRule` of `PutBucketCorsCommand`), for local buckets and tests. */
export function sdkCorsRule(rule: UploadCorsRule): {
  ID: string;
  AllowedOrigins: string[];
  AllowedMethods: string[];
  AllowedHeaders: string[];
  ExposeHeaders: string[];
  MaxAgeSeconds: number;
} {
  return {
    ID: rule.id,
    AllowedOrigins: rule.allowedOrigins,
    AllowedMethods: rule.allowedMethods,
    AllowedHeaders: rule.allowedHeaders,
    ExposeHeaders: rule.exposeHeaders,
    MaxAgeSeconds: rule.maxAgeSeconds,
  };
}

function checkAllowedHeaders(value: readonly string[]): readonly string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((h) => typeof h !== 'string' || h.trim() === '')) {
    throw new DeploymentConfigError(
      'allowedHeaders',
      `Invalid allowedHeaders ${JSON.stringify(value)}: list the request headers browsers send, e.g. ${JSON.stringify(DEFAULT_ALLOWED_HEADERS)}.`,
    );
  }
  if (!value.some((h) => h.toLowerCase() === 'content-type' || h === '*')) {
    throw new DeploymentConfigError(
      'allowedHeaders',
      'Invalid allowedHeaders: it must include "Content-Type", which every presigned PUT from this middleware sends.',
    );
  }
  return value;
}

function checkMaxAge(value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new DeploymentConfigError('corsMaxAgeSeconds', `Invalid corsMaxAgeSeconds ${JSON.stringify(value)}: use a whole number of seconds, such as 3000.`);
  }
  return value;
}
