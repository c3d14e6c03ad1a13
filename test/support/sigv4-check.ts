// Test-only: recomputes a presigned URL's SigV4 signature from its X-Amz-SignedHeaders and the header values a client will send.
import { createHash, createHmac } from 'node:crypto';
import type { S3Credentials } from '../../dev/s3-connection';

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** The names in a URL's X-Amz-SignedHeaders, in their (sorted) order. */
export function signedHeaderNames(url: string): string[] {
  return (new URL(url).searchParams.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
}

/**
 * The signature S3 computes for this URL when the client sends `headers` (names any case). Every signed header
 * must have a value there, but `host`, which comes from the URL. Written from the SigV4 specification, apart from
 * the middleware's own signer, so that a match shows the URL signs exactly these values.
 */
export function recomputeSignature(url: string, headers: Record<string, string>, credentials: S3Credentials): string {
  const parsed = new URL(url);
  const values = new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value.trim()]));
  values.set('host', parsed.host);
  const names = signedHeaderNames(url);
  const canonicalHeaders = names
    .map((name) => {
      if (!values.has(name)) throw new Error(`signed header ${name} has no value to send`);
      return `${name}:${values.get(name)}\n`;
    })
    .join('');
  // The query as sent, minus the signature (names and values are already SigV4-encoded), sorted by name then value.
  const pairs = parsed.search
    .slice(1)
    .split('&')
    .map((pair) => pair.split('=') as [string, string])
    .filter(([name]) => name !== 'X-Amz-Signature');
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const query = pairs.map(([name, value]) => `${name}=${value}`).join('&');
  const canonicalRequest = ['PUT', parsed.pathname, query, canonicalHeaders, names.join(';'), 'UNSIGNED-PAYLOAD'].join('\n');
  const date = parsed.searchParams.get('X-Amz-Date') as string;
  const scope = (parsed.searchParams.get('X-Amz-Credential') as string).split('/').slice(1).join('/');
  const [day, region] = scope.split('/');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}
