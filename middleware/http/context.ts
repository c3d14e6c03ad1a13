// What every route handler is built from: the configuration, the injected S3 seams, and the caller check.
import type { Request, RequestHandler, Response } from 'express';
import type { Configuration } from '../options';
import type { BucketClient } from '../s3/bucket';
import type { UrlSigner } from '../s3/presigner';
import type { Caller } from '../upload/caller';

/** What the router needs besides its configuration; injected so it reads no globals, and so tests can pass fakes. */
export interface RouterDependencies {
  /** Signs URLs locally; no network. */
  presigner: UrlSigner;
  /** The server's own S3 calls: multipart bookkeeping and verification. */
  bucket: BucketClient;
  /** Runs before every route: authentication and scope checks. */
  authenticate: RequestHandler[];
}

/** Handed to each handler factory: everything a handler reads besides the request. */
export interface RouteContext {
  config: Configuration;
  presigner: UrlSigner;
  bucket: BucketClient;
  /** The caller of a request; a 401 when `owner` names nobody. */
  callerOf: (req: Request) => Caller;
}

/** Express 4 does not catch rejected promises: this forwards them to the error handler, and keeps the handler's name for stack traces. */
export function asyncHandler(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  const handler: RequestHandler = (req, res, next) => {
    fn(req, res).catch(next);
  };
  Object.defineProperty(handler, 'name', { value: fn.name });
  return handler;
}

/** The ISO time at which URLs signed at `now` expire. */
export function expiresAt(config: Pick<Configuration, 'expiresIn'>, now: Date): string {
  return new Date(now.getTime() + config.expiresIn * 1000).toISOString();
}
