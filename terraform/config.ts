/** Deployment settings (bucket, region, origins, key prefix, public-read) defined once and read by both the Terraform stack and example-server. */
// This module must stay free of cdktf and provider imports: example-server loads it at runtime.
import fs from 'node:fs';
import path from 'node:path';
import { bucketNameProblem, closestName, DEFAULT_KEY_PREFIX, keyPrefixProblem } from '../middleware/settings';

/** Everything that must agree between the bucket and the server that signs URLs for it. */
export interface DeploymentConfig {
  /** S3 bucket name, validated against S3 naming rules. It defaults to `direct-upload-dev`. */
  bucketName: string;
  /** AWS region of the bucket, e.g. `us-east-1`. It defaults to `us-east-1`. */
  region: string;
  /** Exact origins like `https://app.example.com` or `http://localhost:3000`; `*` only with `allowAnyOrigin`. It defaults to `['http://localhost:3000']`. */
  allowedOrigins: string[];
  /** Opt-in that permits `*` in `allowedOrigins`. It defaults to `false`. */
  allowAnyOrigin: boolean;
  /** Prefix of every object key; ends with `/`, no leading `/`. It defaults to `uploads/`. */
  keyPrefix: string;
  /** Uploads carry the `public-read` ACL. It defaults to `false`. */
  publicRead: boolean;
  /** Days after which S3 aborts an unfinished multipart upload and frees its parts. It defaults to `1`. */
  abortIncompleteMultipartAfterDays: number;
  /** SSE-KMS key ARN for default encryption; without it the bucket uses SSE-S3 (AES256). */
  kmsKeyArn?: string;
  /**
   * The middleware's `quarantine.prefix` (e.g. `incoming/`): uploads land there until verified. Setting it adds a
   * lifecycle rule that expires what was never released, and scopes the server policy to the move. It defaults to none (off).
   */
  quarantinePrefix?: string;
  /** With `quarantinePrefix`: days after which S3 deletes an upload that was never verified and released. It defaults to `1`. */
  quarantineExpirationDays?: number;
}

export const DEFAULT_BUCKET_NAME = 'direct-upload-dev';
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = Object.freeze(['http://localhost:3000']);
export { DEFAULT_KEY_PREFIX };
export const DEFAULT_ABORT_INCOMPLETE_MULTIPART_AFTER_DAYS = 1;
export const DEFAULT_QUARANTINE_EXPIRATION_DAYS = 1;

/** Environment variable that names the JSON config file. */
export const CONFIG_FILE_ENV = 'DIRECT_UPLOAD_CONFIG';
/** The file read when neither `opts.file` nor `DIRECT_UPLOAD_CONFIG` names one (and only if it exists). */
export const DEFAULT_CONFIG_FILE = path.resolve(__dirname, '..', 'direct-upload.config.json');

/** Environment variables that override the file, by setting. */
export const ENV_VARS = Object.freeze({
  bucketName: 'S3_BUCKET',
  region: 'AWS_REGION',
  allowedOrigins: 'ALLOWED_ORIGINS',
  allowAnyOrigin: 'ALLOW_ANY_ORIGIN',
  keyPrefix: 'KEY_PREFIX',
  publicRead: 'PUBLIC_READ',
  abortIncompleteMultipartAfterDays: 'ABORT_MULTIPART_AFTER_DAYS',
  kmsKeyArn: 'KMS_KEY_ARN',
  quarantinePrefix: 'QUARANTINE_PREFIX',
  quarantineExpirationDays: 'QUARANTINE_EXPIRATION_DAYS',
} satisfies Record<keyof DeploymentConfig, string>);

const SETTINGS = Object.keys(ENV_VARS) as Array<keyof DeploymentConfig>;

/** A deployment setting is missing, malformed or unsafe; the message names the setting and the fix. */
export class DeploymentConfigError extends Error {
  static readonly code = 'ERR_DIRECT_UPLOAD_CONFIG';
  readonly code = DeploymentConfigError.code;
  /** The setting at fault, e.g. `allowedOrigins`. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(message);
    this.name = 'DeploymentConfigError';
    this.setting = setting;
  }
}

/**
 * Validates settings and fills in defaults. Passing `undefined` for a setting is the same as omitting it.
 * Throws {@link DeploymentConfigError} on the first bad setting.
 */
export function validateDeploymentConfig(input: Partial<DeploymentConfig>): DeploymentConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new DeploymentConfigError('config', 'Deployment config must be an object with settings such as bucketName and allowedOrigins.');
  }
  checkKnownSettings(Object.keys(input), 'the deployment config');

  const bucketName = checkBucketName(input.bucketName ?? DEFAULT_BUCKET_NAME);
  const region = checkRegion(input.region ?? DEFAULT_REGION);
  const allowAnyOrigin = checkBoolean('allowAnyOrigin', input.allowAnyOrigin ?? false);
  const allowedOrigins = checkOrigins(input.allowedOrigins ?? [...DEFAULT_ALLOWED_ORIGINS], allowAnyOrigin);
  const keyPrefix = checkKeyPrefix(input.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const publicRead = checkBoolean('publicRead', input.publicRead ?? false);
  const abortIncompleteMultipartAfterDays = checkDays(
    'abortIncompleteMultipartAfterDays',
    input.abortIncompleteMultipartAfterDays ?? DEFAULT_ABORT_INCOMPLETE_MULTIPART_AFTER_DAYS,
  );
  const config: DeploymentConfig = {
    bucketName,
    region,
    allowedOrigins,
    allowAnyOrigin,
    keyPrefix,
    publicRead,
    abortIncompleteMultipartAfterDays,
  };
  if (input.kmsKeyArn !== undefined) config.kmsKeyArn = checkKmsKeyArn(input.kmsKeyArn, region);
  if (input.quarantinePrefix !== undefined) {
    config.quarantinePrefix = checkQuarantinePrefix(input.quarantinePrefix, keyPrefix);
    config.quarantineExpirationDays = checkDays('quarantineExpirationDays', input.quarantineExpirationDays ?? DEFAULT_QUARANTINE_EXPIRATION_DAYS);
  } else if (input.quarantineExpirationDays !== undefined) {
    throw new DeploymentConfigError('quarantineExpirationDays', 'quarantineExpirationDays is set but quarantinePrefix is not: set quarantinePrefix (e.g. "incoming/") to turn quarantine on, or remove it.');
  }
  return config;
}

/**
 * Reads the JSON config file, lets environment variables override it, then validates.
 * The file is `opts.file`, else `$DIRECT_UPLOAD_CONFIG`, else `direct-upload.config.json` in the repository root if it exists.
 * Relative paths resolve against the directory the command was started from (npm's `INIT_CWD`, else the working directory),
 * because `npm run synth` changes into `terraform/` before running.
 */
export function loadDeploymentConfig(opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): DeploymentConfig {
  const env = opts.env ?? process.env;
  const file = resolveDeploymentConfigFile(opts);
  const fromFile = file === undefined ? {} : readConfigFile(file);
  const fromEnv = readEnv(env);

  const sources: Partial<Record<string, string>> = {};
  for (const key of Object.keys(fromFile)) sources[key] = `set in ${file}`;
  for (const key of Object.keys(fromEnv)) sources[key] = `set by environment variable ${ENV_VARS[key as keyof DeploymentConfig]}`;

  try {
    return validateDeploymentConfig({ ...fromFile, ...fromEnv });
  } catch (err) {
    // Say where the bad value came from, so the fix lands in the right place.
    const source = err instanceof DeploymentConfigError ? sources[err.setting] : undefined;
    if (err instanceof DeploymentConfigError && source) {
      throw new DeploymentConfigError(err.setting, `${err.message} (${source})`);
    }
    throw err;
  }
}

/**
 * The config file `loadDeploymentConfig(opts)` reads, as an absolute path, or `undefined` when it reads none.
 * Exported so that callers which report the file in use (example-server's startup log) apply the same rule.
 * Throws {@link DeploymentConfigError} when an explicitly named file does not exist.
 */
export function resolveDeploymentConfigFile(opts: { env?: NodeJS.ProcessEnv; file?: string } = {}): string | undefined {
  const env = opts.env ?? process.env;
  const file = opts.file;
  const explicit = nonEmpty(file) ?? nonEmpty(env[CONFIG_FILE_ENV]);
  if (explicit !== undefined) {
    const resolved = path.resolve(env.INIT_CWD ?? process.cwd(), explicit);
    if (!fs.existsSync(resolved)) {
      const origin = nonEmpty(file) !== undefined ? 'opts.file' : CONFIG_FILE_ENV;
      throw new DeploymentConfigError('file', `Config file ${resolved} (from ${origin}) does not exist. Fix the path, or unset it to use defaults.`);
    }
    return resolved;
  }
  return fs.existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined;
}

function readConfigFile(file: string): Partial<DeploymentConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DeploymentConfigError('file', `Config file ${file} is not valid JSON: ${(err as Error).message}. See terraform/direct-upload.config.example.json.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DeploymentConfigError('file', `Config file ${file} must hold a JSON object such as {"bucketName": "...", "allowedOrigins": ["https://app.example.com"]}.`);
  }
  // Keys starting with "$" ("$comment", "$schema") are notes for humans, not settings.
  const settings = Object.fromEntries(Object.entries(parsed).filter(([key]) => !key.startsWith('$')));
  checkKnownSettings(Object.keys(settings), file);
  return settings as Partial<DeploymentConfig>;
}

function readEnv(env: NodeJS.ProcessEnv): Partial<DeploymentConfig> {
  // An empty variable counts as unset, so `S3_BUCKET=${S3_BUCKET}` in a compose file does not blank the setting.
  const out: Partial<DeploymentConfig> = {};
  const text = (key: keyof DeploymentConfig) => nonEmpty(env[ENV_VARS[key]]);

  const bucketName = text('bucketName');
  if (bucketName !== undefined) out.bucketName = bucketName;
  const region = text('region');
  if (region !== undefined) out.region = region;
  const origins = text('allowedOrigins');
  if (origins !== undefined) out.allowedOrigins = origins.split(',').map((o) => o.trim()).filter((o) => o !== '');
  const keyPrefix = text('keyPrefix');
  if (keyPrefix !== undefined) out.keyPrefix = keyPrefix;
  const kmsKeyArn = text('kmsKeyArn');
  if (kmsKeyArn !== undefined) out.kmsKeyArn = kmsKeyArn;
  const quarantinePrefix = text('quarantinePrefix');
  if (quarantinePrefix !== undefined) out.quarantinePrefix = quarantinePrefix;
  const quarantineDays = text('quarantineExpirationDays');
  if (quarantineDays !== undefined) {
    if (!/^\d+$/.test(quarantineDays)) {
      throw new DeploymentConfigError('quarantineExpirationDays', `${ENV_VARS.quarantineExpirationDays}=${quarantineDays} is not a whole number of days. Set it to a positive integer such as 1.`);
    }
    out.quarantineExpirationDays = Number(quarantineDays);
  }

  for (const key of ['publicRead', 'allowAnyOrigin'] as const) {
    const value = text(key);
    if (value === undefined) continue;
    if (!/^(true|false)$/i.test(value)) {
      throw new DeploymentConfigError(key, `${ENV_VARS[key]}=${value} is not a boolean. Set it to "true" or "false".`);
    }
    out[key] = value.toLowerCase() === 'true';
  }

  const days = text('abortIncompleteMultipartAfterDays');
  if (days !== undefined) {
    if (!/^\d+$/.test(days)) {
      throw new DeploymentConfigError(
        'abortIncompleteMultipartAfterDays',
        `${ENV_VARS.abortIncompleteMultipartAfterDays}=${days} is not a whole number of days. Set it to a positive integer such as 1.`,
      );
    }
    out.abortIncompleteMultipartAfterDays = Number(days);
  }
  return out;
}

function checkKnownSettings(keys: string[], where: string): void {
  for (const key of keys) {
    if ((SETTINGS as string[]).includes(key)) continue;
    const suggestion = closestSetting(key);
    const hint = suggestion ? ` Did you mean "${suggestion}"?` : ` Known settings: ${SETTINGS.join(', ')}.`;
    throw new DeploymentConfigError(key, `Unknown setting "${key}" in ${where}.${hint}`);
  }
}

/** Names too far from a setting for edit distance to suggest it (lower case). */
const SETTING_ALIASES: Readonly<Record<string, keyof DeploymentConfig>> = {
  bucket: 'bucketName',
  origins: 'allowedOrigins',
  prefix: 'keyPrefix',
  kmskeyid: 'kmsKeyArn',
  kmskey: 'kmsKeyArn',
};

/** Suggests the setting a typo was meant to be (`allowedOrigin`, `bucket`, `prefix` ...). */
function closestSetting(key: string): string | undefined {
  return closestName(key, SETTINGS, SETTING_ALIASES);
}

/**
 * S3's naming rules (shared with the middleware), without dots: the stack creates the bucket, and a dotted name
 * would fail TLS on the virtual-hosted URLs that other S3 clients and Transfer Acceleration use.
 */
function checkBucketName(value: unknown): string {
  const problem = bucketNameProblem(value, { allowDots: false });
  if (problem) throw new DeploymentConfigError('bucketName', `Invalid bucketName ${JSON.stringify(value)}: ${problem}.`);
  return value as string;
}

function checkRegion(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(value)) {
    throw new DeploymentConfigError('region', `Invalid region ${JSON.stringify(value)}: use an AWS region code such as "us-east-1" or "eu-west-3".`);
  }
  return value;
}

function checkBoolean(setting: 'allowAnyOrigin' | 'publicRead', value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new DeploymentConfigError(setting, `Invalid ${setting} ${JSON.stringify(value)}: use true or false (a JSON boolean, not a string).`);
  }
  return value;
}

function checkOrigins(value: unknown, allowAnyOrigin: boolean): string[] {
  const fail = (why: string) => new DeploymentConfigError('allowedOrigins', `Invalid allowedOrigins: ${why}`);
  if (!Array.isArray(value) || value.some((o) => typeof o !== 'string')) {
    throw fail('it must be a list of origins such as ["https://app.example.com"] (comma-separated in ALLOWED_ORIGINS).');
  }
  const origins = [...new Set(value.map((o: string) => o.trim()).filter((o) => o !== ''))];
  if (origins.length === 0) {
    throw fail('the list is empty, so no browser could upload. List the exact origins of your pages, e.g. ["https://app.example.com"].');
  }
  if (origins.includes('*')) {
    if (!allowAnyOrigin) {
      throw fail('"*" lets any website use upload URLs your users obtained. List exact origins, or set allowAnyOrigin: true (ALLOW_ANY_ORIGIN=true) to opt in.');
    }
    if (origins.length > 1) throw fail('"*" already matches every origin; list it alone or remove it.');
    return origins;
  }
  if (allowAnyOrigin) {
    throw new DeploymentConfigError(
      'allowAnyOrigin',
      'Invalid allowAnyOrigin: it is true but allowedOrigins does not contain "*". Add "*" to allowedOrigins, or set allowAnyOrigin to false.',
    );
  }
  for (const origin of origins) checkOrigin(origin, fail);
  return origins;
}

function checkOrigin(origin: string, fail: (why: string) => DeploymentConfigError): void {
  if (origin.includes('*')) {
    throw fail(`"${origin}" has a wildcard; list each exact origin (scheme://host[:port]) instead.`);
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(origin)) {
    throw fail(`"${origin}" has no scheme; write it as "https://${origin.replace(/\/+$/, '')}".`);
  }
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw fail(`"${origin}" is not a valid origin; write scheme://host[:port], e.g. "https://app.example.com".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw fail(`"${origin}" must use https:// (or http:// for local development).`);
  }
  if (url.username || url.password) throw fail(`"${origin}" contains credentials; use "${url.origin}".`);
  // Browsers send Origin as scheme://host[:port] exactly, lowercased and without a default port, so anything else never matches.
  if (origin === url.origin) return;
  if (origin.endsWith('/') && `${url.origin}/` === origin) throw fail(`"${origin}" has a trailing slash; use "${url.origin}".`);
  if (url.pathname !== '/' || url.search || url.hash || origin.endsWith('/')) {
    throw fail(`"${origin}" has a path; an origin is only scheme://host[:port], so use "${url.origin}".`);
  }
  throw fail(`"${origin}" is not written the way browsers send it (lowercase, no default port); use "${url.origin}".`);
}

/**
 * The middleware's key-prefix rules (shared), plus what the IAM policy needs: the stack writes the prefix into the
 * policy's resource ARN, so it must not be empty (the whole bucket) nor hold `*` (a wildcard there).
 */
function checkKeyPrefix(value: unknown): string {
  const fail = (why: string) => new DeploymentConfigError('keyPrefix', `Invalid keyPrefix ${JSON.stringify(value)}: ${why}`);
  if (value === '') {
    throw fail('use a folder-like prefix such as "uploads/"; an empty prefix would give the server write access to the whole bucket.');
  }
  const problem = keyPrefixProblem(value);
  if (problem) throw fail(`${problem}.`);
  const prefix = value as string;
  if (prefix.length > 256) throw fail('keep it under 256 characters; object keys are limited to 1024 bytes.');
  // "*" would widen the IAM resource ARN; other punctuation needs URL-encoding in presigned URLs.
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix)) {
    throw fail('use letters, digits, ".", "_", "-" and single "/" separators only.');
  }
  return prefix;
}

function checkDays(setting: 'abortIncompleteMultipartAfterDays' | 'quarantineExpirationDays', value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new DeploymentConfigError(setting, `Invalid ${setting} ${JSON.stringify(value)}: use a positive whole number of days, such as 1.`);
  }
  return value;
}

/**
 * The key-prefix rules again (the prefix goes into the policy's resource ARN and a lifecycle filter), apart from
 * `keyPrefix`: released uploads must never lie under it, or its expiration rule would delete them.
 */
function checkQuarantinePrefix(value: unknown, keyPrefix: string): string {
  const fail = (why: string) => new DeploymentConfigError('quarantinePrefix', `Invalid quarantinePrefix ${JSON.stringify(value)}: ${why}`);
  const problem = value === '' ? 'it must not be empty' : keyPrefixProblem(value);
  if (problem) throw fail(`${problem}.`);
  const prefix = value as string;
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/.test(prefix)) throw fail('use letters, digits, ".", "_", "-" and single "/" separators only.');
  if (keyPrefix.startsWith(prefix)) throw fail(`keyPrefix "${keyPrefix}" lies under it, so the expiration rule would delete released uploads. Use a separate folder such as "incoming/".`);
  return prefix;
}

function checkKmsKeyArn(value: unknown, region: string): string {
  const fail = (why: string) => new DeploymentConfigError('kmsKeyArn', `Invalid kmsKeyArn ${JSON.stringify(value)}: ${why}`);
  const match = typeof value === 'string' ? /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/[A-Za-z0-9-]+$/.exec(value) : null;
  if (!match) {
    // An alias ARN would work for encryption, but IAM grants on the key ARN, so the server policy could not name it.
    throw fail('use a KMS key ARN such as "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" (not an alias or key id).');
  }
  if (match[1] !== region) {
    throw fail(`S3 can only use a KMS key from the bucket's own region (${region}), but this key is in ${match[1]}.`);
  }
  return value as string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
