// The router built through its dependency seam, with a signer and a bucket that record every call: handler tests without S3.
// The only test file that imports the middleware's internals; when they move, re-point the imports here.
import express, { type Express, type RequestHandler } from 'express';
import { NotFoundError } from '../../middleware/errors';
import { authenticationHandlers } from '../../middleware/http/auth';
import { createRouter } from '../../middleware/http/routes';
import { parseOptions, type Configuration, type DirectUploadOptions } from '../../middleware/options';
import type { PostPolicyInput, PostPolicySigner, PresignedPost } from '../../middleware/s3/post-policy';
import type { BucketClient, NewMultipartUpload, ObjectCopy, ObjectPage, StoredObject, StoredPart } from '../../middleware/s3/bucket';
import type { PresignInput, UrlSigner } from '../../middleware/s3/presigner';
import { ownerPrefix } from '../../middleware/upload/keys';

export { NotFoundError, StorageUnavailableError, RateLimitedError } from '../../middleware/errors';
export { sendProblem } from '../../middleware/http/problem';
export type { StoredObject, StoredPart } from '../../middleware/s3/bucket';

/** Header the test auth handler reads the caller's identity from. */
export const SUB_HEADER = 'x-test-sub';
/** Header the test auth handler reads the token's space-separated scopes from. */
export const SCOPE_HEADER = 'x-test-scope';
export const BUCKET = 'test-bucket';
export const MiB = 1024 * 1024;

/**
 * The documented custom-auth mode (`auth: RequestHandler`): the host authenticates and sets `req.auth`. Here the
 * identity is a test header; without it the request is anonymous, as after an auth handler that lets it through.
 */
export const headerAuth: RequestHandler = function authenticateFromTestHeader(req, _res, next) {
  const sub = req.header(SUB_HEADER);
  if (sub !== undefined) (req as unknown as { auth: unknown }).auth = { payload: { sub, scope: req.header(SCOPE_HEADER) ?? '' } };
  next();
};

/** A signer that records what it was asked to sign and returns a URL naming the key and the call. */
export class FakeSigner implements UrlSigner {
  readonly calls: PresignInput[] = [];
  constructor(readonly bucket: string) {}
  async presign(input: PresignInput): Promise<string> {
    this.calls.push(input);
    return `https://s3.test/${this.bucket}/${input.key}?call=${this.calls.length}`;
  }
}

/** A POST-policy signer that records what it was asked to pin and answers the fields it was given. */
export class FakePostSigner implements PostPolicySigner {
  readonly calls: PostPolicyInput[] = [];
  constructor(readonly bucket: string) {}
  async presignPost(input: PostPolicyInput): Promise<PresignedPost> {
    this.calls.push(input);
    return { url: `https://s3.test/${this.bucket}`, fields: { key: input.key, ...input.fields, policy: `call-${this.calls.length}` } };
  }
}

/** One call the router made to the bucket. */
export interface BucketCall {
  op: 'createMultipartUpload' | 'listParts' | 'completeMultipartUpload' | 'abortMultipartUpload' | 'headObject' | 'deleteObject' | 'copyObject' | 'listObjects';
  args: unknown[];
}

/** A multipart upload the fake bucket holds. */
export interface FakeUpload {
  key: string;
  parts: StoredPart[];
  /** What the upload was created with; the completed object carries it. */
  created: NewMultipartUpload;
}

/**
 * An in-memory bucket with BucketClient's contract: missing uploads and objects throw NotFoundError (as the real
 * one maps NoSuchUpload/NoSuchKey), and `failures` scripts any other error for a call (e.g. StorageUnavailableError).
 */
export class FakeBucket implements BucketClient {
  readonly calls: BucketCall[] = [];
  readonly objects = new Map<string, StoredObject>();
  readonly uploads = new Map<string, FakeUpload>();
  readonly failures: Partial<Record<BucketCall['op'], Error>> = {};
  private nextId = 1;

  private record(op: BucketCall['op'], ...args: unknown[]): void {
    this.calls.push({ op, args });
    const failure = this.failures[op];
    if (failure) throw failure;
  }

  /** The names of the calls made, in order. */
  ops(): string[] {
    return this.calls.map((c) => c.op);
  }

  async createMultipartUpload(input: NewMultipartUpload): Promise<string> {
    this.record('createMultipartUpload', input);
    const uploadId = `upload-${this.nextId++}`;
    this.uploads.set(uploadId, { key: input.key, parts: [], created: input });
    return uploadId;
  }

  async listParts(key: string, uploadId: string): Promise<StoredPart[]> {
    this.record('listParts', key, uploadId);
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.key !== key) throw new NotFoundError('The multipart upload was not found in the bucket.');
    return [...upload.parts].sort((a, b) => a.partNumber - b.partNumber);
  }

  /** Like S3 with `If-None-Match: *`: false, and the upload stays, when an object already exists at the key. */
  async completeMultipartUpload(key: string, uploadId: string, parts: StoredPart[]): Promise<boolean> {
    this.record('completeMultipartUpload', key, uploadId, parts);
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.key !== key) throw new NotFoundError('The multipart upload was not found in the bucket.');
    if (this.objects.has(key)) return false;
    this.uploads.delete(uploadId);
    const size = parts.reduce((sum, p) => sum + p.size, 0);
    const { contentType, contentDisposition, metadata } = upload.created;
    this.objects.set(key, { size, contentType, contentDisposition, etag: `"multipart-${parts.length}"`, metadata, tagCount: 0 });
    return true;
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    this.record('abortMultipartUpload', key, uploadId);
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.key !== key) throw new NotFoundError('The multipart upload was not found in the bucket.');
    this.uploads.delete(uploadId);
  }

  async headObject(key: string): Promise<StoredObject> {
    this.record('headObject', key);
    const object = this.objects.get(key);
    if (!object) throw new NotFoundError('The object was not found in the bucket.');
    return object;
  }

  async deleteObject(key: string): Promise<void> {
    this.record('deleteObject', key);
    this.objects.delete(key);
  }

  /** Keys under `prefix` after `startAfter`, in key order, `limit` at a time, as ListObjectsV2 pages them. */
  async listObjects(prefix: string, limit: number, startAfter?: string): Promise<ObjectPage> {
    this.record('listObjects', prefix, limit, startAfter);
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix) && (startAfter === undefined || key > startAfter)).sort();
    const objects = keys.slice(0, limit).map((key) => ({ key, size: this.objects.get(key)!.size, etag: this.objects.get(key)!.etag }));
    return { objects, truncated: keys.length > limit };
  }

  /** Copies the object with its metadata, as CopyObject does; a missing source throws NotFoundError. */
  async copyObject(input: ObjectCopy): Promise<void> {
    this.record('copyObject', input);
    const object = this.objects.get(input.from);
    if (!object) throw new NotFoundError('The object was not found in the bucket.');
    this.objects.set(input.to, { ...object, metadata: { ...object.metadata } });
  }
}

/** An object as HeadObject describes it: these fields over a plain PNG of 500 bytes with no metadata and no tags. */
export function storedObject(fields: Partial<StoredObject> = {}): StoredObject {
  return { size: 500, contentType: 'image/png', metadata: {}, ...fields, tagCount: fields.tagCount ?? 0 };
}

/** What an error handler saw: onError's arguments. */
export interface ReportedError {
  err: unknown;
  status: number;
}

export interface FakeApp {
  app: Express;
  signer: FakeSigner;
  bucket: FakeBucket;
  /** Every error the router reported to `onError`. */
  errors: ReportedError[];
  config: Configuration;
}

/** The options every test starts from: the header auth, a region, static credentials; no network is ever used. */
export function baseOptions(overrides: Partial<DirectUploadOptions> = {}): DirectUploadOptions {
  return {
    bucket: BUCKET,
    region: 'us-east-1',
    s3: { credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } },
    auth: headerAuth,
    // The owner's file routes (on by default) add the filename as signed metadata to every upload that names one;
    // these tests pin the upload headers without it. test/integration/files.test.ts covers uploads with them on.
    files: false,
    ...overrides,
  };
}

/**
 * An express() app with the router mounted on fakes; `onError` is recorded unless the test passes its own.
 * `before` are host middleware mounted ahead of the router, e.g. the host's own express.json().
 */
export function fakeApp(overrides: Partial<DirectUploadOptions> = {}, before: RequestHandler[] = []): FakeApp {
  const errors: ReportedError[] = [];
  const config = parseOptions(baseOptions({ onError: (err, status) => errors.push({ err, status }), ...overrides }));
  const signer = new FakeSigner(config.bucket);
  const bucket = new FakeBucket();
  const app = express();
  for (const handler of before) app.use(handler);
  app.use(
    createRouter(config, {
      presigner: signer,
      postPolicy: new FakePostSigner(config.bucket),
      bucket,
      authenticate: authenticationHandlers(config),
    }),
  );
  return { app, signer, bucket, errors, config };
}

/** The folder a caller's keys live in, as the router derives it. */
export function folderOf(sub: string, keyPrefix = 'uploads/'): string {
  return ownerPrefix(keyPrefix, sub);
}

/** Asserts an RFC 9457 answer with this status and code, and returns its body. */
export function expectProblem(res: { status: number; headers: Record<string, string>; body: Record<string, unknown> }, status: number, code: string): Record<string, unknown> {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.body.status).toBe(status);
  expect(res.body.type).toBe(`urn:express-direct-upload:problem:${code}`);
  return res.body;
}
