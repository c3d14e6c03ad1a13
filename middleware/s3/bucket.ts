// The few calls the server itself makes to S3 (multipart bookkeeping and verify-after-upload), with S3 errors mapped to ours.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  type S3Client,
  type ObjectCannedACL,
} from '@aws-sdk/client-s3';
import { NotFoundError, StorageUnavailableError, UploadMismatchError, type DirectUploadError } from '../errors';
import type { ChecksumSpec } from '../upload/checksum';

/** HeadObject refused the server's own request for an object that exists: the object is not what the server authorised. */
export class UnreadableObjectError extends UploadMismatchError {}

/** One uploaded part as S3 lists it. */
export interface StoredPart {
  partNumber: number;
  size: number;
  etag: string;
  /** The part's checksum as S3 holds it, with the `checksum` option (S3's field names); absent otherwise. */
  checksumSHA256?: string;
  checksumCRC64NVME?: string;
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
  /** The algorithm (and how parts combine) that every part must then carry a checksum of; none when undefined. */
  checksum?: ChecksumSpec;
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
  /** Copies an object of at most 5 GiB within the bucket, metadata included (releases a quarantined upload). */
  copyObject(input: ObjectCopy): Promise<void>;
}

/** One server-side copy within the bucket: everything the copy must carry that CopyObject does not copy by itself. */
export interface ObjectCopy {
  from: string;
  to: string;
  /** CopyObject never copies ACLs: a public-read upload must be given its ACL again. */
  acl?: ObjectCannedACL;
  /** Keeps a checksum of the configured algorithm on the copy. */
  checksum?: ChecksumSpec;
}

/** `x-amz-copy-source`: the bucket and the URL-encoded key (each segment; `/` stays a separator). */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
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
    /** Deadline in ms of one whole call, the SDK's retries included; undefined leaves the client's own timeouts alone. */
    private readonly callTimeout?: number,
  ) {}

  /** Per-call options: the SDK retries a timed-out attempt, so only an abort signal bounds a call as a whole. */
  private get sendOptions(): { abortSignal?: AbortSignal } {
    return this.callTimeout === undefined ? {} : { abortSignal: AbortSignal.timeout(this.callTimeout) };
  }

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
          ...(input.checksum ? { ChecksumAlgorithm: input.checksum.algorithm, ChecksumType: input.checksum.multipartType } : {}),
        }),
        this.sendOptions,
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
        this.client.send(new ListPartsCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }), this.sendOptions),
      );
      for (const part of out.Parts ?? []) {
        parts.push({
          partNumber: part.PartNumber ?? 0,
          size: part.Size ?? 0,
          etag: part.ETag ?? '',
          ...(part.ChecksumSHA256 ? { checksumSHA256: part.ChecksumSHA256 } : {}),
          ...(part.ChecksumCRC64NVME ? { checksumCRC64NVME: part.ChecksumCRC64NVME } : {}),
        });
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
          // An upload started with a checksum algorithm completes only with each part's checksum, as ListParts gave it.
          MultipartUpload: {
            Parts: parts.map((p) => ({
              PartNumber: p.partNumber,
              ETag: p.etag,
              ...(p.checksumSHA256 ? { ChecksumSHA256: p.checksumSHA256 } : {}),
              ...(p.checksumCRC64NVME ? { ChecksumCRC64NVME: p.checksumCRC64NVME } : {}),
            })),
          },
        }),
        this.sendOptions,
      );
      return true;
    } catch (err) {
      if ((err as S3ServiceError).$metadata?.httpStatusCode === 412) return false;
      throw fromS3Error(err, 'The multipart upload');
    }
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    await this.call('The multipart upload', () => this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }), this.sendOptions));
  }

  async headObject(key: string): Promise<StoredObject> {
    let out;
    try {
      out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), this.sendOptions);
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

  async copyObject(input: ObjectCopy): Promise<void> {
    await this.call('The object', () =>
      this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: input.to,
          CopySource: copySource(this.bucket, input.from),
          // Content-Type, Content-Disposition and x-amz-meta-* (the declared size among them) travel with the bytes.
          MetadataDirective: 'COPY',
          // Tags (a scanner's verdict on the incoming object) stay behind: copying them needs tagging permissions.
          TaggingDirective: 'REPLACE',
          ACL: input.acl,
          ...(input.checksum ? { ChecksumAlgorithm: input.checksum.algorithm } : {}),
        }),
      ),
    );
  }

  async deleteObject(key: string): Promise<void> {
    await this.call('The object', () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), this.sendOptions));
  }
}
