// Builds the authentication step once: express-oauth2-jwt-bearer with explicit settings and keys fetched within deadlines, then the scope check.
import type { Request, RequestHandler } from 'express';
import { auth as jwtBearer, requiredScopes as scopesRequired, type AuthOptions } from 'express-oauth2-jwt-bearer';
import { AuthUnavailableError, BadRequestError } from '../errors';
import type { Configuration } from '../options';
import { IdentityProvider, tokenHeader, type ProviderKeys } from './identity-provider';

/** express-oauth2-jwt-bearer's defaults for how long fetched documents are kept and how often an unknown kid may refetch. */
const LIBRARY_CACHE_MAX_AGE = 600_000;
const LIBRARY_COOLDOWN = 30_000;

/**
 * express-oauth2-jwt-bearer falls back to ISSUER_BASE_URL, AUDIENCE, ISSUER, JWKS_URI, SECRET and TOKEN_SIGNING_ALG
 * from the environment for any of these left undefined. `null` is not undefined, so it turns that fallback off:
 * only what the options say is used.
 */
function withoutEnvironmentFallback(options: AuthOptions): AuthOptions {
  const explicit = { ...options } as Record<string, unknown>;
  for (const name of ['issuerBaseURL', 'issuer', 'jwksUri', 'audience', 'secret', 'tokenSigningAlg']) {
    if (explicit[name] === undefined) explicit[name] = null;
  }
  return explicit as AuthOptions;
}

/** The token of `Authorization: Bearer <token>` (or DPoP), by the verifier's own rule; undefined when there is none. */
function headerToken(req: Request): string | undefined {
  const authorization = req.headers.authorization;
  if (typeof authorization !== 'string' || authorization.split(' ').length !== 2) return undefined;
  return /^(?:Bearer|DPoP) (.+)$/i.exec(authorization)?.[1];
}

/** Refuses `?access_token=`: a token in a URL ends up in access logs, browser history and Referer headers. */
const refuseTokenInUrl: RequestHandler = function refuseTokenInUrl(req, _res, next) {
  // Without a '?' there is no query string. Express 5 parses req.query afresh on every read: skip it then (POST routes).
  if (!req.url.includes('?')) return next();
  const query = req.query as Record<string, unknown> | undefined;
  if (query && Object.prototype.hasOwnProperty.call(query, 'access_token')) {
    return next(new BadRequestError('Tokens do not belong in URLs. Send the access token in the Authorization header: Authorization: Bearer <token>.'));
  }
  next();
};

/** Settles with `promise`, or fails with `late()` after `ms`, whichever comes first. */
function within<T>(promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The bearer-token step. With `secret` or `publicKey` the verifier needs no network and is used as configured.
 * Otherwise the issuer (by discovery, unless `issuer` + `jwksUri` are given) and its JWKS come from an
 * IdentityProvider, within `authTimeout`, and express-oauth2-jwt-bearer verifies the token against that key set:
 * the library then makes no request of its own, so every outage is ours to see, by class.
 */
function bearerTokenVerifier(options: AuthOptions, authTimeout: number): RequestHandler {
  const explicit = withoutEnvironmentFallback(options);
  if (options.secret || options.publicKey) return jwtBearer(explicit);

  const provider = new IdentityProvider({
    issuerBaseURL: options.issuerBaseURL,
    issuer: options.issuer,
    jwksUri: options.jwksUri,
    timeout: authTimeout,
    cacheMaxAge: options.cacheMaxAge ?? LIBRARY_CACHE_MAX_AGE,
    cooldown: options.cooldownDuration ?? LIBRARY_COOLDOWN,
    agent: options.agent,
  });
  const forKeys = (keys: ProviderKeys | undefined): RequestHandler =>
    jwtBearer({ ...explicit, issuerBaseURL: null, jwksUri: null, issuer: keys?.issuer ?? 'urn:express-direct-upload:no-issuer-yet', publicKey: keys?.jwks ?? { keys: [] } } as unknown as AuthOptions);
  // For requests without a readable token: the library's own answers (no token, malformed header, not a JWT), no fetch.
  const keyless = forKeys(undefined);
  let current: { keys: ProviderKeys; verify: RequestHandler } | undefined;
  const verifierFor = (keys: ProviderKeys): RequestHandler => {
    if (current?.keys.jwks !== keys.jwks || current.keys.issuer !== keys.issuer) current = { keys, verify: forKeys(keys) };
    return current.verify;
  };
  const late = () => new AuthUnavailableError(`The identity provider did not answer within ${authTimeout} ms. Try again later.`);

  return function authenticateBearerToken(req, res, next) {
    const token = headerToken(req);
    const header = token === undefined ? undefined : tokenHeader(token);
    if (token === undefined || header === undefined) return keyless(req, res, next);
    // The usual case: keys already fetched and fresh. Nothing to wait for, so no deadline timer and no promise chain.
    const cached = provider.cachedKeysFor(header);
    if (cached) {
      try {
        const verified: unknown = verifierFor(cached)(req, res, next);
        if (verified instanceof Promise) verified.catch(next);
      } catch (err) {
        next(err);
      }
      return;
    }
    within(provider.keysFor(token), authTimeout, late).then(
      (keys) => verifierFor(keys)(req, res, next),
      (err: unknown) => next(err instanceof AuthUnavailableError ? err : new AuthUnavailableError('The identity provider could not be used to verify the token. Try again later.', { cause: err })),
    ).catch(next);
  };
}

/** The handlers that run before every route: authentication (unless off), then the required scopes. */
export function authenticationHandlers(config: Pick<Configuration, 'auth' | 'requiredScopes' | 'authTimeout'>): RequestHandler[] {
  if (config.auth === false) return [];
  const handlers: RequestHandler[] = [];
  if (typeof config.auth === 'function') {
    handlers.push(config.auth);
  } else {
    handlers.push(refuseTokenInUrl, bearerTokenVerifier(config.auth, config.authTimeout));
  }
  if (config.requiredScopes.length > 0) handlers.push(scopesRequired(config.requiredScopes));
  return handlers;
}
