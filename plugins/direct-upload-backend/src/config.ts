// Reads the `directUpload` section of app-config into directUpload() options, once, at start-up.
import type { RootConfigService } from '@backstage/backend-plugin-api';
import type { DirectUploadOptions, MultipartOptions } from 'express-direct-upload';

/** The root config key of this plugin. */
export const CONFIG_ROOT = 'directUpload';

/** What the plugin builds its router from: the core's options less identity, which comes from Backstage. */
export interface DirectUploadPluginConfig {
  options: Omit<DirectUploadOptions, 'auth' | 'owner' | 'onError' | 'onUploaded'>;
  /** Whether service principals (other plugins, external callers) may upload. */
  allowServicePrincipals: boolean;
}

/**
 * Thrown when app-config is wrong; the message starts with the full config key, e.g. `directUpload.bucket`,
 * so the backend's start-up failure says which line of app-config.yaml to fix.
 */
export class DirectUploadConfigError extends Error {
  constructor(
    /** The config key at fault, e.g. `directUpload.multipart.partSize`. */
    readonly key: string,
    message: string,
  ) {
    super(`Invalid config at ${key}: ${message}`);
    this.name = 'DirectUploadConfigError';
  }
}

/** Backstage's own getters throw with the key in the message; this makes the error name it the same way everywhere. */
function read<T>(key: string, get: () => T): T {
  try {
    return get();
  } catch (err) {
    throw new DirectUploadConfigError(key, (err as Error).message);
  }
}

function readMultipart(config: RootConfigService): MultipartOptions | false | undefined {
  const key = `${CONFIG_ROOT}.multipart`;
  const raw = config.getOptional(key);
  if (raw === undefined) return undefined;
  if (raw === false) return false;
  if (raw === true) return {};
  const section = read(key, () => config.getConfig(key));
  return {
    threshold: read(`${key}.threshold`, () => section.getOptionalNumber('threshold')),
    partSize: read(`${key}.partSize`, () => section.getOptionalNumber('partSize')),
  };
}

/**
 * Reads `directUpload.*`. Missing or mistyped values throw a DirectUploadConfigError naming the key; the core's
 * own checks (bucket name, limits, prefix...) run when the router is built, and are reported the same way.
 */
export function readDirectUploadConfig(config: RootConfigService): DirectUploadPluginConfig {
  const key = (name: string) => `${CONFIG_ROOT}.${name}`;
  if (!config.has(CONFIG_ROOT)) {
    throw new DirectUploadConfigError(key('bucket'), `the ${CONFIG_ROOT} section is missing; at least ${key('bucket')} is required.`);
  }
  const section = read(CONFIG_ROOT, () => config.getConfig(CONFIG_ROOT));
  const bucket = read(key('bucket'), () => section.getString('bucket'));
  const region = read(key('region'), () => section.getOptionalString('region'));
  const endpoint = read(key('endpoint'), () => section.getOptionalString('endpoint'));
  const forcePathStyle = read(key('forcePathStyle'), () => section.getOptionalBoolean('forcePathStyle'));
  const accessKeyId = read(key('credentials.accessKeyId'), () => section.getOptionalString('credentials.accessKeyId'));
  const secretAccessKey = read(key('credentials.secretAccessKey'), () => section.getOptionalString('credentials.secretAccessKey'));
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new DirectUploadConfigError(key('credentials'), 'give both accessKeyId and secretAccessKey, or neither (then the AWS default credential chain is used).');
  }

  return {
    options: {
      bucket,
      region,
      s3: {
        ...(endpoint !== undefined ? { endpoint } : {}),
        ...(forcePathStyle !== undefined ? { forcePathStyle } : {}),
        ...(accessKeyId !== undefined && secretAccessKey !== undefined ? { credentials: { accessKeyId, secretAccessKey } } : {}),
      },
      maxFileSize: read(key('maxFileSize'), () => section.getOptionalNumber('maxFileSize')),
      allowedContentTypes: read(key('allowedContentTypes'), () => section.getOptionalStringArray('allowedContentTypes')),
      expiresIn: read(key('expiresIn'), () => section.getOptionalNumber('expiresIn')),
      keyPrefix: read(key('keyPrefix'), () => section.getOptionalString('keyPrefix')),
      multipart: readMultipart(config),
    },
    allowServicePrincipals: read(key('allowServicePrincipals'), () => section.getOptionalBoolean('allowServicePrincipals')) ?? false,
  };
}
