// Reads the example-server's settings from the environment (and the deployment config file) and decides real vs embedded mode.
import net from 'node:net';
import path from 'node:path';
import type { S3Connection } from '../dev/s3-connection';
import { MAX_EXPIRES_IN, MIN_EXPIRES_IN } from '../middleware/settings';
import { CONFIG_FILE_ENV, DeploymentConfigError, loadDeploymentConfig, resolveDeploymentConfigFile, type DeploymentConfig } from '../terraform/config';

/** Every environment variable the example-server reads itself; bucket, region, origins and prefix are read by loadDeploymentConfig(). */
export const SERVER_ENV = Object.freeze({
  port: 'PORT',
  host: 'HOST',
  dataDir: 'DATA_DIR',
  localS3: 'LOCAL_S3',
  localS3Port: 'LOCAL_S3_PORT',
  devIssuerPort: 'DEV_ISSUER_PORT',
  issuerBaseURL: 'AUTH0_ISSUER_BASE_URL',
  audience: 'AUTH0_AUDIENCE',
  clientId: 'AUTH0_CLIENT_ID',
  s3Endpoint: 'S3_ENDPOINT',
  s3ForcePathStyle: 'S3_FORCE_PATH_STYLE',
  maxFileSize: 'MAX_FILE_SIZE',
  allowedContentTypes: 'ALLOWED_CONTENT_TYPES',
  expiresIn: 'UPLOAD_URL_EXPIRES_IN',
  multipartThreshold: 'MULTIPART_THRESHOLD',
  multipartPartSize: 'MULTIPART_PART_SIZE',
  allowEmbeddedInProduction: 'ALLOW_EMBEDDED_IN_PRODUCTION',
});

export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DATA_DIR = '.data';
export const DEFAULT_LOCAL_S3_PORT = 4568;
export const DEFAULT_DEV_ISSUER_PORT = 4569;
/** The local S3s the embedded mode can run: s3rver (default, no Ceph needed) or a throwaway Ceph RGW. */
export const LOCAL_S3_KINDS = ['s3rver', 'rgw'] as const;
export type LocalS3Kind = (typeof LOCAL_S3_KINDS)[number];
export const DEFAULT_LOCAL_S3: LocalS3Kind = 's3rver';
/** On RGW the multipart threshold defaults to S3's smallest part, so a file under the 10 MiB default limit can try multipart. */
export const DEFAULT_RGW_MULTIPART_THRESHOLD = 5 * 1024 * 1024;
/** The audience of development tokens; it only has to agree between the dev issuer and the router. */
export const EMBEDDED_AUDIENCE = 'https://express-direct-upload.local/api';

/** Settings shared by both modes: what the router enforces. Undefined means "the middleware's default". */
export interface UploadPolicySettings {
  maxFileSize?: number;
  allowedContentTypes?: string[];
  expiresIn?: number;
  multipartThreshold?: number;
  multipartPartSize?: number;
}

interface CommonSettings {
  host: string;
  port: number;
  deployment: DeploymentConfig;
  /** The deployment config file that was read, if any (else environment variables and defaults only). */
  deploymentFile?: string;
  policy: UploadPolicySettings;
}

/** Nothing configured: local S3 and the development issuer run in this process tree. */
export interface EmbeddedSettings extends CommonSettings {
  mode: 'embedded';
  /** Absolute folder for the local S3 objects (s3rver) and the dev issuer's key. */
  dataDir: string;
  /** Which local S3 runs: s3rver (single PUT, objects kept in dataDir) or Ceph RGW (verifies signatures, multipart, data in RAM). */
  localS3: LocalS3Kind;
  /** s3rver's port; RGW takes a free one. */
  localS3Port: number;
  devIssuerPort: number;
}

/** Auth0 and S3 configured: nothing embedded starts. */
export interface RealSettings extends CommonSettings {
  mode: 'real';
  auth0: { issuerBaseURL: string; audience: string; clientId: string };
  /** Only for S3-compatible stores (MinIO, Ceph RGW...); AWS S3 needs neither. */
  s3: Pick<S3Connection, 'endpoint' | 'forcePathStyle'>;
}

export type ServerSettings = EmbeddedSettings | RealSettings;

/** A setting is missing, malformed or contradicts another; the message names the variable and the fix. */
export class StartupConfigError extends Error {
  constructor(
    /** The environment variable (or setting) at fault. */
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = 'StartupConfigError';
  }
}

function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  // An empty variable counts as unset, like loadDeploymentConfig(), so `FOO=${FOO}` in a compose file is harmless.
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number;
function integer(env: NodeJS.ProcessEnv, name: string, fallback: undefined, min: number, max: number): number | undefined;
function integer(env: NodeJS.ProcessEnv, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new StartupConfigError(name, `${name}=${raw} is not valid: use a whole number from ${min} to ${max}.`);
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new StartupConfigError(name, `${name}=${raw} is not a boolean: use "true" or "false".`);
}

/** Sizes in bytes, with an optional binary unit so `MAX_FILE_SIZE=25MiB` works. */
function byteSize(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  const match = /^(\d+)\s*(B|KiB|MiB|GiB|TiB)?$/i.exec(raw);
  const units: Record<string, number> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };
  const value = match ? Number(match[1]) * units[(match[2] ?? 'b').toLowerCase()] : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new StartupConfigError(name, `${name}=${raw} is not a size: use bytes (10485760) or a binary unit (10MiB).`);
  }
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string, example: string): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new StartupConfigError(name, `${name}=${raw} is not a URL; write it like ${example}.`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new StartupConfigError(name, `${name}=${raw} must be an http(s) URL, like ${example}.`);
  return raw;
}

function localS3Kind(env: NodeJS.ProcessEnv): LocalS3Kind {
  const raw = text(env, SERVER_ENV.localS3);
  if (raw === undefined) return DEFAULT_LOCAL_S3;
  const kind = LOCAL_S3_KINDS.find((k) => k === raw.toLowerCase());
  if (!kind) {
    throw new StartupConfigError(SERVER_ENV.localS3, `${SERVER_ENV.localS3}=${raw} is not a local S3: use "s3rver" (the default) or "rgw" (Ceph RGW, when installed).`);
  }
  return kind;
}

/**
 * True for addresses only this machine can reach: `localhost`, 127.0.0.0/8 and `::1` (also IPv4-mapped).
 * `0.0.0.0` and `::` are not: they listen on every interface.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  if (!net.isIPv6(bare)) return false;
  if (bare.startsWith('::ffff:')) return isLoopbackHost(bare.slice('::ffff:'.length));
  return new net.SocketAddress({ address: bare, family: 'ipv6' }).address === '::1';
}

/**
 * Embedded mode listens on loopback only: its development login hands a token to anyone who asks, and its local
 * S3 accepts any signature. A StartupConfigError naming HOST otherwise, with both ways out.
 */
export function checkEmbeddedHost(host: string): void {
  if (isLoopbackHost(host)) return;
  throw new StartupConfigError(
    SERVER_ENV.host,
    `${SERVER_ENV.host}=${host} would let other machines reach the embedded development mode, whose development login ` +
      `hands a token to anyone who asks. Embedded mode listens on loopback only: set ${SERVER_ENV.host}=127.0.0.1 (the default), ` +
      `localhost or ::1, or configure Auth0 and S3 to run the real mode (see docs/example-server.md).`,
  );
}

/** The variables whose presence means "I am configuring real Auth0 / S3". Any one of them turns embedded mode off. */
const AUTH0_VARIABLES = [SERVER_ENV.issuerBaseURL, SERVER_ENV.audience, SERVER_ENV.clientId];
const S3_VARIABLES = ['S3_BUCKET', SERVER_ENV.s3Endpoint, SERVER_ENV.s3ForcePathStyle];

function policy(env: NodeJS.ProcessEnv): UploadPolicySettings {
  const types = text(env, SERVER_ENV.allowedContentTypes);
  return {
    maxFileSize: byteSize(env, SERVER_ENV.maxFileSize),
    allowedContentTypes: types?.split(',').map((t) => t.trim()).filter((t) => t !== ''),
    expiresIn: integer(env, SERVER_ENV.expiresIn, undefined, MIN_EXPIRES_IN, MAX_EXPIRES_IN),
    multipartThreshold: byteSize(env, SERVER_ENV.multipartThreshold),
    multipartPartSize: byteSize(env, SERVER_ENV.multipartPartSize),
  };
}

function deployment(env: NodeJS.ProcessEnv): DeploymentConfig {
  try {
    return loadDeploymentConfig({ env });
  } catch (err) {
    if (err instanceof DeploymentConfigError) throw new StartupConfigError(err.setting, err.message);
    throw err;
  }
}

/**
 * Reads every setting once and decides the mode. Embedded mode needs nothing configured; real mode needs
 * all of Auth0 (issuer, audience, SPA client id) and S3 (a bucket). Anything in between is an error that lists
 * what is missing: a typo must never quietly start a development login in front of real users.
 */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const common: CommonSettings = {
    host: text(env, SERVER_ENV.host) ?? DEFAULT_HOST,
    port: integer(env, SERVER_ENV.port, DEFAULT_PORT, 0, 65535),
    deployment: deployment(env),
    policy: policy(env),
  };

  // Same rule as loadDeploymentConfig() (already checked above, so this cannot throw now).
  const configFile = resolveDeploymentConfigFile({ env });
  if (configFile) common.deploymentFile = configFile;
  const given = [...AUTH0_VARIABLES, ...S3_VARIABLES].filter((name) => text(env, name) !== undefined);
  if (given.length === 0 && configFile === undefined) {
    if (env.NODE_ENV === 'production' && !boolean(env, SERVER_ENV.allowEmbeddedInProduction, false)) {
      throw new StartupConfigError(
        'NODE_ENV',
        'NODE_ENV=production but no Auth0 or S3 settings are given, which would start the embedded development mode ' +
          '(local S3 and a development login anyone can use). Configure Auth0 and S3 (see docs/example-server.md), ' +
          `or set ${SERVER_ENV.allowEmbeddedInProduction}=true if you really want the embedded mode here.`,
      );
    }
    checkEmbeddedHost(common.host);
    const localS3 = localS3Kind(env);
    if (localS3 === 's3rver' && (common.policy.multipartThreshold !== undefined || common.policy.multipartPartSize !== undefined)) {
      const setting = text(env, SERVER_ENV.multipartThreshold) ? SERVER_ENV.multipartThreshold : SERVER_ENV.multipartPartSize;
      throw new StartupConfigError(
        setting,
        `${setting} is set, but multipart uploads need an S3 that can list and abort parts, which the default local S3 (s3rver) cannot. ` +
          `Set ${SERVER_ENV.localS3}=rgw to run the local S3 on Ceph RGW (see docs/example-server.md), unset ${SERVER_ENV.multipartThreshold}/${SERVER_ENV.multipartPartSize}, ` +
          'or configure S3 and Auth0.',
      );
    }
    if (localS3 === 'rgw') common.policy.multipartThreshold ??= DEFAULT_RGW_MULTIPART_THRESHOLD;
    const dataDir = path.resolve(text(env, SERVER_ENV.dataDir) ?? DEFAULT_DATA_DIR);
    return {
      mode: 'embedded',
      ...common,
      dataDir,
      localS3,
      localS3Port: integer(env, SERVER_ENV.localS3Port, DEFAULT_LOCAL_S3_PORT, 0, 65535),
      devIssuerPort: integer(env, SERVER_ENV.devIssuerPort, DEFAULT_DEV_ISSUER_PORT, 0, 65535),
    };
  }

  if (text(env, SERVER_ENV.localS3) !== undefined) {
    throw new StartupConfigError(
      SERVER_ENV.localS3,
      `${SERVER_ENV.localS3} chooses the embedded mode's local S3, but ${[...given, ...(configFile ? [configFile] : [])].join(', ')} ` +
        `configure the real mode, which uses your S3. Unset ${SERVER_ENV.localS3}, or unset those to run the embedded mode.`,
    );
  }
  const issuerBaseURL = url(env, SERVER_ENV.issuerBaseURL, 'https://YOUR_TENANT.us.auth0.com/');
  const audience = text(env, SERVER_ENV.audience);
  const clientId = text(env, SERVER_ENV.clientId);
  const hasBucket = text(env, 'S3_BUCKET') !== undefined || configFile !== undefined;
  const missing = [
    ...(issuerBaseURL ? [] : [`${SERVER_ENV.issuerBaseURL} (your tenant, e.g. https://YOUR_TENANT.us.auth0.com/)`]),
    ...(audience ? [] : [`${SERVER_ENV.audience} (the API identifier of your Auth0 API)`]),
    ...(clientId ? [] : [`${SERVER_ENV.clientId} (the client id of your Auth0 Single Page Application)`]),
    ...(hasBucket ? [] : [`S3_BUCKET (or ${CONFIG_FILE_ENV} naming a deployment config file with bucketName)`]),
  ];
  if (missing.length > 0) {
    const why = [...given.map((name) => `${name} is set`), ...(configFile ? [`the deployment config file ${configFile} is used`] : [])].join(', ');
    throw new StartupConfigError(
      missing[0].split(' ')[0],
      `Half-configured: ${why}, so the server will not start the embedded development mode, but real mode also needs ` +
        `${missing.join('; ')}. Set them, or unset ${given.join(', ') || CONFIG_FILE_ENV} to run the embedded default.`,
    );
  }
  return {
    mode: 'real',
    ...common,
    auth0: { issuerBaseURL: issuerBaseURL as string, audience: audience as string, clientId: clientId as string },
    s3: {
      endpoint: url(env, SERVER_ENV.s3Endpoint, 'http://127.0.0.1:9000'),
      forcePathStyle: boolean(env, SERVER_ENV.s3ForcePathStyle, false),
    },
  };
}
