/** DirectUploadBucket: a cdktf construct for an S3 bucket that browsers upload to with presigned URLs, locked down by default. */
import { type DeploymentConfig, validateDeploymentConfig } from './config';
import { type UploadCorsOptions, uploadCorsRule } from './cors';
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

export { DEFAULT_ALLOWED_HEADERS, DEFAULT_CORS_MAX_AGE_SECONDS } from './cors';

/** Construct options besides the shared {@link DeploymentConfig}; the CORS options are documented in cors.ts. */
export interface DirectUploadBucketProps extends UploadCorsOptions {
  /** The shared deployment settings, e.g. from `loadDeploymentConfig()`. They are validated again here. */
  readonly config: DeploymentConfig;
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
  /** Presigned PUT, CreateMultipartUpload, presigned UploadPart, CompleteMultipartUpload; the CopyObject destination with quarantine. */
  write: 's3:PutObject',
  /** AbortMultipartUpload. */
  abort: 's3:AbortMultipartUpload',
  /** ListParts, which is how a stateless server resumes a multipart upload. */
  listParts: 's3:ListMultipartUploadParts',
  /** HeadObject and GetObject (verify-after-upload); the CopyObject source with quarantine. */
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
    const corsRule = uploadCorsRule(config, props);
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

    // PUT only (GET/HEAD for public-read), exact origins, ETag exposed: see uploadCorsRule() for the reasons.
    this.cors = new S3BucketCorsConfiguration(this, 'cors', { bucket, region, corsRule: [corsRule] });

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
        // Quarantined uploads that were never verified and released (abandoned, or rejected while kept) are deleted.
        ...(config.quarantinePrefix
          ? [
              {
                id: 'expire-unreleased-quarantined-uploads',
                status: 'Enabled',
                filter: [{ prefix: config.quarantinePrefix }],
                expiration: [{ days: config.quarantineExpirationDays as number }],
                abortIncompleteMultipartUpload: [{ daysAfterInitiation: config.abortIncompleteMultipartAfterDays }],
              },
            ]
          : []),
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
      policy: JSON.stringify(serverPolicyDocument(bucketArn, config, props)),
    });
  }
}

/**
 * The server's IAM policy: object actions on the key prefix only, plus KMS use through S3 when SSE-KMS is on.
 * With quarantine, uploads are written, assembled, read and deleted under the incoming prefix, and the final prefix
 * only receives the copy (PutObject, its ACL with public-read) and is read to verify it.
 */
function serverPolicyDocument(bucketArn: string, config: DeploymentConfig, props: DirectUploadBucketProps) {
  const objects = `${bucketArn}/${config.keyPrefix}*`;
  const actions: string[] = config.quarantinePrefix ? [SERVER_ACTIONS.write] : [SERVER_ACTIONS.write, SERVER_ACTIONS.abort, SERVER_ACTIONS.listParts];
  if (props.grantRead ?? true) actions.push(SERVER_ACTIONS.read);
  if (props.grantDelete ?? true) actions.push(SERVER_ACTIONS.delete);
  if (config.publicRead) actions.push(SERVER_ACTIONS.acl);

  const statements: object[] = [{ Sid: 'DirectUploadObjects', Effect: 'Allow', Action: actions, Resource: [objects] }];
  if (config.quarantinePrefix) {
    statements.push({
      // Presigned PUT and multipart land here; HeadObject and the CopyObject source read here; the move deletes here.
      Sid: 'DirectUploadQuarantine',
      Effect: 'Allow',
      Action: [SERVER_ACTIONS.write, SERVER_ACTIONS.abort, SERVER_ACTIONS.listParts, SERVER_ACTIONS.read, SERVER_ACTIONS.delete],
      Resource: [`${bucketArn}/${config.quarantinePrefix}${config.keyPrefix}*`],
    });
  }
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
