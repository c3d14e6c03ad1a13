// Local SigV4 presigning of S3 requests: no network, no SDK command stack, two hash operations per URL.
import crypto, { createHash, createHmac } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { StorageUnavailableError } from '../errors';
import { MAX_EXPIRES_IN } from '../settings';

/** RFC 3986 encoding, as SigV4 canonicalises: everything but unreserved characters. */
export function strictEncode(value: string): string {
  const encoded = encodeURIComponent(value);
  // encodeURIComponent leaves !'()* alone; SigV4 wants them encoded. Most values have none, so skip the regex then.
  return /[!'()*]/.test(encoded) ? encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : encoded;
}

/** Where requests for the bucket go: resolved once from the client's configuration. */
interface BucketTarget {
  protocol: string;
  hostname: string;
  port?: number;
  /** Path up to and including the `/` before the key. */
  basePath: string;
  region: string;
}

async function resolveTarget(client: S3Client, bucket: string): Promise<BucketTarget> {
  const config = client.config;
  const region = await config.region();
  // Dotted bucket names break TLS on virtual-hosted AWS endpoints, so they go path-style there, as in the SDK.
  const pathStyle = config.forcePathStyle === true || bucket.includes('.');
  if (config.isCustomEndpoint && config.endpoint) {
    const endpoint = await config.endpoint();
    const base = (endpoint.path ?? '').replace(/\/+$/, '');
    return pathStyle
      ? { protocol: endpoint.protocol, hostname: endpoint.hostname, port: endpoint.port, basePath: `${base}/${bucket}/`, region }
      : { protocol: endpoint.protocol, hostname: `${bucket}.${endpoint.hostname}`, port: endpoint.port, basePath: `${base}/`, region };
  }
  const dualstack = (await config.useDualstackEndpoint()) === true;
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  if (config.useAccelerateEndpoint && !bucket.includes('.')) {
    return { protocol: 'https:', hostname: `${bucket}.s3-accelerate${dualstack ? '.dualstack' : ''}.${domain}`, basePath: '/', region };
  }
  const host = `s3.${dualstack ? 'dualstack.' : ''}${region}.${domain}`;
  return pathStyle
    ? { protocol: 'https:', hostname: host, basePath: `/${bucket}/`, region }
    : { protocol: 'https:', hostname: `${bucket}.${host}`, basePath: '/', region };
}

/** What the routes need from a signer: the bucket it signs for, and one signed URL per request. A fake for tests implements this. */
export interface UrlSigner {
  readonly bucket: string;
  presign(input: PresignInput): Promise<string>;
}

export interface PresignInput {
  method: 'PUT' | 'GET' | 'HEAD' | 'DELETE';
  key: string;
  /**
   * Lower-case header names; every one is signed and stays a header the client must send. None moves into the query
   * string: S3 (RGW among them) lets a header of the same name add to a query-string `x-amz-meta-*` value, and
   * RGW ignores a query-string `x-amz-acl`.
   */
  headers?: Record<string, string>;
  /** Sub-resource parameters, e.g. `partNumber` and `uploadId`. */
  query?: Record<string, string>;
  expiresIn: number;
  signingDate: Date;
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Presigned S3 requests never sign the payload: the body is whatever the client streams. */
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/**
 * Headers SigV4 implementations (the AWS SDK's among them) never sign, because proxies and browsers change them.
 * Kept identical to the SDK's list so that a URL signs exactly what the SDK's signer would.
 */
const UNSIGNABLE_HEADERS = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);
/** A key whose path segments are all unreserved characters, so encoding would not change it. */
const PLAIN_PATH = /^[A-Za-z0-9._~\/-]*$/;
/** A header value SigV4 would change: line breaks, tabs, runs of spaces, or a space at either end. Most have none. */
const NEEDS_CANONICAL_SPACING = /[\r\n\t]| {2}|^ | $/;
/** Headers the signer itself produces; a caller's value would contradict the signature. */
const GENERATED_HEADERS = new Set(['authorization', 'x-amz-date', 'date']);

/** One-shot crypto.hash (Node ≥ 20.12) hashes without building a Hash object; older Nodes fall back to createHash. */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex = oneShotHash
  ? (data: string): string => oneShotHash('sha256', data, 'hex')
  : (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** `20261125T120000Z` and `20261125` for a signing date. */
function amzDates(date: Date): { longDate: string; shortDate: string } {
  const iso = date.toISOString();
  // toISOString is always `YYYY-MM-DDTHH:MM:SS.sssZ` for dates SigV4 can sign (years 0000-9999).
  const longDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return { longDate, shortDate: longDate.slice(0, 8) };
}

/**
 * Signs S3 URLs for one bucket. Built once per router; `presign()` is the hot path.
 *
 * It implements SigV4 query signing directly rather than through the SDK's SignatureV4, so a URL costs two hashes
 * and no request cloning (docs/performance.md compares the two). The canonical request is the same one SignatureV4
 * builds with every header unhoisted (same unsignable headers, same encoding), so the signatures match;
 * test/unit/presigner.test.ts checks that against the SDK.
 */
export class Presigner implements UrlSigner {
  private readonly target: Promise<BucketTarget>;
  private scope?: { accessKeyId: string; shortDate: string; region: string; scope: string; credential: string };
  /** The last signing date's strings, per whole second: under load, many URLs are signed within one second. */
  private dates?: { second: number; longDate: string; shortDate: string };
  /** The signing key depends only on the day, the region and the secret: derived once per day per credential. */
  private signingKey?: { shortDate: string; region: string; secretAccessKey: string; key: Buffer };

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {
    this.target = resolveTarget(client, bucket);
    // Resolution errors surface on the first presign, not as an unhandled rejection at start-up.
    this.target.catch(() => undefined);
  }

  /** The current credentials, through the client's provider, which caches and refreshes them. */
  private async credentials(): Promise<Credentials> {
    const provider = this.client.config.credentials as unknown;
    const credentials = (typeof provider === 'function' ? await (provider as () => Promise<Credentials>)() : provider) as Credentials | undefined;
    if (typeof credentials !== 'object' || credentials === null || typeof credentials.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string') {
      throw new Error('Resolved credential object is not valid');
    }
    return credentials;
  }

  private keyFor(credentials: Credentials, shortDate: string, region: string): Buffer {
    const cached = this.signingKey;
    if (cached && cached.shortDate === shortDate && cached.region === region && cached.secretAccessKey === credentials.secretAccessKey) {
      return cached.key;
    }
    const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, shortDate), region), 's3'), 'aws4_request');
    this.signingKey = { shortDate, region, secretAccessKey: credentials.secretAccessKey, key };
    return key;
  }

  /** The credential scope and its encoded `X-Amz-Credential` value change once a day: built once, not per URL. */
  private scopeFor(accessKeyId: string, shortDate: string, region: string): { scope: string; credential: string } {
    const cached = this.scope;
    if (cached && cached.accessKeyId === accessKeyId && cached.shortDate === shortDate && cached.region === region) return cached;
    const scope = `${shortDate}/${region}/s3/aws4_request`;
    this.scope = { accessKeyId, shortDate, region, scope, credential: strictEncode(`${accessKeyId}/${scope}`) };
    return this.scope;
  }

  private datesFor(date: Date): { longDate: string; shortDate: string } {
    const second = Math.floor(date.getTime() / 1000);
    if (this.dates?.second !== second) this.dates = { second, ...amzDates(date) };
    return this.dates;
  }

  /** Signs a request and returns its URL. Every given header is signed, so S3 refuses a request that sends another value. */
  async presign(input: PresignInput): Promise<string> {
    let target: BucketTarget;
    let credentials: Credentials;
    try {
      target = await this.target;
      credentials = await this.credentials();
    } catch (err) {
      // A credential provider that fails (an expired role, an unreachable metadata service) is an outage of storage, not a bug.
      throw new StorageUnavailableError('The storage credentials or endpoint could not be resolved to sign this upload. Try again later.', { cause: err });
    }
    if (input.expiresIn > MAX_EXPIRES_IN) {
      throw new Error('Signature version 4 presigned URLs must have an expiration date less than one week in the future');
    }
    const { longDate, shortDate } = this.datesFor(input.signingDate);
    const { scope, credential } = this.scopeFor(credentials.accessKeyId, shortDate, target.region);
    const host = target.port ? `${target.hostname}:${target.port}` : target.hostname;

    // Signed headers: host plus the caller's, all sent as headers.
    const query: Array<[string, string]> = [];
    const headers: Array<[string, string]> = [['host', host]];
    for (const name in input.headers) {
      const value = input.headers[name];
      if (value === undefined || value === null) continue;
      const lower = name.toLowerCase();
      // The signer's own: host is the target's, the payload is always unsigned.
      if (GENERATED_HEADERS.has(lower) || lower === 'host' || lower === 'x-amz-content-sha256') continue;
      if (UNSIGNABLE_HEADERS.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) continue;
      // SigV4 canonical value: line breaks and runs of blanks become one space, trimmed.
      headers.push([lower, NEEDS_CANONICAL_SPACING.test(value) ? value.replace(/[\r\n]/g, ' ').replace(/[ \t]+/g, ' ').replace(/^ | $/g, '') : value]);
    }
    headers.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const signedHeaders = headers.map((header) => header[0]).join(';');

    for (const name in input.query) {
      const value = input.query[name];
      if (value !== undefined && value !== null && name.toLowerCase() !== 'x-amz-signature') query.push([strictEncode(name), strictEncode(value)]);
    }
    query.push(
      ['x-amz-content-sha256', UNSIGNED_PAYLOAD],
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Credential', credential],
      ['X-Amz-Date', longDate],
      ['X-Amz-Expires', String(input.expiresIn)],
      ['X-Amz-SignedHeaders', strictEncode(signedHeaders)],
    );
    if (credentials.sessionToken) query.push(['X-Amz-Security-Token', strictEncode(credentials.sessionToken)]);
    // Sorted by encoded name, code unit order, as SigV4 (and S3's check) canonicalises the query string.
    query.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    let canonicalQuery = '';
    for (const [name, value] of query) canonicalQuery += `${canonicalQuery ? '&' : ''}${name}=${value}`;

    // Keys the server names itself are plain (letters, digits, -, ., /): those need no per-segment encoding.
    const path = target.basePath + (PLAIN_PATH.test(input.key) ? input.key : input.key.split('/').map(strictEncode).join('/'));
    let canonicalHeaders = '';
    for (const [name, value] of headers) canonicalHeaders += `${name}:${value}\n`;
    const canonicalRequest = `${input.method}\n${path}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\n${UNSIGNED_PAYLOAD}`;
    const stringToSign = `AWS4-HMAC-SHA256\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', this.keyFor(credentials, shortDate, target.region)).update(stringToSign, 'utf8').digest('hex');
    return `${target.protocol}//${host}${path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
  }
}
