// DirectUploadStack and the cdktf app: provider, outputs, one source of truth with loadDeploymentConfig, offline `npm run synth`.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadDeploymentConfig, validateDeploymentConfig } from '../../terraform/config';
import {
  AwsProvider,
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
import { DirectUploadStack, STACK_NAME } from '../../terraform/stack';
import './cdktf-jest';

const TERRAFORM_DIR = path.resolve(__dirname, '../../terraform');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'direct-upload-stack-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function synthStack(config = validateDeploymentConfig({ bucketName: 'my-app-uploads', region: 'eu-west-3' })): string {
  return Testing.synth(new DirectUploadStack(Testing.app(), STACK_NAME, { config }));
}

describe('DirectUploadStack', () => {
  const synthesized = synthStack();

  it('has every resource of the secure bucket', () => {
    for (const type of [
      S3Bucket,
      S3BucketOwnershipControls,
      S3BucketPublicAccessBlock,
      S3BucketServerSideEncryptionConfigurationA,
      S3BucketCorsConfiguration,
      S3BucketLifecycleConfiguration,
      S3BucketPolicy,
      IamPolicy,
    ]) {
      expect(synthesized).toHaveResource(type);
    }
  });

  it('configures the AWS provider for the config region', () => {
    expect(synthesized).toHaveProviderWithProperties(AwsProvider, { region: 'eu-west-3' });
  });

  it('outputs the bucket name, region, ARN and server policy ARN', () => {
    const { output, resource } = JSON.parse(synthesized);
    const [bucket] = Object.keys(resource.aws_s3_bucket);
    const [policy] = Object.keys(resource.aws_iam_policy);
    expect(Object.fromEntries(Object.entries(output).map(([name, o]) => [name, (o as { value: string }).value]))).toEqual({
      bucket_name: `\${aws_s3_bucket.${bucket}.bucket}`,
      region: `\${aws_s3_bucket.${bucket}.region}`,
      bucket_arn: `\${aws_s3_bucket.${bucket}.arn}`,
      server_policy_arn: `\${aws_iam_policy.${policy}.arn}`,
    });
  });
});

describe('one source of truth', () => {
  it('synthesizes CORS origins, bucket and prefix exactly as loadDeploymentConfig returns them', () => {
    // The same call example-server makes for its CSP connect-src and allowed origins.
    const file = path.join(dir, 'shared.json');
    fs.writeFileSync(file, JSON.stringify({ bucketName: 'shared-uploads', allowedOrigins: ['https://from-file.example.com'], keyPrefix: 'media/' }));
    const env = { DIRECT_UPLOAD_CONFIG: file, ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:3000' };
    const config = loadDeploymentConfig({ env });
    expect(config.allowedOrigins).toEqual(['https://app.example.com', 'http://localhost:3000']);

    const synthesized = synthStack(config);
    expect(synthesized).toHaveResourceWithProperties(S3BucketCorsConfiguration, {
      cors_rule: [expect.objectContaining({ allowed_origins: config.allowedOrigins })],
    });
    expect(synthesized).toHaveResourceWithProperties(S3Bucket, { bucket: config.bucketName, region: config.region });
    expect(synthesized).toHaveResourceWithProperties(S3BucketLifecycleConfiguration, {
      rule: [expect.objectContaining({ filter: [{ prefix: config.keyPrefix }] })],
    });
  });
});

describe('cdktf app (terraform/main.ts, as run by `npm run synth` and `cdktf deploy`)', () => {
  const run = promisify(execFile);

  /** Runs main.ts like the synth script does, with only the given config variables in its environment. */
  function synthApp(outdir: string, env: Record<string, string>) {
    return run(process.execPath, ['-r', 'ts-node/register/transpile-only', 'main.ts'], {
      cwd: TERRAFORM_DIR,
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), CDKTF_OUTDIR: outdir, ...env },
    });
  }

  it('synthesizes offline from the shared config, and refuses a bad one by naming the setting', async () => {
    const file = path.join(dir, 'app.json');
    fs.writeFileSync(file, JSON.stringify({ bucketName: 'app-uploads', allowedOrigins: ['https://app.example.com'] }));
    const good = path.join(dir, 'out-good');
    const bad = path.join(dir, 'out-bad');
    fs.mkdirSync(good);
    fs.mkdirSync(bad);
    const env = { DIRECT_UPLOAD_CONFIG: file, AWS_REGION: 'eu-central-1' };

    const [ok, failed] = await Promise.all([
      synthApp(good, env),
      synthApp(bad, { ...env, ALLOWED_ORIGINS: 'app.example.com' }).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      ),
    ]);

    expect(ok.stdout).toContain('Synthesized stack "direct-upload" for s3://app-uploads in eu-central-1');
    const stack = JSON.parse(fs.readFileSync(path.join(good, 'stacks', STACK_NAME, 'cdk.tf.json'), 'utf8'));
    const cors = Object.values(stack.resource.aws_s3_bucket_cors_configuration)[0] as { cors_rule: Array<{ allowed_origins: string[] }> };
    expect(cors.cors_rule[0].allowed_origins).toEqual(loadDeploymentConfig({ env }).allowedOrigins);
    expect(stack.provider.aws).toEqual([{ region: 'eu-central-1' }]);

    expect(failed).toBeDefined();
    expect(failed!.code).toBe(1);
    expect(failed!.stderr.trim()).toBe(
      'direct-upload: Invalid allowedOrigins: "app.example.com" has no scheme; write it as "https://app.example.com". ' +
        '(set by environment variable ALLOWED_ORIGINS)',
    );
    expect(fs.readdirSync(bad)).toEqual([]);
  });
});
