// The route table: which handler answers which method and path, behind authentication, with one error handler.
import express, { type RequestHandler, type Router } from 'express';
import { MethodNotAllowedError } from '../errors';
import type { Configuration } from '../options';
import { callerResolver } from '../upload/caller';
import { completeMultipart, completeUpload } from './complete';
import type { RouteContext, RouterDependencies } from './context';
import { jsonBodyParser } from './json';
import { abortMultipart, listParts, signParts, startMultipartUpload } from './multipart';
import { problemHandler } from './problem';
import { authoriseUpload, presignPutFromQuery } from './single-put';

export type { RouterDependencies } from './context';

/** Answers every other method on a known path with a 405 and its `Allow` header. */
function methodNotAllowed(allow: string): RequestHandler {
  return function uploadsMethodNotAllowed(req, _res, next) {
    next(new MethodNotAllowedError(req.method, allow));
  };
}

/**
 * Builds the upload router from a parsed configuration and its dependencies. `directUpload()` passes the real
 * signer, bucket and verifier; tests pass fakes through the same seam.
 */
export function createRouter(config: Configuration, deps: RouterDependencies): Router {
  const ctx: RouteContext = { config, presigner: deps.presigner, bucket: deps.bucket, callerOf: callerResolver(config) };
  const router = express.Router();
  const auth = deps.authenticate;
  const json = jsonBodyParser(config.bodyTimeout);
  const base = config.path;
  const under = config.path === '/' ? '' : config.path;

  router.get(base, ...auth, presignPutFromQuery(ctx));
  router.post(base, ...auth, json, authoriseUpload(ctx));
  router.all(base, methodNotAllowed('GET, POST'));
  router.post(`${under}/complete`, ...auth, json, completeUpload(ctx));
  router.all(`${under}/complete`, methodNotAllowed('POST'));
  if (config.multipart) {
    router.post(`${under}/multipart`, ...auth, json, startMultipartUpload(ctx));
    router.delete(`${under}/multipart`, ...auth, abortMultipart(ctx));
    router.all(`${under}/multipart`, methodNotAllowed('POST, DELETE'));
    router.post(`${under}/multipart/parts`, ...auth, json, signParts(ctx));
    router.get(`${under}/multipart/parts`, ...auth, listParts(ctx));
    router.all(`${under}/multipart/parts`, methodNotAllowed('GET, POST'));
    router.post(`${under}/multipart/complete`, ...auth, json, completeMultipart(ctx));
    router.all(`${under}/multipart/complete`, methodNotAllowed('POST'));
  }
  router.use(problemHandler((err, mapped) => config.onError(err, mapped.status)));
  return router;
}
