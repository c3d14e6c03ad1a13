// TEMPORARY type shim for `express-direct-upload/client`, whose source is not on this branch yet (it is on main).
// It declares only what this plugin uses, as main's client/index.ts and client/errors.ts define it. Delete this
// file once the branch has client/: the import then resolves to the real module (see tsconfig.json "paths").
declare module 'express-direct-upload/client' {
  export class UploadError extends Error {
    readonly retryable: boolean;
  }
  export class UploadProblemError extends UploadError {
    readonly status: number;
    readonly code: string;
    readonly title: string;
    readonly detail: string;
    readonly errors: Array<{ field: string; detail: string }>;
    readonly retryAfter?: number;
  }
  export class UploadCancelledError extends UploadError {}
  export interface VerifiedUpload {
    key: string;
    size: number;
    contentType: string;
    etag?: string;
  }
  export interface UploadResult extends VerifiedUpload {
    method: 'PUT' | 'MULTIPART';
    verified: boolean;
  }
  export interface UploadOptions {
    contentType?: string;
    filename?: string;
    onProgress?: (loaded: number, total: number) => void;
    onStart?: (started: { key: string; method: 'PUT' | 'MULTIPART'; resumed: boolean }) => void;
    signal?: AbortSignal;
  }
  export interface UploadClientOptions {
    baseUrl?: string;
    path?: string;
    getToken?: () => Promise<string | undefined> | string | undefined;
    fetch?: typeof fetch;
    partConcurrency?: number;
  }
  export interface UploadClient {
    upload(file: Blob, options?: UploadOptions): Promise<UploadResult>;
  }
  export function createUploadClient(options?: UploadClientOptions): UploadClient;
}
