// The real dependencies of the router for a configuration: the local signer, the server's own S3 calls, the token verifier.
import { authenticationHandlers } from './http/auth';
import type { RouterDependencies } from './http/routes';
import type { Configuration } from './options';
import { Bucket } from './s3/bucket';
import { Presigner } from './s3/presigner';

/** Built once per router; tests that need no S3 pass fakes to createRouter() instead. */
export function routerDependencies(config: Configuration): RouterDependencies {
  return {
    presigner: new Presigner(config.s3, config.bucket),
    bucket: new Bucket(config.s3, config.bucket, config.s3Timeouts?.requestTimeout),
    authenticate: authenticationHandlers(config),
  };
}
