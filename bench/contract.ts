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
  /** Diagnostic: (a) plus express.json() reading the body, as POST /uploads does. */
  json: '/diag/json',
  /** Diagnostic: (a) plus a hand-rolled body reader ('data'/'end', JSON.parse): what reading the body must cost. */
  leanJson: '/diag/lean-json',
  /** Diagnostic: directUpload()'s router with a signer that returns a fixed URL of the same length: everything but signing. */
  unsigned: '/diag/unsigned/uploads',
  /** Diagnostic: the same router with the real signer but the shared auth() instance of (a). */
  signed: '/diag/signed/uploads',
  /** Diagnostic: POST /uploads with a lean body reader, a cached owner folder and no ETag (bench/lean-presign.ts). */
  lean: '/diag/lean/uploads',
  /** Diagnostic: lean, but reading the body with express.json() again. */
  leanExpressJson: '/diag/lean-express-json/uploads',
  /** Diagnostic: lean, but answering with res.json() (and its ETag) again. */
  leanResJson: '/diag/lean-res-json/uploads',
  /** The proxying upload baseline. */
  proxy: '/proxy-uploads',
} as const;
