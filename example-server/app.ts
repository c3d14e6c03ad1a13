// Composes the example Express app: helmet with a CSP that allows the S3 origin, the static page and its upload client, directUpload(), sign-in config, health.
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { BadRequestError, sendProblem, type DirectUploadOptions } from '../middleware';
import { routerDependencies } from '../middleware/dependencies';
import { isJsonContentType, jsonBodyParser } from '../middleware/http/json';
import { toDirectUploadError } from '../middleware/http/problem';
import { createRouter } from '../middleware/http/routes';
import { parseOptions } from '../middleware/options';
import { Presigner } from '../middleware/s3/presigner';
import { isDevIssuer, type DevIssuer } from '../dev/issuer';
import { s3ClientConfig, type S3Connection } from '../dev/s3-connection';
import { serveClientModules } from './client-module';
import type { UploadPolicySettings } from './config';
import { fromExpressError, RouteNotFoundError } from './http-errors';

/** Who signs users in: a real Auth0 tenant, or the development issuer running in this process. */
export type Identity =
  | { kind: 'auth0'; issuerBaseURL: string; audience: string; clientId: string }
  | { kind: 'dev'; issuer: DevIssuer };

export interface AppOptions {
  bucket: string;
  /** Where the bucket is: its region, plus `endpoint` and `forcePathStyle` for S3-compatible stores, `credentials` when not from the environment. */
  s3: S3Connection;
  keyPrefix: string;
  publicRead: boolean;
  policy: UploadPolicySettings;
  identity: Identity;
  /** Folder of the static page. It defaults to `public/` at the repository root. */
  publicDir?: string;
  /** Parallel part uploads the page uses for multipart. It defaults to 4. */
  partConcurrency?: number;
  /** Offer multipart uploads. It defaults to true; s3rver cannot list or abort parts, so embedded mode on s3rver turns them off. */
  multipart?: boolean;
}

export interface ExampleApp {
  app: Express;
  /** The origin browsers PUT to, as allowed in the CSP `connect-src`. */
  s3Origin: string;
  /** What `GET /config.json` tells the page. */
  pageConfig: PageConfig;
}

/** The page's settings, served at `GET /config.json`: no secrets, only what a browser needs to sign in and upload. */
export interface PageConfig {
  signIn: 'dev' | 'auth0';
  auth0?: { domain: string; clientId: string; audience: string };
  uploadsPath: string;
  maxFileSize: number;
  allowedContentTypes: string[];
  partConcurrency: number;
}

export const DEFAULT_PUBLIC_DIR = path.resolve(__dirname, '..', 'public');
export const DEFAULT_PART_CONCURRENCY = 4;

/** Development user names: short and URL-safe, so they read well in a `sub` claim and a log line. */
const DEV_USER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Placeholder keys for the origin probe: signing is local and the URL is thrown away. */
const PROBE_CREDENTIALS = Object.freeze({ accessKeyId: 'ORIGIN-PROBE', secretAccessKey: 'ORIGIN-PROBE' });

/**
 * The origin presigned URLs point at, found by signing a throwaway URL with the router's own client configuration
 * (endpoint, region, path style), so the CSP and the URLs can never disagree. Only the credentials are swapped for
 * placeholders, so start-up never waits on the SDK's credential chain (an instance-metadata lookup, say).
 */
export async function s3OriginFor(client: S3Client, bucket: string): Promise<string> {
  const probe = { config: { ...client.config, credentials: async () => PROBE_CREDENTIALS } } as unknown as S3Client;
  const url = await new Presigner(probe, bucket).presign({ method: 'PUT', key: 'probe', expiresIn: 1, signingDate: new Date() });
  return new URL(url).origin;
}

function directUploadOptions(options: AppOptions): DirectUploadOptions {
  const { policy, identity } = options;
  const auth =
    identity.kind === 'auth0'
      ? { issuerBaseURL: identity.issuerBaseURL, audience: identity.audience }
      : { issuerBaseURL: identity.issuer.url, audience: identity.issuer.audience };
  const multipart =
    policy.multipartThreshold !== undefined || policy.multipartPartSize !== undefined
      ? { threshold: policy.multipartThreshold, partSize: policy.multipartPartSize }
      : undefined;
  return {
    bucket: options.bucket,
    region: options.s3.region,
    s3: s3ClientConfig(options.s3),
    auth,
    keyPrefix: options.keyPrefix,
    ...(options.publicRead ? { acl: 'public-read' as const } : {}),
    ...(policy.maxFileSize !== undefined ? { maxFileSize: policy.maxFileSize } : {}),
    ...(policy.allowedContentTypes !== undefined ? { allowedContentTypes: policy.allowedContentTypes } : {}),
    ...(policy.expiresIn !== undefined ? { expiresIn: policy.expiresIn } : {}),
    ...(options.multipart === false ? { multipart: false as const } : multipart ? { multipart } : {}),
  };
}

/**
 * The development login: swaps a user name for a token from the in-process dev issuer. It exists only when the
 * identity is a DevIssuer object started in this process, so no configuration value can switch it on.
 */
function devLogin(issuer: DevIssuer): RequestHandler {
  return function devLoginHandler(req, res, next) {
    if (!isJsonContentType(req.headers['content-type'])) return next(new BadRequestError('Send {"name": "..."} as JSON with Content-Type: application/json.'));
    const name = (req.body as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !DEV_USER_NAME.test(name)) {
      return next(new BadRequestError('Pick a user name of 1-64 letters, digits, dots, dashes or underscores.'));
    }
    issuer.issue({ sub: `dev|${name}` }).then((token) => {
      res.setHeader('Cache-Control', 'no-store');
      res.json({ access_token: token, token_type: 'Bearer', expires_in: 3600, user: name });
    }, next);
  };
}

export async function createApp(options: AppOptions): Promise<ExampleApp> {
  const { identity } = options;
  if (identity.kind === 'dev' && !isDevIssuer(identity.issuer)) {
    throw new Error('identity.kind "dev" needs the DevIssuer object returned by startDevIssuer() in this process.');
  }
  // Parsed once: the router, the page's limits and the CSP's S3 origin all come from this one configuration and its one S3 client.
  const effective = parseOptions(directUploadOptions(options));
  const uploads = createRouter(effective, routerDependencies(effective));
  const s3Origin = await s3OriginFor(effective.s3, effective.bucket);
  const auth0Origin = identity.kind === 'auth0' ? new URL(identity.issuerBaseURL).origin : undefined;

  const pageConfig: PageConfig = {
    signIn: identity.kind,
    ...(identity.kind === 'auth0'
      ? { auth0: { domain: new URL(identity.issuerBaseURL).host, clientId: identity.clientId, audience: identity.audience } }
      : {}),
    uploadsPath: effective.path,
    maxFileSize: effective.maxFileSize,
    allowedContentTypes: effective.allowedContentTypes.map((p) => `${p.type}/${p.subtype}`),
    partConcurrency: options.partConcurrency ?? DEFAULT_PART_CONCURRENCY,
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          // Previews are object URLs of the user's own files.
          imgSrc: ["'self'", 'data:', 'blob:'],
          // The page talks to itself, to S3 (the PUTs) and, with Auth0, to the tenant's /oauth/token.
          connectSrc: ["'self'", s3Origin, ...(auth0Origin ? [auth0Origin] : [])],
          // auth0-spa-js renews tokens silently in a hidden iframe on the tenant.
          frameSrc: auth0Origin ? [auth0Origin] : ["'none'"],
          formAction: ["'self'"],
          // Over plain http (local S3, dev issuer) upgrading would turn every PUT into a failing https request.
          upgradeInsecureRequests: s3Origin.startsWith('https:') ? [] : null,
        },
      },
    }),
  );

  app.get('/healthz', function healthz(_req, res) {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  app.get('/config.json', function pageConfigHandler(_req, res) {
    res.setHeader('Cache-Control', 'no-store');
    res.json(pageConfig);
  });
  if (identity.kind === 'dev') {
    // The router's own JSON reader: bad JSON, a foreign charset, Content-Encoding or an oversized body are a 400 or 413.
    app.post('/dev-login', jsonBodyParser(), devLogin(identity.issuer));
  }

  app.use(uploads);

  app.use(express.static(options.publicDir ?? DEFAULT_PUBLIC_DIR));
  // The page imports express-direct-upload/client from here (same origin, so the CSP's script-src 'self' allows it).
  app.use('/client', serveClientModules());
  if (identity.kind === 'auth0') {
    // The SPA SDK's browser bundle, straight from node_modules: no build step and no CDN.
    const sdkDir = path.join(path.dirname(require.resolve('@auth0/auth0-spa-js')), '..');
    app.use('/vendor/auth0-spa-js', express.static(sdkDir, { index: false }));
  }

  app.use(function routeNotFound(req, _res, next) {
    next(new RouteNotFoundError(`Nothing here: ${req.method} ${req.path}.`));
  });
  const problems: ErrorRequestHandler = function exampleProblemHandler(err, req, res, next) {
    if (res.headersSent) return next(err);
    const mapped = toDirectUploadError(fromExpressError(err));
    if (mapped.status >= 500) console.error('example-server:', err);
    sendProblem(res, mapped, req.path);
  };
  app.use(problems);

  return { app, s3Origin, pageConfig };
}
