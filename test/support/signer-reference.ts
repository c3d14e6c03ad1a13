// Test-only reference for the local presigner: the AWS SDK's own SignatureV4 on a prepared request, and a URL comparison.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { strictEncode, type PresignInput } from '../../middleware/s3/presigner';

/** SHA-256 / HMAC-SHA-256 over node:crypto in the shape SignatureV4 expects. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key = typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret as Uint8Array);
    return createHmac('sha256', key);
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

export interface ReferenceTarget {
  protocol: string;
  hostname: string;
  port?: number;
  basePath: string;
  region: string;
}

/** Signs like Presigner.presign(), but through SignatureV4: what the presigner did before it signed by itself. */
export function referencePresigner(client: S3Client, target: ReferenceTarget): (input: PresignInput) => Promise<string> {
  const signer = new SignatureV4({ credentials: client.config.credentials, region: target.region, service: 's3', sha256: NodeSha256, uriEscapePath: false, applyChecksum: false });
  const host = target.port ? `${target.hostname}:${target.port}` : target.hostname;
  return async (input) => {
    const request = new HttpRequest({
      method: input.method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: target.basePath + input.key.split('/').map(strictEncode).join('/'),
      query: { ...input.query },
      headers: { ...input.headers, host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    // Every x-amz-* header stays a header, as Presigner keeps them (a query-string value can be added to by a header).
    const unhoistableHeaders = new Set(Object.keys(input.headers ?? {}).map((name) => name.toLowerCase()).filter((name) => name.startsWith('x-amz-')));
    const signed = await signer.presign(request, { expiresIn: input.expiresIn, signingDate: input.signingDate, unhoistableHeaders });
    const query = Object.entries(signed.query ?? {})
      .map(([name, value]) => `${strictEncode(name)}=${strictEncode(String(value))}`)
      .join('&');
    return `${target.protocol}//${host}${signed.path}?${query}`;
  };
}

/** The same URL up to the order of its query parameters; a difference is described, or undefined when none. */
export function urlDifference(actual: string, expected: string): string | undefined {
  const parse = (url: string) => {
    const [base, query = ''] = url.split('?');
    return { base, params: query.split('&').sort() };
  };
  const a = parse(actual);
  const e = parse(expected);
  if (a.base !== e.base) return `path ${a.base} ≠ ${e.base}`;
  const missing = e.params.filter((p) => !a.params.includes(p));
  const extra = a.params.filter((p) => !e.params.includes(p));
  return missing.length || extra.length ? `missing ${missing.join(' ')}; unexpected ${extra.join(' ')}` : undefined;
}
