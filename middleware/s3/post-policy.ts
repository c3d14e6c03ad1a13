// Local SigV4 signing of S3 POST policies (browser form uploads): no network, no SDK command stack, one HMAC per policy.
import { createHmac } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { MAX_EXPIRES_IN } from '../settings';
import { amzDates, clientCredentials, hmac, resolveTarget, type BucketTarget } from './presigner';

/** What one presigned POST allows: one key, exact field values, and a byte range S3 enforces on the file. */
export interface PostPolicyInput {
  key: string;
  /**
   * Form fields the object is stored with (`Content-Type`, `Content-Disposition`, `acl`, `x-amz-meta-*`). Each one is
   * sent as a field and pinned by an exact-match condition, so S3 refuses a form that changes it.
   */
  fields: Record<string, string>;
  /** Smallest and largest file S3 accepts (`content-length-range`); outside it S3 answers 400 EntityTooLarge/Small. */
  contentLength: { min: number; max: number };
  expiresIn: number;
  signingDate: Date;
}

/** A presigned POST: send every field, in order, then the file as the last field `file`, as `multipart/form-data` to `url`. */
export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

/** What the routes need to sign POST policies for one bucket. A fake for tests implements this. */
export interface PostPolicySigner {
  readonly bucket: string;
  presignPost(input: PostPolicyInput): Promise<PresignedPost>;
}

/** `2026-11-25T12:34:56Z`: ISO 8601 without milliseconds, as S3 documents a policy's `expiration`. */
const isoSeconds = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The form's action: the bucket's URL (path-style without a trailing slash, virtual-hosted with one). */
function bucketUrl(target: BucketTarget): string {
  const host = target.port ? `${target.hostname}:${target.port}` : target.hostname;
  const path = target.basePath === '/' ? '/' : target.basePath.replace(/\/+$/, '');
  return `${target.protocol}//${host}${path}`;
}

/**
 * Signs POST policies for one bucket. The policy and fields are built in the same order as the AWS SDK's
 * `createPresignedPost` (test/unit/post-policy.test.ts checks them equal, signature included), without its
 * endpoint resolution per call.
 */
export class PostPolicy implements PostPolicySigner {
  private readonly target: Promise<BucketTarget>;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {
    this.target = resolveTarget(client, bucket);
    // Resolution errors surface on the first signature, not as an unhandled rejection at start-up.
    this.target.catch(() => undefined);
  }

  async presignPost(input: PostPolicyInput): Promise<PresignedPost> {
    const target = await this.target;
    const credentials = await clientCredentials(this.client);
    if (input.expiresIn > MAX_EXPIRES_IN) throw new Error('A POST policy must expire less than one week in the future');
    const { min, max } = input.contentLength;
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) throw new RangeError(`content-length-range ${min}..${max} is not a range`);
    const { longDate, shortDate } = amzDates(input.signingDate);
    const scope = `${shortDate}/${target.region}/s3/aws4_request`;

    // Everything sent as a field is also an exact condition: S3 refuses a form field the policy does not name.
    const fields: Record<string, string> = {
      ...input.fields,
      bucket: this.bucket,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${credentials.accessKeyId}/${scope}`,
      'X-Amz-Date': longDate,
      ...(credentials.sessionToken ? { 'X-Amz-Security-Token': credentials.sessionToken } : {}),
    };
    const conditions: unknown[] = [['content-length-range', min, max]];
    for (const [name, value] of Object.entries(fields)) conditions.push({ [name]: value });
    conditions.push({ key: input.key });
    const expiration = isoSeconds(new Date(input.signingDate.getTime() + input.expiresIn * 1000));
    const policy = Buffer.from(JSON.stringify({ expiration, conditions }), 'utf8').toString('base64');

    const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, shortDate), target.region), 's3'), 'aws4_request');
    const signature = createHmac('sha256', signingKey).update(policy, 'utf8').digest('hex');
    return { url: bucketUrl(target), fields: { ...fields, key: input.key, Policy: policy, 'X-Amz-Signature': signature } };
  }
}
