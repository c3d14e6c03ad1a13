// The app-config schema of the direct-upload backend plugin (declared as "configSchema" in package.json).
export interface Config {
  /** Browser uploads straight to S3 with presigned URLs, for signed-in Backstage users. */
  directUpload: {
    /** Name of the S3 bucket that receives uploads. Required. */
    bucket: string;
    /** AWS region of the bucket. It defaults to `AWS_REGION` from the environment; otherwise start-up fails. */
    region?: string;
    /** S3 endpoint for an S3-compatible store (MinIO, Ceph RGW, LocalStack). It defaults to AWS's endpoint for the region. */
    endpoint?: string;
    /** Address buckets as `endpoint/bucket` instead of `bucket.endpoint`; most S3-compatible stores need it. It defaults to false. */
    forcePathStyle?: boolean;
    /** Static S3 credentials. It defaults to the AWS SDK's default credential chain (environment, profile, instance role). */
    credentials?: {
      /** Access key id. */
      accessKeyId: string;
      /**
       * Secret access key.
       * @visibility secret
       */
      secretAccessKey: string;
    };
    /** Largest upload in bytes. It defaults to 10485760 (10 MiB). */
    maxFileSize?: number;
    /** Content types users may upload: exact (`image/png`) or wildcards (`image/*`). It defaults to JPEG, PNG, GIF and WebP images. */
    allowedContentTypes?: string[];
    /** Lifetime of presigned URLs in seconds, 1 to 604800. It defaults to 300. */
    expiresIn?: number;
    /** Start of every object key; must end with `/`. Each user's objects go under it in a folder of their own. It defaults to `uploads/`. */
    keyPrefix?: string;
    /** Multipart uploads for large files; `false` turns them off. It defaults to on, with the values below. */
    multipart?:
      | boolean
      | {
          /** Declared sizes above this many bytes use multipart. It defaults to 104857600 (100 MiB). */
          threshold?: number;
          /** Preferred part size in bytes, at least 5 MiB. It defaults to 8388608 (8 MiB). */
          partSize?: number;
        };
    /** Let service principals (other plugins, external access tokens) upload too. It defaults to false: users only. */
    allowServicePrincipals?: boolean;
  };
}
