/** DirectUploadStack: the ready-made stack that `cdktf deploy` runs: AWS provider, one DirectUploadBucket, and its outputs. */
import { DirectUploadBucket, type DirectUploadBucketProps } from './direct-upload-bucket';
import { AwsProvider, type Construct, TerraformOutput, TerraformStack } from './provider';

/** Stack name used by main.ts; `cdktf deploy` and the local state file are named after it. */
export const STACK_NAME = 'direct-upload';

/** The stack takes the same options as the construct; `config.region` also sets the provider. */
export type DirectUploadStackProps = DirectUploadBucketProps;

export class DirectUploadStack extends TerraformStack {
  readonly uploads: DirectUploadBucket;

  constructor(scope: Construct, id: string, props: DirectUploadStackProps) {
    super(scope, id);
    // The provider region is only the default for resources without one; the bucket's resources pin config.region themselves.
    new AwsProvider(this, 'aws', { region: props.config.region });
    this.uploads = new DirectUploadBucket(this, 'uploads', props);

    // These names are what docs/deploy.md tells users to copy into the server's settings.
    new TerraformOutput(this, 'bucket_name', {
      value: this.uploads.bucket.bucket,
      description: 'S3_BUCKET for the app server.',
    });
    new TerraformOutput(this, 'region', {
      value: this.uploads.bucket.region,
      description: 'AWS_REGION for the app server.',
    });
    new TerraformOutput(this, 'bucket_arn', {
      value: this.uploads.bucket.arn,
      description: 'ARN of the upload bucket.',
    });
    new TerraformOutput(this, 'server_policy_arn', {
      value: this.uploads.serverPolicy.arn,
      description: "Attach to the app server's IAM role or user; it can sign uploads under the key prefix and nothing else.",
    });
  }
}
