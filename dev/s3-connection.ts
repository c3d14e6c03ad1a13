// The one shape of "where and how to reach an S3 API", used by the local S3s, the example-server, the tests and the bench.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** Static access keys, as the local S3s hand out. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface S3Connection {
  /** Region to sign for. */
  readonly region: string;
  /** Base URL of an S3-compatible server, e.g. `http://127.0.0.1:4568`. It defaults to none: AWS S3 for the region. */
  readonly endpoint?: string;
  /** Access keys. It defaults to none: the AWS SDK's credential chain (environment, profile, instance role...). */
  readonly credentials?: S3Credentials;
  /** Path-style URLs (`http://host/bucket/key`), which local servers need. It defaults to false. */
  readonly forcePathStyle?: boolean;
}

/** A server this machine runs (s3rver, Ceph RGW): every field is known. */
export type LocalS3Connection = Required<S3Connection>;

/** The AWS SDK client settings for a connection; the middleware adds its own checksum and timeout defaults to them. */
export function s3ClientConfig(connection: S3Connection): S3ClientConfig {
  return {
    region: connection.region,
    ...(connection.endpoint ? { endpoint: connection.endpoint } : {}),
    ...(connection.credentials ? { credentials: { ...connection.credentials } } : {}),
    ...(connection.forcePathStyle ? { forcePathStyle: true } : {}),
  };
}

/**
 * An SDK client for looking at a bucket directly (tests, bench, bucket set-up). Checksums only when S3 requires
 * them: Ceph RGW 16 and s3rver do not know the SDK's default CRC headers.
 */
export function s3Client(connection: S3Connection): S3Client {
  return new S3Client({
    ...s3ClientConfig(connection),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
