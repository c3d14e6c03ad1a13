/** DirectUploadBucket: a cdktf construct for an S3 bucket that browsers upload to with presigned URLs, locked down by default. */
import { type DeploymentConfig, DeploymentConfigError, validateDeploymentConfig } from './config';
import {
  Construct,
  IamPolicy,
  S3Bucket,
  S3BucketCorsConfiguration,
  S3BucketLifecycleConfiguration,
  S3BucketOwnershipControls,
  S3BucketPolicy,
  S3BucketPublicAccessBlock,
  S3BucketServerSideEncryptionConfigurationA,
} from './provider';

/**
 * Request headers a browser may send on a presigned PUT: exactly the ones the middleware's `headers` response can list.
 * - `Content-Type`: always sent and signed, so S3 rejects another type; a non-form type needs a CORS preflight.
 * - `Content-Disposition`: sent when the middleware's `contentDisposition` option is on.
 * - `Content-MD5`: sent when the client asked for an integrity check; S3 verifies the body against it.
 * Not listed: `Content-Length` (the browser sets it itself) and `x-amz-*` (the presigner moves signed `x-amz-*`
 * headers such as the ACL or metadata into the query string). A client that sends signed `x-amz-*` headers
 * instead must add `x-amz-*` through the `allowedHeaders` option.
 */
export const DEFAULT_ALLOWED_HEADERS: readonly string[] = Object.freeze(['Content-Type', 'Content-Disposition', 'Content-MD5']);

/** Seconds a browser may cache a CORS preflight: fewer OPTIONS round trips per upload, and per multipart part. */
export const DEFAULT_CORS_MAX_AGE_SECONDS = 3000;

/** Construct options besides the shared {@link DeploymentConfig}. */
export interface DirectUploadBucketProps {
  /** The shared deployment settings, e.g. from `loadDeploymentConfig()`. They are validated again here. */
  readonly config: DeploymentConfig;
  /** CORS allowed request headers. It defaults to {@link DEFAULT_ALLOWED_HEADERS}. */
  readonly allowedHeaders?: readonly string[];
  /** CORS preflight cache time in seconds. It defaults to 3000. */
  readonly corsMaxAgeSeconds?: number;
  /** Grant the server `s3:GetObject` on the prefix, which HeadObject in verify-after-upload needs. It defaults to `true`. */
  readonly grantRead?: boolean;
  /** Grant the server `s3:DeleteObject` on the prefix, so verify-after-upload can remove a rejected object. It defaults to `true`. */
  readonly grantDelete?: boolean;
  /** Let `cdktf destroy` delete a bucket that still holds objects. It defaults to `false`, so a destroy never loses uploads silently. */
  readonly forceDestroy?: boolean;
  /** Name of the IAM policy for the app server. It defaults to `direct-upload-<bucketName>`. */
  readonly policyName?: string;
}

/** The IAM actions the middleware needs, with the S3 API calls each one authorises. */
export const SERVER_ACTIONS = Object.freeze({
  /** Presigned PUT, CreateMultipartUpload, presigned UploadPart, CompleteMultipartUpload. */
  write: 's3:PutObject',
  /** AbortMultipartUpload. */
  abort: 's3:AbortMultipartUpload',
  /** ListParts, which is how a stateless server resumes a multipart upload. */
  listParts: 's3:ListMultipartUploadParts',
  /** HeadObject and GetObject (verify-after-upload). */
  read: 's3:GetObject',
  /** DeleteObject (verify-after-upload removes an object that breaks the rules). */
  delete: 's3:DeleteObject',
  /** The `public-read` ACL on upload; only with publicRead. */
  acl: 's3:PutObjectAcl',
});

/**
 * An S3 bucket for direct browser uploads and an IAM policy for the server that signs them.
 * It provisions: the bucket, ownership controls, a public-access block, default encryption (SSE-S3 or SSE-KMS, SSE-C blocked),
 * CORS for the exact origins, a lifecycle rule that aborts stale multipart uploads, a TLS-only bucket policy,
 * and a least-privilege `aws_iam_policy` limited to `<bucket>/<keyPrefix>*`.
 * Every S3 resource is pinned to `config.region`, so the bucket is where the server (reading the same config) signs for it.
 */
export class DirectUploadBucket extends Construct {
  /** The validated settings this bucket was built from. */
  readonly config: DeploymentConfig;
  readonly bucket: S3Bucket;
  readonly publicAccessBlock: S3BucketPublicAccessBlock;
  readonly ownershipControls: S3BucketOwnershipControls;
  readonly encryption: S3BucketServerSideEncryptionConfigurationA;
  readonly cors: S3BucketCorsConfiguration;
  readonly lifecycle: S3BucketLifecycleConfiguration;
  readonly bucketPolicy: S3BucketPolicy;
  /** Attach this to the app server's role or user. */
  readonly serverPolicy: IamPolicy;

  constructor(scope: Construct, id: string, props: DirectUploadBucketProps) {
    super(scope, id);
    const config = validateDeploymentConfig(props.config);
    const allowedHeaders = checkAllowedHeaders(props.allowedHeaders ?? DEFAULT_ALLOWED_HEADERS);
    const maxAgeSeconds = checkMaxAge(props.corsMaxAgeSeconds ?? DEFAULT_CORS_MAX_AGE_SECONDS);
    this.config = config;
    const region = config.region;

    this.bucket = new S3Bucket(this, 'bucket', {
      bucket: config.bucketName,
      region,
      forceDestroy: props.forceDestroy ?? false,
    });
    const bucket = this.bucket.id;

    // ACLs stay disabled unless uploads must carry public-read, which needs ACLs and therefore BucketOwnerPreferred.
    this.ownershipControls = new S3BucketOwnershipControls(this, 'ownership', {
      bucket,
      region,
      rule: { objectOwnership: config.publicRead ? 'BucketOwnerPreferred' : 'BucketOwnerEnforced' },
    });

    // public-read needs public object ACLs to be accepted and honoured; public bucket policies stay blocked either way.
    this.publicAccessBlock = new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket,
      region,
      blockPublicAcls: !config.publicRead,
      ignorePublicAcls: !config.publicRead,
      blockPublicPolicy: true,
      restrictPublicBuckets: true,
    });

    // SSE-C is blocked: the server never signs customer keys, and AWS now blocks it on new buckets anyway.
    this.encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      region,
      rule: [
        config.kmsKeyArn
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: config.kmsKeyArn },
              // A bucket key cuts KMS requests (and cost) per object.
              bucketKeyEnabled: true,
              blockedEncryptionTypes: ['SSE-C'],
            }
          : {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' },
              blockedEncryptionTypes: ['SSE-C'],
            },
      ],
    });

    // Browsers only PUT: a single upload and each multipart part are presigned PUTs. Create, Complete, Abort and
    // ListParts are made by the server, which CORS does not apply to. GET/HEAD are added only for public-read objects,
    // so pages on the allowed origins can fetch() a preview; <img src> needs no CORS at all.
    this.cors = new S3BucketCorsConfiguration(this, 'cors', {
      bucket,
      region,
      corsRule: [
        {
          id: 'direct-upload',
          allowedOrigins: [...config.allowedOrigins],
          allowedMethods: config.publicRead ? ['PUT', 'GET', 'HEAD'] : ['PUT'],
          allowedHeaders: [...allowedHeaders],
          // Multipart completion needs each part's ETag, which JavaScript can read only if it is exposed.
          exposeHeaders: ['ETag'],
          maxAgeSeconds,
        },
      ],
    });

    // Parts of an abandoned multipart upload are invisible in listings but billed until aborted.
    this.lifecycle = new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      region,
      rule: [
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{ prefix: config.keyPrefix }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: config.abortIncompleteMultipartAfterDays }],
        },
      ],
    });

    const bucketArn = this.bucket.arn;
    const everything = [bucketArn, `${bucketArn}/*`];
    this.bucketPolicy = new S3BucketPolicy(this, 'policy', {
      bucket,
      region,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            // Presigned URLs carry a signature and the data in the clear over plain HTTP.
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: everything,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          {
            Sid: 'DenyTlsOlderThan12',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: everything,
            Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
          },
        ],
      }),
      // S3 evaluates a new policy against the public-access block; applying them together can race.
      dependsOn: [this.publicAccessBlock],
    });

    this.serverPolicy = new IamPolicy(this, 'server-policy', {
      name: props.policyName ?? `direct-upload-${config.bucketName}`,
      description: `Lets the express-direct-upload server sign uploads to s3://${config.bucketName}/${config.keyPrefix} and nothing else.`,
      policy: JSON.stringify(serverPolicyDocument(`${bucketArn}/${config.keyPrefix}*`, config, props)),
    });
  }
}

/** The server's IAM policy: object actions on the key prefix only, plus KMS use through S3 when SSE-KMS is on. */
function serverPolicyDocument(objects: string, config: DeploymentConfig, props: DirectUploadBucketProps) {
  const actions: string[] = [SERVER_ACTIONS.write, SERVER_ACTIONS.abort, SERVER_ACTIONS.listParts];
  if (props.grantRead ?? true) actions.push(SERVER_ACTIONS.read);
  if (props.grantDelete ?? true) actions.push(SERVER_ACTIONS.delete);
  if (config.publicRead) actions.push(SERVER_ACTIONS.acl);

  const statements: object[] = [{ Sid: 'DirectUploadObjects', Effect: 'Allow', Action: actions, Resource: [objects] }];
  if (config.kmsKeyArn) {
    statements.push({
      // PutObject and UploadPart need a data key; CompleteMultipartUpload and GetObject decrypt it.
      Sid: 'DirectUploadKms',
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: [config.kmsKeyArn],
      Condition: { StringEquals: { 'kms:ViaService': `s3.${config.region}.amazonaws.com` } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
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
