// DirectUploadBucket: every security control, checked by its synthesized properties, with the negative cases.
import fs from 'node:fs';
import path from 'node:path';
import { validateDeploymentConfig, type DeploymentConfig } from '../../terraform/config';
import { uploadCorsRule } from '../../terraform/cors';
import { DEFAULT_ALLOWED_HEADERS, DirectUploadBucket, type DirectUploadBucketProps } from '../../terraform/direct-upload-bucket';
import {
  IamPolicy,
  S3Bucket,
  S3BucketCorsConfiguration,
  S3BucketLifecycleConfiguration,
  S3BucketOwnershipControls,
  S3BucketPolicy,
  S3BucketPublicAccessBlock,
  S3BucketServerSideEncryptionConfigurationA,
  Testing,
} from '../../terraform/provider';
import './cdktf-jest';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Synthesizes one DirectUploadBucket in an empty stack and returns the Terraform JSON. */
function synth(config: Partial<DeploymentConfig> = {}, options: Omit<DirectUploadBucketProps, 'config'> = {}): string {
  const full = validateDeploymentConfig({ bucketName: 'my-app-uploads', allowedOrigins: ['https://app.example.com'], ...config });
  return Testing.synthScope((scope) => {
    new DirectUploadBucket(scope, 'uploads', { config: full, ...options });
  });
}

/** All resources of one type in a synthesized stack. */
function resources(synthesized: string, type: { tfResourceType: string }): Array<Record<string, any>> {
  return Object.values(JSON.parse(synthesized).resource?.[type.tfResourceType] ?? {});
}

function only(synthesized: string, type: { tfResourceType: string }): Record<string, any> {
  const found = resources(synthesized, type);
  expect(found).toHaveLength(1);
  return found[0];
}

interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Principal?: string;
  Action: string | string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string>>;
}

function statements(synthesized: string, type: typeof IamPolicy | typeof S3BucketPolicy): Statement[] {
  const document = JSON.parse(only(synthesized, type).policy);
  expect(document.Version).toBe('2012-10-17');
  return document.Statement;
}

/** Every action the server policy allows, sorted. */
function allowedS3Actions(synthesized: string): string[] {
  return statements(synthesized, IamPolicy)
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => [s.Action].flat())
    .filter((a) => a.startsWith('s3:'))
    .sort();
}

const BUCKET_ARN = '${aws_s3_bucket.uploads_bucket_556152F0.arn}';

describe('DirectUploadBucket', () => {
  const defaults = synth();

  describe('bucket', () => {
    it('is named and placed by the config, and keeps objects on destroy', () => {
      expect(defaults).toHaveResourceWithProperties(S3Bucket, { bucket: 'my-app-uploads', region: 'us-east-1', force_destroy: false });
      expect(resources(defaults, S3Bucket)).toHaveLength(1);
    });

    it('pins every S3 resource to the config region, so the server signs for the region the bucket is in', () => {
      const synthesized = synth({ region: 'eu-west-3' });
      for (const type of [
        S3Bucket,
        S3BucketOwnershipControls,
        S3BucketPublicAccessBlock,
        S3BucketServerSideEncryptionConfigurationA,
        S3BucketCorsConfiguration,
        S3BucketLifecycleConfiguration,
        S3BucketPolicy,
      ]) {
        expect(only(synthesized, type).region).toBe('eu-west-3');
      }
    });

    it('can opt in to force_destroy', () => {
      expect(synth({}, { forceDestroy: true })).toHaveResourceWithProperties(S3Bucket, { force_destroy: true });
    });
  });

  describe('ownership controls', () => {
    it('disable ACLs (BucketOwnerEnforced) by default', () => {
      expect(defaults).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: 'BucketOwnerEnforced' } });
      expect(defaults).not.toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: 'BucketOwnerPreferred' } });
    });

    it('allow ACLs (BucketOwnerPreferred) only for public-read', () => {
      const synthesized = synth({ publicRead: true });
      expect(synthesized).toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: 'BucketOwnerPreferred' } });
      expect(synthesized).not.toHaveResourceWithProperties(S3BucketOwnershipControls, { rule: { object_ownership: 'BucketOwnerEnforced' } });
    });
  });

  describe('public access block', () => {
    it('blocks everything by default', () => {
      expect(only(defaults, S3BucketPublicAccessBlock)).toMatchObject({
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
      });
    });

    it('relaxes only the ACL settings for public-read; public policies stay blocked', () => {
      expect(only(synth({ publicRead: true }), S3BucketPublicAccessBlock)).toMatchObject({
        block_public_acls: false,
        ignore_public_acls: false,
        block_public_policy: true,
        restrict_public_buckets: true,
      });
    });
  });

  describe('default encryption', () => {
    it('is SSE-S3 (AES256) by default, with SSE-C blocked and no KMS key', () => {
      const rule = only(defaults, S3BucketServerSideEncryptionConfigurationA).rule;
      expect(rule).toEqual([{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' }, blocked_encryption_types: ['SSE-C'] }]);
    });

    it('is SSE-KMS with the bucket key when a key ARN is configured', () => {
      expect(synth({ kmsKeyArn: KEY_ARN })).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
        rule: [
          {
            apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: KEY_ARN },
            bucket_key_enabled: true,
            blocked_encryption_types: ['SSE-C'],
          },
        ],
      });
    });
  });

  describe('CORS', () => {
    it('allows exactly the configured origins, PUT only, the headers uploads send, exposes ETag, caches preflights', () => {
      expect(only(defaults, S3BucketCorsConfiguration).cors_rule).toEqual([
        {
          id: 'direct-upload',
          allowed_origins: ['https://app.example.com'],
          allowed_methods: ['PUT'],
          allowed_headers: ['Content-Type', 'Content-Disposition', 'Content-MD5', 'x-amz-acl', 'If-None-Match', 'x-amz-meta-*', 'x-amz-checksum-sha256', 'x-amz-checksum-crc64nvme'],
          expose_headers: ['ETag'],
          max_age_seconds: 3000,
        },
      ]);
    });

    it('is the same rule uploadCorsRule() gives local S3 stand-ins and tests', () => {
      const config = validateDeploymentConfig({ bucketName: 'my-app-uploads', allowedOrigins: ['https://app.example.com'], publicRead: true });
      const rule = uploadCorsRule(config, { corsMaxAgeSeconds: 60 });
      expect(only(synth({ publicRead: true }, { corsMaxAgeSeconds: 60 }), S3BucketCorsConfiguration).cors_rule).toEqual([
        {
          id: rule.id,
          allowed_origins: rule.allowedOrigins,
          allowed_methods: rule.allowedMethods,
          allowed_headers: rule.allowedHeaders,
          expose_headers: rule.exposeHeaders,
          max_age_seconds: rule.maxAgeSeconds,
        },
      ]);
    });

    it('has no "*" origin and no read or POST methods by default', () => {
      const rule = only(defaults, S3BucketCorsConfiguration).cors_rule[0];
      expect(rule.allowed_origins).not.toContain('*');
      expect(rule.allowed_methods).not.toEqual(expect.arrayContaining(['GET']));
      expect(rule.allowed_methods).not.toEqual(expect.arrayContaining(['POST']));
      expect(rule.allowed_methods).not.toEqual(expect.arrayContaining(['DELETE']));
    });

    it('lists several exact origins as given', () => {
      const origins = ['https://app.example.com', 'https://admin.example.com', 'http://localhost:3000'];
      expect(synth({ allowedOrigins: origins })).toHaveResourceWithProperties(S3BucketCorsConfiguration, {
        cors_rule: [expect.objectContaining({ allowed_origins: origins })],
      });
    });

    it('allows "*" only with the explicit opt-in', () => {
      expect(() => synth({ allowedOrigins: ['*'] })).toThrow(/allowAnyOrigin/);
      expect(synth({ allowedOrigins: ['*'], allowAnyOrigin: true })).toHaveResourceWithProperties(S3BucketCorsConfiguration, {
        cors_rule: [expect.objectContaining({ allowed_origins: ['*'] })],
      });
    });

    it('adds GET and HEAD for public-read previews', () => {
      expect(only(synth({ publicRead: true }), S3BucketCorsConfiguration).cors_rule[0].allowed_methods).toEqual(['PUT', 'GET', 'HEAD']);
    });

    it('allows the signed x-amz-acl and If-None-Match headers every upload sends, private or public-read', () => {
      for (const rule of [only(defaults, S3BucketCorsConfiguration).cors_rule[0], only(synth({ publicRead: true }), S3BucketCorsConfiguration).cors_rule[0]]) {
        expect(rule.allowed_headers).toEqual(expect.arrayContaining(['x-amz-acl', 'If-None-Match', 'x-amz-meta-*', 'x-amz-checksum-sha256', 'x-amz-checksum-crc64nvme']));
      }
    });

    it('takes custom allowed headers and max age', () => {
      const synthesized = synth({}, { allowedHeaders: [...DEFAULT_ALLOWED_HEADERS, 'x-amz-*'], corsMaxAgeSeconds: 600 });
      expect(synthesized).toHaveResourceWithProperties(S3BucketCorsConfiguration, {
        cors_rule: [expect.objectContaining({ allowed_headers: [...DEFAULT_ALLOWED_HEADERS, 'x-amz-*'], max_age_seconds: 600 })],
      });
    });

    it('refuses allowed headers without Content-Type, and a bad max age', () => {
      expect(() => synth({}, { allowedHeaders: ['Content-MD5'] })).toThrow(/must include "Content-Type"/);
      expect(() => synth({}, { allowedHeaders: [] })).toThrow(/Invalid allowedHeaders/);
      expect(() => synth({}, { corsMaxAgeSeconds: -1 })).toThrow(/Invalid corsMaxAgeSeconds/);
    });
  });

  describe('lifecycle', () => {
    it('aborts incomplete multipart uploads under the key prefix after 1 day by default', () => {
      expect(only(defaults, S3BucketLifecycleConfiguration).rule).toEqual([
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{ prefix: 'uploads/' }],
          abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
        },
      ]);
    });

    it('with quarantinePrefix, expires unreleased uploads there after the configured days (and aborts their multipart uploads)', () => {
      const rules = only(synth({ quarantinePrefix: 'incoming/', quarantineExpirationDays: 3 }), S3BucketLifecycleConfiguration).rule;
      expect(rules).toEqual([
        expect.objectContaining({ id: 'abort-incomplete-multipart-uploads', filter: [{ prefix: 'uploads/' }] }),
        {
          id: 'expire-unreleased-quarantined-uploads',
          status: 'Enabled',
          filter: [{ prefix: 'incoming/' }],
          expiration: [{ days: 3 }],
          abort_incomplete_multipart_upload: [{ days_after_initiation: 1 }],
        },
      ]);
      // The final prefix never gets an expiration rule.
      expect(rules.filter((rule: Record<string, unknown>) => rule.expiration).map((rule: { filter: unknown }) => rule.filter)).toEqual([[{ prefix: 'incoming/' }]]);
      expect(only(synth({ quarantinePrefix: 'incoming/' }), S3BucketLifecycleConfiguration).rule[1].expiration).toEqual([{ days: 1 }]);
    });

    it('follows the configured prefix and number of days', () => {
      expect(synth({ keyPrefix: 'media/', abortIncompleteMultipartAfterDays: 3 })).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
        rule: [expect.objectContaining({ filter: [{ prefix: 'media/' }], abort_incomplete_multipart_upload: [{ days_after_initiation: 3 }] })],
      });
    });
  });

  describe('bucket policy', () => {
    it('denies non-TLS requests on the bucket and its objects', () => {
      expect(statements(defaults, S3BucketPolicy)).toContainEqual({
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    });

    it('denies TLS older than 1.2', () => {
      expect(statements(defaults, S3BucketPolicy)).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } } }),
      );
    });

    it('grants nothing: every statement is a Deny, even with public-read', () => {
      for (const synthesized of [defaults, synth({ publicRead: true })]) {
        const effects = statements(synthesized, S3BucketPolicy).map((s) => s.Effect);
        expect(effects).toEqual(['Deny', 'Deny']);
      }
    });

    it('is applied after the public-access block', () => {
      const [blockId] = Object.keys(JSON.parse(defaults).resource.aws_s3_bucket_public_access_block);
      expect(only(defaults, S3BucketPolicy).depends_on).toEqual([`aws_s3_bucket_public_access_block.${blockId}`]);
    });
  });

  describe('server IAM policy', () => {
    // The S3 calls the middleware makes, and the IAM action that authorises each (AWS S3 API reference, "Permissions").
    const MIDDLEWARE_CALLS: Record<string, string> = {
      'PutObject (single presigned PUT)': 's3:PutObject',
      CreateMultipartUpload: 's3:PutObject',
      'UploadPart (presigned)': 's3:PutObject',
      CompleteMultipartUpload: 's3:PutObject',
      AbortMultipartUpload: 's3:AbortMultipartUpload',
      ListParts: 's3:ListMultipartUploadParts',
      'HeadObject (verify-after-upload)': 's3:GetObject',
      'DeleteObject (reject after verify)': 's3:DeleteObject',
      // With quarantine only: s3:GetObject on the incoming source, s3:PutObject on the final key (see the quarantine tests).
      'CopyObject (release from quarantine)': 's3:PutObject',
    };

    it('knows every S3 command the middleware sends (so a new call cannot go unnoticed)', () => {
      // Presigned PutObject/UploadPart go through the middleware's own signer; the other calls are SDK commands.
      const middleware = path.resolve(__dirname, '../../middleware');
      const sources = fs.readdirSync(middleware, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
      const commands = new Set(
        sources.flatMap((f) => [...fs.readFileSync(path.join(middleware, f), 'utf8').matchAll(/new (\w+)Command\(/g)].map((m) => m[1])),
      );
      expect(commands.size).toBeGreaterThan(0);
      const known = Object.keys(MIDDLEWARE_CALLS).map((call) => call.split(' ')[0]);
      expect([...commands].filter((command) => !known.includes(command))).toEqual([]);
    });

    it('allows exactly the actions behind the middleware S3 calls', () => {
      expect(allowedS3Actions(defaults)).toEqual([...new Set(Object.values(MIDDLEWARE_CALLS))].sort());
      expect(allowedS3Actions(defaults)).toEqual([
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:GetObject',
        's3:ListMultipartUploadParts',
        's3:PutObject',
      ]);
    });

    it('limits every statement to objects under the key prefix', () => {
      for (const [prefix, synthesized] of [['uploads/', defaults], ['media/avatars/', synth({ keyPrefix: 'media/avatars/' })]] as const) {
        const s3Statements = statements(synthesized, IamPolicy).filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
        expect(s3Statements).toHaveLength(1);
        expect(s3Statements[0].Resource).toEqual([`${BUCKET_ARN}/${prefix}*`]);
      }
    });

    it('has no wildcard actions, no bucket-level actions and no Deny surprises', () => {
      const all = statements(synth({ publicRead: true, kmsKeyArn: KEY_ARN }), IamPolicy);
      const actions = all.flatMap((s) => [s.Action].flat());
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
      for (const bucketLevel of ['s3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutBucketPolicy', 's3:PutBucketCORS', 's3:DeleteBucket']) {
        expect(actions).not.toContain(bucketLevel);
      }
      expect(all.every((s) => s.Effect === 'Allow')).toBe(true);
    });

    it('adds s3:PutObjectAcl only for public-read', () => {
      expect(allowedS3Actions(defaults)).not.toContain('s3:PutObjectAcl');
      expect(allowedS3Actions(synth({ publicRead: true }))).toEqual([
        's3:AbortMultipartUpload',
        's3:DeleteObject',
        's3:GetObject',
        's3:ListMultipartUploadParts',
        's3:PutObject',
        's3:PutObjectAcl',
      ]);
    });

    it('can leave out read and delete when verify-after-upload is not used', () => {
      expect(allowedS3Actions(synth({}, { grantRead: false }))).not.toContain('s3:GetObject');
      expect(allowedS3Actions(synth({}, { grantDelete: false }))).not.toContain('s3:DeleteObject');
      expect(allowedS3Actions(synth({}, { grantRead: false, grantDelete: false }))).toEqual([
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
        's3:PutObject',
      ]);
    });

    it('with quarantinePrefix, allows uploads and the move on incoming, and only the copy and verification on the final prefix', () => {
      const policy = statements(synth({ quarantinePrefix: 'incoming/' }), IamPolicy);
      expect(policy).toEqual([
        // Final keys: the CopyObject destination (PutObject), HeadObject to verify, DeleteObject as with grantDelete.
        { Sid: 'DirectUploadObjects', Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], Resource: [`${BUCKET_ARN}/uploads/*`] },
        {
          // Incoming keys: presigned PUT and multipart, HeadObject and the CopyObject source (GetObject), the delete after the move.
          Sid: 'DirectUploadQuarantine',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:GetObject', 's3:DeleteObject'],
          Resource: [`${BUCKET_ARN}/incoming/uploads/*`],
        },
      ]);
      expect(statements(synth({ quarantinePrefix: 'incoming/', publicRead: true }), IamPolicy)[0].Action).toContain('s3:PutObjectAcl');
      expect(statements(synth({ quarantinePrefix: 'incoming/' }, { grantDelete: false }), IamPolicy)[0].Action).toEqual(['s3:PutObject', 's3:GetObject']);
    });

    it('adds KMS data-key use, through S3 only, when SSE-KMS is on', () => {
      expect(statements(defaults, IamPolicy).flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('kms:'))).toEqual([]);
      expect(statements(synth({ kmsKeyArn: KEY_ARN }), IamPolicy)).toContainEqual({
        Sid: 'DirectUploadKms',
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: [KEY_ARN],
        Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      });
    });

    it('is named after the bucket unless a name is given', () => {
      expect(defaults).toHaveResourceWithProperties(IamPolicy, { name: 'direct-upload-my-app-uploads' });
      expect(synth({}, { policyName: 'uploads-signer' })).toHaveResourceWithProperties(IamPolicy, { name: 'uploads-signer' });
    });
  });

  it('re-validates a hand-built config', () => {
    const bad = { ...validateDeploymentConfig({}), allowedOrigins: ['https://app.example.com/'] };
    expect(() => Testing.synthScope((scope) => new DirectUploadBucket(scope, 'uploads', { config: bad }))).toThrow(/trailing slash/);
  });
});
