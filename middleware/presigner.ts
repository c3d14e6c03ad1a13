// Local SigV4 presigning of S3 requests on a prepared request: no network, no SDK command stack per URL.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';

/** SHA-256 (or HMAC-SHA-256 with a secret) over node:crypto, in the shape SignatureV4 expects. */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret?: Uint8Array | string;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : new Uint8Array(ArrayBuffer.isView(secret) ? secret.buffer.slice(secret.byteOffset, secret.byteOffset + secret.byteLength) : secret);
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: Uint8Array | string): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.create();
  }
}

/** RFC 3986 encoding, as SigV4 canonicalises: everything but unreserved characters. */
export function strictEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
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

export interface PresignInput {
  method: 'PUT' | 'GET' | 'HEAD' | 'DELETE';
  key: string;
  /** Lower-case header names; every one is signed, and `x-amz-*` ones move into the query string. */
  headers?: Record<string, string>;
  /** Sub-resource parameters, e.g. `partNumber` and `uploadId`. */
  query?: Record<string, string>;
  expiresIn: number;
  signingDate: Date;
}

/** Signs S3 URLs for one bucket. Built once per router; `presign()` is the hot path. */
export class Presigner {
  private readonly target: Promise<BucketTarget>;
  private signer?: SignatureV4;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {
    this.target = resolveTarget(client, bucket);
    // Resolution errors surface on the first presign, not as an unhandled rejection at start-up.
    this.target.catch(() => undefined);
  }

  /** Signs a request and returns its URL. Every given header is signed, so S3 refuses a request that sends another value. */
  async presign(input: PresignInput): Promise<string> {
    const target = await this.target;
    this.signer ??= new SignatureV4({
      credentials: this.client.config.credentials,
      region: target.region,
      service: 's3',
      sha256: NodeSha256,
      // Keys are encoded once, below; S3 does not double-encode paths.
      uriEscapePath: false,
      applyChecksum: false,
    });
    const host = target.port ? `${target.hostname}:${target.port}` : target.hostname;
    const request = new HttpRequest({
      method: input.method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: target.basePath + input.key.split('/').map(strictEncode).join('/'),
      query: { ...input.query },
      // Presigned S3 requests never sign the payload: the body is whatever the client streams.
      headers: { ...input.headers, host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    const signed = await this.signer.presign(request, { expiresIn: input.expiresIn, signingDate: input.signingDate });
    const query = Object.entries(signed.query ?? {})
      .map(([name, value]) => `${strictEncode(name)}=${strictEncode(String(value))}`)
      .join('&');
    return `${target.protocol}//${host}${signed.path}?${query}`;
  }
}
