// What the bench orchestrator and its app server child agree on: configuration, IPC messages and route paths.

/** What run.ts passes to the server child in BENCH_SERVER_CONFIG. */
export interface BenchServerConfig {
  issuerBaseURL: string;
  audience: string;
  bucket: string;
  s3: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
}

/** Requests run.ts sends over IPC; the reply carries the same `id`. */
export type ServerRequest = { id: number; op: 'meter-start' } | { id: number; op: 'meter-stop' } | { id: number; op: 'clock' };

export const ROUTES = {
  /** (a) auth() and a tiny JSON answer. */
  noop: '/noop',
  /** (b) directUpload()'s POST /uploads. */
  presign: '/uploads',
  /** (c) the same, signed with getSignedUrl(). */
  naive: '/naive-uploads',
  /** The proxying upload baseline. */
  proxy: '/proxy-uploads',
} as const;
