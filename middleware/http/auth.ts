// Builds the authentication step once: express-oauth2-jwt-bearer with explicit settings, the scope check, and outage detection.
import http, { type Agent as HttpAgent, type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { RequestHandler } from 'express';
import {
  auth as jwtBearer,
  requiredScopes as scopesRequired,
  InvalidTokenError as BearerTokenError,
  UnauthorizedError as BearerError,
  type AuthOptions,
} from 'express-oauth2-jwt-bearer';
import { AuthUnavailableError } from '../errors';
import type { Configuration } from '../options';

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

/** `https:` for `https://tenant.auth0.com/`; undefined for a malformed URL. */
function schemeOf(url: string): string | undefined {
  try {
    return new URL(url).protocol;
  } catch {
    return undefined;
  }
}

/**
 * The verifier's own requests to the identity provider (discovery document, JWKS), as seen on the wire.
 *
 * express-oauth2-jwt-bearer rethrows every verification failure as `InvalidTokenError(message)`: a refused
 * connection, a timeout (jose's `JWKSTimeout`) or a 5xx from the JWKS (jose's `JOSEError`) lose their class, `code`
 * and `cause` there, and discovery failures are already reduced to one message before that. The message is no
 * evidence either, since it can quote the token (`alg`, `crit`). So the evidence is taken where it is still typed:
 * an `error` event (a Node system error), a `timeout`, or a status other than 200 on one of these requests.
 */
export class ProviderFetches {
  /** Failed fetches so far. */
  failures = 0;
  /** Whether the latest fetch that finished failed; a success (say, the second discovery path) clears it. */
  lastFailed = false;

  private readonly fail = (): void => {
    this.failures += 1;
    this.lastFailed = true;
  };

  /** Watches one request of the verifier. */
  observe(request: ClientRequest): void {
    request.on('error', this.fail);
    request.on('timeout', this.fail);
    request.on('response', (response: IncomingMessage) => {
      if (response.statusCode === 200) this.lastFailed = false;
      else this.fail();
    });
  }

  /**
   * The agent to give the verifier: the configured one (or Node's global agent for the issuer's scheme) behind a
   * proxy that shows each request to `observe` first. Undefined, leaving the verifier's default, when the scheme
   * is unknown or the configured URLs mix schemes (one agent serves one scheme). OpenID Connect Discovery requires
   * the JWKS to be served over https like the issuer, so one scheme covers both fetches.
   */
  agentFor(options: AuthOptions): HttpAgent | undefined {
    const schemes = new Set([options.issuerBaseURL, options.jwksUri].filter((url) => typeof url === 'string').map((url) => schemeOf(url as string)));
    const [scheme] = schemes;
    const target = options.agent ?? (scheme === 'https:' ? https.globalAgent : scheme === 'http:' ? http.globalAgent : undefined);
    if (schemes.size !== 1 || !target) return options.agent;
    const observe = (request: ClientRequest) => this.observe(request);
    return new Proxy(target, {
      get(agent, property) {
        if (property === 'addRequest') {
          return function addObservedRequest(request: ClientRequest, requestOptions: unknown) {
            observe(request);
            return (agent as unknown as { addRequest(r: ClientRequest, o: unknown): void }).addRequest(request, requestOptions);
          };
        }
        const value: unknown = Reflect.get(agent, property, agent);
        return typeof value === 'function' ? value.bind(agent) : value;
      },
    });
  }
}

/** The handlers that run before every route: authentication (unless off), then the required scopes. */
export function authenticationHandlers(config: Pick<Configuration, 'auth' | 'requiredScopes'>): RequestHandler[] {
  if (config.auth === false) return [];
  const handlers: RequestHandler[] = [];
  if (typeof config.auth === 'function') {
    handlers.push(config.auth);
  } else {
    const fetches = new ProviderFetches();
    const options = withoutEnvironmentFallback(config.auth);
    const agent = fetches.agentFor(config.auth);
    const verify = jwtBearer(agent ? { ...options, agent } : options);
    handlers.push(function authenticateBearerToken(req, res, next) {
      const failuresBefore = fetches.failures;
      verify(req, res, (err?: unknown) => {
        // A token that failed while the verifier's own fetch of discovery or the JWKS failed: an outage, not the caller's fault.
        const providerFailed = err instanceof BearerTokenError && fetches.failures !== failuresBefore && fetches.lastFailed;
        // Anything but the library's own errors means it could not verify at all.
        if (err && (providerFailed || !(err instanceof BearerError))) {
          return next(new AuthUnavailableError('The identity provider could not be reached to verify the token. Try again later.', { cause: err }));
        }
        next(err as Error | undefined);
      });
    });
  }
  if (config.requiredScopes.length > 0) handlers.push(scopesRequired(config.requiredScopes));
  return handlers;
}
