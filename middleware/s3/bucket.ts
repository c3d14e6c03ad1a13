// The few calls the server itself makes to S3 (multipart bookkeeping and verify-after-upload), with S3 errors mapped to ours.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  type S3Client,
  type ObjectCannedACL,
} from '@aws-sdk/client-s3';
import { NotFoundError, StorageUnavailableError, UploadMismatchError, type DirectUploadError } from '../errors';

/** HeadObject refused the server's own request for an object that exists: the object is not what the server authorised. */
export class UnreadableObjectError extends UploadMismatchError {}

/** One uploaded part as S3 lists it. */
export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
}

/** What HeadObject says about an object: everything a URL holder could have set beside the bytes. */
export interface StoredObject {
  size: number;
  contentType: string;
  etag?: string;
  /** User metadata, names lower-case without the `x-amz-meta-` prefix. */
  metadata: Record<string, string>;
  contentDisposition?: string;
  contentEncoding?: string;
  cacheControl?: string;
  /** The stored `Expires` header as S3 returns it. */
  expires?: string;
  contentLanguage?: string;
  websiteRedirectLocation?: string;
  /** Number of tags (`x-amz-tagging-count`); 0 when there are none. */
  tagCount: number;
  /** Undefined for the bucket's default (STANDARD). */
  storageClass?: string;
}

/** What a multipart upload is created with: everything that becomes part of the object. */
export interface NewMultipartUpload {
  key: string;
  contentType: string;
  contentDisposition?: string;
  acl?: ObjectCannedACL;
  /** User metadata, names without the `x-amz-meta-` prefix. */
  metadata: Record<string, string>;
}

/**
 * The server's own S3 calls for one bucket, as the routes use them. Failures are already our errors: NotFoundError
 * for a missing upload or object, UploadMismatchError for parts S3 refuses, StorageUnavailableError otherwise.
 * A fake for tests implements this.
 */
export interface BucketClient {
  createMultipartUpload(input: NewMultipartUpload): Promise<string>;
  /** Every uploaded part, in part-number order. */
  listParts(key: string, uploadId: string): Promise<StoredPart[]>;
  /**
   * Completes the upload only if no object exists at the key yet (`If-None-Match: *`); resolves to false when one
   * does, e.g. because an earlier call completed it.
   */
  completeMultipartUpload(key: string, uploadId: string, parts: StoredPart[]): Promise<boolean>;
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  headObject(key: string): Promise<StoredObject>;
  deleteObject(key: string): Promise<void>;
}

interface S3ServiceError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Maps an S3 failure to the error the client sees. A missing upload or object is the client's 404; parts that S3
 * refuses to assemble are a 409; anything else (network, 5xx, the server's own permissions) is a 503 and is logged.
 */
export function fromS3Error(err: unknown, what: string): DirectUploadError {
  const { name, $metadata } = (err ?? {}) as S3ServiceError;
  const status = $metadata?.httpStatusCode;
  if (name === 'NoSuchUpload' || name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return new NotFoundError(`${what} was not found in the bucket.`);
  }
  if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') {
    return new UploadMismatchError(`S3 refused to assemble ${what}: ${name}.`);
  }
  return new StorageUnavailableError('The storage service could not be reached or refused the request. Try again later.', { cause: err });
}

/** The server-side S3 calls for one bucket, through the AWS SDK. */
export class Bucket implements BucketClient {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw fromS3Error(err, what);
    }
  }

  async createMultipartUpload(input: NewMultipartUpload): Promise<string> {
    const out = await this.call('the bucket', () =>
      this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: input.key,
          ContentType: input.contentType,
          ContentDisposition: input.contentDisposition,
          ACL: input.acl,
          Metadata: input.metadata,
        }),
      ),
    );
    if (!out.UploadId) throw new StorageUnavailableError('S3 did not return an upload id.');
    return out.UploadId;
  }

  /** Every uploaded part, across ListParts pages, in part-number order. */
  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    // 10,000 parts at 1,000 a page: the bound keeps a misbehaving server from looping us forever.
    for (let page = 0; page < 11; page++) {
      const out = await this.call('The multipart upload', () =>
        this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker })),
      );
      for (const part of out.Parts ?? []) {
        parts.push({ partNumber: part.PartNumber ?? 0, size: part.Size ?? 0, etag: part.ETag ?? '' });
      }
      if (!out.IsTruncated) break;
      marker = out.NextPartNumberMarker;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: StoredPart[]): Promise<boolean> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          // Never replaces an object that verification (and onUploaded) may already have seen.
          IfNoneMatch: '*',
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
      return true;
    } catch (err) {
      if ((err as S3ServiceError).$metadata?.httpStatusCode === 412) return false;
      throw fromS3Error(err, 'The multipart upload');
    }
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    await this.call('The multipart upload', () => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId })));
  }

  async headObject(key: string): Promise<StoredObject> {
    let out;
    try {
      out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      // Without s3:ListBucket (the least-privilege policy in terraform/), S3 answers 403 instead of 404 for a
      // missing key: "not uploaded yet" is by far the likelier meaning.
      const status = (err as S3ServiceError).$metadata?.httpStatusCode;
      if (status === 403) throw new NotFoundError('No object at this key yet: upload it first.');
      // A HEAD the server cannot make on its own object: a URL holder encrypted it with their own key (SSE-C).
      if (status === 400) throw new UnreadableObjectError('The server cannot read the uploaded object (S3 answered 400, e.g. for a customer-provided encryption key).');
      throw fromS3Error(err, 'The object');
    }
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(out.Metadata ?? {})) metadata[name.toLowerCase()] = value;
    return {
      size: out.ContentLength ?? 0,
      contentType: out.ContentType ?? '',
      etag: out.ETag,
      metadata,
      contentDisposition: out.ContentDisposition,
      contentEncoding: out.ContentEncoding,
      cacheControl: out.CacheControl,
      // ExpiresString is the raw header; Expires is only set when it parses as a date.
      expires: out.ExpiresString ?? out.Expires?.toUTCString(),
      contentLanguage: out.ContentLanguage,
      websiteRedirectLocation: out.WebsiteRedirectLocation,
      tagCount: out.TagCount ?? 0,
      storageClass: out.StorageClass,
    };
  }

  async deleteObject(key: string): Promise<void> {
    await this.call('The object', () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }
}
