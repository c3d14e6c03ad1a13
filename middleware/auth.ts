// Builds the authentication step once: express-oauth2-jwt-bearer with explicit settings, plus the scope check.
import type { RequestHandler } from 'express';
import { auth as jwtBearer, requiredScopes as scopesRequired, UnauthorizedError as BearerError, type AuthOptions } from 'express-oauth2-jwt-bearer';
import { AuthUnavailableError } from './errors';
import type { Configuration } from './options';

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

/**
 * express-oauth2-jwt-bearer reports every failure as invalid_token, including its own failure to fetch discovery or
 * the JWKS. Those are outages, not bad tokens: these messages (from the library and from jose) tell them apart.
 */
const PROVIDER_UNREACHABLE = /Failed to fetch authorization server metadata|Failed to parse the response from|Expected 200 OK from the JSON Web Key Set|request timed out|ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|socket hang up/;

/** The handlers that run before every route: authentication (unless off), then the required scopes. */
export function authenticationHandlers(config: Pick<Configuration, 'auth' | 'requiredScopes'>): RequestHandler[] {
  if (config.auth === false) return [];
  const handlers: RequestHandler[] = [];
  if (typeof config.auth === 'function') {
    handlers.push(config.auth);
  } else {
    const verify = jwtBearer(withoutEnvironmentFallback(config.auth));
    handlers.push(function authenticateBearerToken(req, res, next) {
      verify(req, res, (err?: unknown) => {
        // Discovery or the JWKS could not be fetched: a 503, not the caller's fault.
        if (err && (!(err instanceof BearerError) || PROVIDER_UNREACHABLE.test(err.message))) {
          return next(new AuthUnavailableError('The identity provider could not be reached to verify the token. Try again later.'));
        }
        next(err as Error | undefined);
      });
    });
  }
  if (config.requiredScopes.length > 0) handlers.push(scopesRequired(config.requiredScopes));
  return handlers;
}
