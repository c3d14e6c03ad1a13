/** The only module that imports cdktf and the AWS provider bindings; everything else in terraform/ imports from here. */
// Why one module:
// - Deep imports: the @cdktf/provider-aws barrel loads ~1,500 resource classes (about 6 s); each file below loads in milliseconds.
// - CDKTF was archived by HashiCorp on 2025-12-10. CDK Terrain (`cdktn`, `@cdktn/provider-aws`) continues it with the same API,
//   so moving is a rename of the package names in this file (its AWS provider needs Node >= 22).
export { App, TerraformOutput, TerraformStack, Testing } from 'cdktf';
export { Construct } from 'constructs';
export { AwsProvider } from '@cdktf/provider-aws/lib/provider';
export { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
export { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
export { S3BucketCorsConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-cors-configuration';
export { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
export { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
export { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
export { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
export { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
