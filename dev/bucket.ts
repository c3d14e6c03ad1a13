// Creates a bucket with the Terraform stack's CORS rule through the S3 API, for local S3s that take buckets at run time (Ceph RGW).
import { CreateBucketCommand, PutBucketCorsCommand, type S3Client } from '@aws-sdk/client-s3';
import { sdkCorsRule, type UploadCorsRule } from '../terraform/cors';

/** The very rule a deployed bucket carries, so a header the page sends but the real bucket would refuse fails locally too. */
export async function createBucketWithCors(client: S3Client, bucket: string, rule: UploadCorsRule): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  await client.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [sdkCorsRule(rule)] } }));
}
