// The direct-upload backend plugin: the core's upload router under /api/direct-upload, with Backstage identity, config and logging.
import { coreServices, createBackendPlugin, type HttpRouterService } from '@backstage/backend-plugin-api';
import { directUpload, DirectUploadOptionsError } from 'express-direct-upload';
import { CONFIG_ROOT, DirectUploadConfigError, readDirectUploadConfig } from './config';
import { backstageIdentity } from './identity';

/**
 * Serves the upload routes (`/api/direct-upload/uploads`, `/uploads/complete`, `/uploads/multipart...`) to signed-in
 * users. Config is read and checked during start-up: a mistake fails the backend with an error naming the key.
 */
export const directUploadPlugin = createBackendPlugin({
  pluginId: 'direct-upload',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
      },
      async init({ config, logger, httpAuth, httpRouter }) {
        const { options, allowServicePrincipals } = readDirectUploadConfig(config);
        const identity = backstageIdentity(httpAuth, { allowServicePrincipals });
        let router;
        try {
          router = directUpload({
            ...options,
            auth: identity.authenticate,
            owner: identity.owner,
            onError: (err, status) => {
              if (status >= 500) logger.error('Upload request failed', err instanceof Error ? err : { error: String(err) });
              else logger.debug(`Upload request refused with ${status}: ${err instanceof Error ? err.message : String(err)}`);
            },
            onUploaded: (object) => {
              logger.info(`Upload verified: ${object.key} (${object.size} bytes, ${object.contentType}) for ${object.owner}`);
            },
          });
        } catch (err) {
          // The core names its option (`maxFileSize`, `multipart.partSize`, `s3`...); say it as the app-config key.
          if (err instanceof DirectUploadOptionsError) {
            const option = err.option === 's3' || err.option === 'options' ? CONFIG_ROOT : `${CONFIG_ROOT}.${err.option}`;
            throw new DirectUploadConfigError(option, err.message.replace(/^express-direct-upload: /, ''));
          }
          throw err;
        }
        // The router authenticates every route itself through httpAuth (above), so that a missing token is a
        // problem+json 401 like every other answer; Backstage's default policy would answer it in its own format.
        httpRouter.addAuthPolicy({ path: '/uploads', allow: 'unauthenticated' });
        // Typed against the host's Express, which Backstage's types call Express 4; the router is a plain (req, res, next).
        httpRouter.use(router as unknown as Parameters<HttpRouterService['use']>[0]);
        logger.info(`Uploads go to bucket ${options.bucket}; routes under /uploads`);
      },
    });
  },
});
