// Backstage identity for the upload routes: httpAuth decides who calls, and the caller's entity ref becomes the owner.
import type { BackstageCredentials, HttpAuthService } from '@backstage/backend-plugin-api';
import type { Request, RequestHandler } from 'express';
import { ForbiddenError, AuthenticationRequiredError } from 'express-direct-upload';

/**
 * The request type httpAuth is declared with. Backstage is typed against Express 4 and the core against the host's
 * Express (4 or 5); at run time both are the same Node request, so the type is only converted, never the object.
 */
type BackstageRequest = Parameters<HttpAuthService['credentials']>[0];

/** The two halves the core's `auth` and `owner` options take. */
export interface BackstageIdentity {
  /** Runs before every upload route: sets the owner, or passes a 401/403 problem to the router's error handler. */
  authenticate: RequestHandler;
  /** The owner `authenticate` found for this request. */
  owner: (req: Request) => string | undefined;
}

/** The owner of a principal: a user's entity ref (`user:default/alice`), or a service's subject when services are allowed. */
function ownerOf(credentials: BackstageCredentials): string | undefined {
  const principal = credentials.principal as { type?: string; userEntityRef?: string; subject?: string };
  if (principal.type === 'user') return principal.userEntityRef;
  if (principal.type === 'service' && principal.subject) return `service:${principal.subject}`;
  return undefined;
}

/**
 * Builds the identity step from Backstage's httpAuth. httpAuth throws @backstage/errors' AuthenticationError (no or
 * bad token) and NotAllowedError (a principal type not allowed); they become the core's 401 and 403, so every answer
 * of the plugin, auth included, is problem+json as in the Express mode. The errors go to `next`: Express 4, which
 * Backstage runs, leaves a request hanging when an async handler rejects.
 */
export function backstageIdentity(httpAuth: HttpAuthService, options: { allowServicePrincipals: boolean }): BackstageIdentity {
  // Keyed by the request object, so nothing is written onto the request and nothing outlives it.
  const owners = new WeakMap<Request, string>();
  const allow: Array<'user' | 'service'> = options.allowServicePrincipals ? ['user', 'service'] : ['user'];

  const authenticate: RequestHandler = function authenticateBackstageCaller(req, _res, next) {
    httpAuth.credentials(req as unknown as BackstageRequest, { allow }).then(
      (credentials) => {
        const owner = ownerOf(credentials);
        if (!owner) return next(new AuthenticationRequiredError('The Backstage credentials do not identify a user.'));
        owners.set(req, owner);
        next();
      },
      (err: unknown) => {
        const name = (err as { name?: unknown } | null)?.name;
        if (name === 'AuthenticationError') return next(new AuthenticationRequiredError('Sign in to Backstage to upload: the request carries no valid Backstage token.'));
        if (name === 'NotAllowedError') {
          return next(new ForbiddenError(options.allowServicePrincipals ? 'This kind of caller may not upload.' : 'Only signed-in users may upload; service principals are refused (directUpload.allowServicePrincipals is false).'));
        }
        next(err);
      },
    );
  };

  return { authenticate, owner: (req) => owners.get(req) };
}
