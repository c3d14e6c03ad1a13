// Deployment config: defaults, file and environment precedence, and one named error per bad setting.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_CONFIG_FILE,
  DeploymentConfigError,
  loadDeploymentConfig,
  resolveDeploymentConfigFile,
  validateDeploymentConfig,
  type DeploymentConfig,
} from '../../terraform/config';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Runs fn and returns the DeploymentConfigError it throws; fails the test if it throws anything else or nothing. */
function configError(fn: () => unknown): DeploymentConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DeploymentConfigError);
    return err as DeploymentConfigError;
  }
  throw new Error('expected a DeploymentConfigError, but nothing was thrown');
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'direct-upload-config-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('validateDeploymentConfig', () => {
  it('fills in the documented defaults when nothing is set', () => {
    expect(validateDeploymentConfig({})).toEqual({
      bucketName: 'direct-upload-dev',
      region: 'us-east-1',
      allowedOrigins: ['http://localhost:3000'],
      allowAnyOrigin: false,
      keyPrefix: 'uploads/',
      publicRead: false,
      abortIncompleteMultipartAfterDays: 1,
    });
  });

  it('treats undefined like an omitted setting', () => {
    expect(validateDeploymentConfig({ bucketName: undefined, kmsKeyArn: undefined })).toEqual(validateDeploymentConfig({}));
  });

  it('keeps valid settings as given, trimming and de-duplicating origins', () => {
    const config = validateDeploymentConfig({
      bucketName: 'my-app-uploads',
      region: 'eu-west-3',
      allowedOrigins: [' https://app.example.com', 'https://app.example.com', 'http://localhost:8080'],
      keyPrefix: 'media/avatars/',
      publicRead: true,
      abortIncompleteMultipartAfterDays: 7,
      kmsKeyArn: KEY_ARN.replace('us-east-1', 'eu-west-3'),
    });
    expect(config).toMatchObject({
      bucketName: 'my-app-uploads',
      region: 'eu-west-3',
      allowedOrigins: ['https://app.example.com', 'http://localhost:8080'],
      keyPrefix: 'media/avatars/',
      publicRead: true,
      abortIncompleteMultipartAfterDays: 7,
    });
  });

  it('turns quarantine on with quarantinePrefix (1 day by default), from the file or QUARANTINE_PREFIX / QUARANTINE_EXPIRATION_DAYS', () => {
    expect(validateDeploymentConfig({ quarantinePrefix: 'incoming/' })).toMatchObject({ quarantinePrefix: 'incoming/', quarantineExpirationDays: 1 });
    expect(validateDeploymentConfig({})).not.toHaveProperty('quarantinePrefix');
    const config = loadDeploymentConfig({ file: writeConfig('quarantine.json', {}), env: { QUARANTINE_PREFIX: 'scan/', QUARANTINE_EXPIRATION_DAYS: '4' } });
    expect(config).toMatchObject({ quarantinePrefix: 'scan/', quarantineExpirationDays: 4 });
  });

  it.each([
    ['a prefix holding keyPrefix', { keyPrefix: 'incoming/uploads/', quarantinePrefix: 'incoming/' }, /expiration rule would delete released uploads/],
    ['no trailing slash', { quarantinePrefix: 'incoming' }, /must end with "\/"/],
    ['an empty prefix', { quarantinePrefix: '' }, /must not be empty/],
    ['a wildcard', { quarantinePrefix: 'in*/' }, /letters, digits/],
    ['zero days', { quarantinePrefix: 'incoming/', quarantineExpirationDays: 0 }, /positive whole number/],
    ['days without a prefix', { quarantineExpirationDays: 2 }, /quarantinePrefix is not/],
  ])('refuses quarantine settings with %s', (_name, input, message) => {
    expect(() => validateDeploymentConfig(input)).toThrow(message);
  });

  it('accepts "*" only together with allowAnyOrigin', () => {
    expect(validateDeploymentConfig({ allowedOrigins: ['*'], allowAnyOrigin: true }).allowedOrigins).toEqual(['*']);
  });

  // Each bad input → the setting named in the error, and a message that says what to do.
  const cases: Array<[string, Partial<DeploymentConfig>, string, RegExp]> = [
    ['empty origin list', { allowedOrigins: [] }, 'allowedOrigins', /empty.*e\.g\. \["https:\/\/app\.example\.com"\]/],
    ['blank origins only', { allowedOrigins: [' ', ''] }, 'allowedOrigins', /empty/],
    ['origins not a list', { allowedOrigins: 'https://app.example.com' as unknown as string[] }, 'allowedOrigins', /list of origins/],
    ['origin with a path', { allowedOrigins: ['https://app.example.com/upload'] }, 'allowedOrigins', /has a path.*use "https:\/\/app\.example\.com"/],
    ['origin with a trailing slash', { allowedOrigins: ['https://app.example.com/'] }, 'allowedOrigins', /trailing slash; use "https:\/\/app\.example\.com"/],
    ['origin with a query', { allowedOrigins: ['https://app.example.com?x=1'] }, 'allowedOrigins', /use "https:\/\/app\.example\.com"/],
    ['origin without a scheme', { allowedOrigins: ['app.example.com'] }, 'allowedOrigins', /no scheme; write it as "https:\/\/app\.example\.com"/],
    ['host:port without a scheme', { allowedOrigins: ['localhost:3000'] }, 'allowedOrigins', /no scheme/],
    ['non-http scheme', { allowedOrigins: ['ftp://files.example.com'] }, 'allowedOrigins', /https:\/\//],
    ['default port written out', { allowedOrigins: ['https://app.example.com:443'] }, 'allowedOrigins', /use "https:\/\/app\.example\.com"/],
    ['uppercase host', { allowedOrigins: ['https://App.Example.com'] }, 'allowedOrigins', /use "https:\/\/app\.example\.com"/],
    ['wildcard subdomain', { allowedOrigins: ['https://*.example.com'] }, 'allowedOrigins', /wildcard/],
    ['credentials in origin', { allowedOrigins: ['https://user:pw@app.example.com'] }, 'allowedOrigins', /credentials/],
    ['"*" without the opt-in', { allowedOrigins: ['*'] }, 'allowedOrigins', /allowAnyOrigin: true/],
    ['"*" mixed with exact origins', { allowedOrigins: ['*', 'https://app.example.com'], allowAnyOrigin: true }, 'allowedOrigins', /list it alone/],
    ['opt-in without "*"', { allowAnyOrigin: true }, 'allowAnyOrigin', /does not contain "\*"/],
    ['allowAnyOrigin as a string', { allowAnyOrigin: 'true' as unknown as boolean }, 'allowAnyOrigin', /true or false/],
    ['bucket name too short', { bucketName: 'ab' }, 'bucketName', /3 to 63/],
    ['bucket name too long', { bucketName: 'a'.repeat(64) }, 'bucketName', /3 to 63/],
    ['bucket name with uppercase', { bucketName: 'My-Uploads' }, 'bucketName', /lowercase; use "my-uploads"/],
    ['bucket name with underscore', { bucketName: 'my_uploads' }, 'bucketName', /use "my-uploads"/],
    ['bucket name with uppercase and underscore', { bucketName: 'My_Uploads' }, 'bucketName', /use "my-uploads"/],
    ['bucket name with other characters', { bucketName: 'my+uploads' }, 'bucketName', /lowercase letters, digits and hyphens/],
    ['bucket name starting with a hyphen', { bucketName: '-uploads' }, 'bucketName', /begin and end/],
    ['bucket name with dots', { bucketName: 'uploads.example.com' }, 'bucketName', /dots break HTTPS.*"uploads-example-com"/],
    ['bucket name with reserved prefix', { bucketName: 'xn--uploads' }, 'bucketName', /reserved/],
    ['bucket name with reserved suffix', { bucketName: 'uploads-s3alias' }, 'bucketName', /reserved/],
    ['bucket name not a string', { bucketName: 42 as unknown as string }, 'bucketName', /string/],
    ['region not a region code', { region: 'US East' }, 'region', /"us-east-1"/],
    ['key prefix without trailing slash', { keyPrefix: 'uploads' }, 'keyPrefix', /end with "\/".*"uploads\/"/],
    ['key prefix with leading slash', { keyPrefix: '/uploads/' }, 'keyPrefix', /use "uploads\/"/],
    ['key prefix with leading and no trailing slash', { keyPrefix: '/uploads' }, 'keyPrefix', /use "uploads\/"/],
    ['empty key prefix', { keyPrefix: '' }, 'keyPrefix', /whole bucket/],
    ['key prefix with an IAM wildcard', { keyPrefix: 'up*/' }, 'keyPrefix', /letters, digits/],
    ['key prefix with an empty segment', { keyPrefix: 'a//b/' }, 'keyPrefix', /single "\/"/],
    ['key prefix with ".."', { keyPrefix: 'uploads/../' }, 'keyPrefix', /"\.\."/],
    ['publicRead as a string', { publicRead: 'yes' as unknown as boolean }, 'publicRead', /true or false/],
    ['zero days', { abortIncompleteMultipartAfterDays: 0 }, 'abortIncompleteMultipartAfterDays', /positive whole number/],
    ['fractional days', { abortIncompleteMultipartAfterDays: 1.5 }, 'abortIncompleteMultipartAfterDays', /positive whole number/],
    ['KMS alias instead of a key ARN', { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:alias/uploads' }, 'kmsKeyArn', /not an alias/],
    ['KMS key in another region', { kmsKeyArn: KEY_ARN.replace('us-east-1', 'eu-west-1') }, 'kmsKeyArn', /own region \(us-east-1\).*eu-west-1/],
    ['unknown setting (typo)', { allowedOrigin: ['https://a.example'] } as Partial<DeploymentConfig>, 'allowedOrigin', /Did you mean "allowedOrigins"\?/],
  ];

  it.each(cases)('rejects %s', (_name, input, setting, message) => {
    const err = configError(() => validateDeploymentConfig(input));
    expect(err.setting).toBe(setting);
    expect(err.code).toBe('ERR_DIRECT_UPLOAD_CONFIG');
    expect(err.message).toMatch(message);
  });
});

describe('loadDeploymentConfig', () => {
  it('reads the file named by opts.file', () => {
    const file = writeConfig('opts.json', { bucketName: 'from-file', allowedOrigins: ['https://app.example.com'] });
    expect(loadDeploymentConfig({ env: {}, file })).toMatchObject({
      bucketName: 'from-file',
      allowedOrigins: ['https://app.example.com'],
      region: 'us-east-1',
    });
  });

  it('reads the file named by DIRECT_UPLOAD_CONFIG when opts.file is not given', () => {
    const file = writeConfig('env.json', { bucketName: 'from-env-file' });
    expect(loadDeploymentConfig({ env: { DIRECT_UPLOAD_CONFIG: file } }).bucketName).toBe('from-env-file');
  });

  it('prefers opts.file over DIRECT_UPLOAD_CONFIG', () => {
    const chosen = writeConfig('chosen.json', { bucketName: 'chosen' });
    const other = writeConfig('other.json', { bucketName: 'other' });
    expect(loadDeploymentConfig({ env: { DIRECT_UPLOAD_CONFIG: other }, file: chosen }).bucketName).toBe('chosen');
  });

  it('resolves a relative path against the directory npm was started from (INIT_CWD)', () => {
    writeConfig('relative.json', { bucketName: 'relative-one' });
    expect(loadDeploymentConfig({ env: { INIT_CWD: dir, DIRECT_UPLOAD_CONFIG: 'relative.json' } }).bucketName).toBe('relative-one');
  });

  it('falls back to direct-upload.config.json in the repository root, and to defaults without it', () => {
    expect(DEFAULT_CONFIG_FILE).toBe(path.resolve(__dirname, '../../direct-upload.config.json'));
    const realExists = fs.existsSync;
    const realRead = fs.readFileSync;
    const exists = jest.spyOn(fs, 'existsSync');
    const read = jest.spyOn(fs, 'readFileSync');
    try {
      // With the root file present...
      exists.mockImplementation((p) => p === DEFAULT_CONFIG_FILE || realExists(p));
      read.mockImplementation(((p: fs.PathOrFileDescriptor, o?: unknown) =>
        p === DEFAULT_CONFIG_FILE ? '{"bucketName":"from-root-file"}' : realRead(p, o as BufferEncoding)) as typeof fs.readFileSync);
      expect(loadDeploymentConfig({ env: {} }).bucketName).toBe('from-root-file');
      // ...and absent.
      exists.mockImplementation((p) => p !== DEFAULT_CONFIG_FILE && realExists(p));
      expect(loadDeploymentConfig({ env: {} })).toEqual(validateDeploymentConfig({}));
    } finally {
      exists.mockRestore();
      read.mockRestore();
    }
  });

  it('lets every environment variable override the file', () => {
    const file = writeConfig('overridden.json', {
      bucketName: 'file-bucket',
      region: 'eu-west-1',
      allowedOrigins: ['https://file.example.com'],
      keyPrefix: 'file/',
      publicRead: false,
      abortIncompleteMultipartAfterDays: 2,
    });
    const config = loadDeploymentConfig({
      file,
      env: {
        S3_BUCKET: 'env-bucket',
        AWS_REGION: 'us-west-2',
        ALLOWED_ORIGINS: 'https://a.example.com, https://b.example.com',
        KEY_PREFIX: 'env/',
        PUBLIC_READ: 'TRUE',
        ABORT_MULTIPART_AFTER_DAYS: '5',
        KMS_KEY_ARN: KEY_ARN.replace('us-east-1', 'us-west-2'),
      },
    });
    expect(config).toEqual({
      bucketName: 'env-bucket',
      region: 'us-west-2',
      allowedOrigins: ['https://a.example.com', 'https://b.example.com'],
      allowAnyOrigin: false,
      keyPrefix: 'env/',
      publicRead: true,
      abortIncompleteMultipartAfterDays: 5,
      kmsKeyArn: KEY_ARN.replace('us-east-1', 'us-west-2'),
    });
  });

  it('takes ALLOW_ANY_ORIGIN together with ALLOWED_ORIGINS=*', () => {
    const file = writeConfig('any.json', {});
    expect(loadDeploymentConfig({ file, env: { ALLOWED_ORIGINS: '*', ALLOW_ANY_ORIGIN: 'true' } }).allowedOrigins).toEqual(['*']);
  });

  it('ignores empty environment variables', () => {
    const file = writeConfig('kept.json', { bucketName: 'kept-bucket' });
    expect(loadDeploymentConfig({ file, env: { S3_BUCKET: '', ALLOWED_ORIGINS: '  ' } })).toMatchObject({
      bucketName: 'kept-bucket',
      allowedOrigins: ['http://localhost:3000'],
    });
  });

  it('ignores "$"-prefixed note keys in the file, as in the committed example', () => {
    const example = path.resolve(__dirname, '../../terraform/direct-upload.config.example.json');
    expect(loadDeploymentConfig({ env: {}, file: example })).toMatchObject({
      bucketName: 'my-app-uploads',
      allowedOrigins: ['https://app.example.com', 'http://localhost:3000'],
    });
  });

  it('says which environment variable held the bad value', () => {
    const file = writeConfig('ok.json', {});
    const err = configError(() => loadDeploymentConfig({ file, env: { ALLOWED_ORIGINS: 'https://app.example.com/' } }));
    expect(err.setting).toBe('allowedOrigins');
    expect(err.message).toMatch(/trailing slash.*\(set by environment variable ALLOWED_ORIGINS\)$/);
  });

  it('says which file held the bad value', () => {
    const file = writeConfig('bad-origin.json', { allowedOrigins: ['*'] });
    const err = configError(() => loadDeploymentConfig({ file, env: {} }));
    expect(err.message).toContain(`(set in ${file})`);
  });

  const envCases: Array<[string, NodeJS.ProcessEnv, string, RegExp]> = [
    ['PUBLIC_READ not a boolean', { PUBLIC_READ: 'yes' }, 'publicRead', /PUBLIC_READ=yes is not a boolean/],
    ['ALLOW_ANY_ORIGIN not a boolean', { ALLOW_ANY_ORIGIN: '1' }, 'allowAnyOrigin', /ALLOW_ANY_ORIGIN=1 is not a boolean/],
    ['ABORT_MULTIPART_AFTER_DAYS not a number', { ABORT_MULTIPART_AFTER_DAYS: 'one' }, 'abortIncompleteMultipartAfterDays', /positive integer/],
    ['ALLOWED_ORIGINS with separators only', { ALLOWED_ORIGINS: ' , ,' }, 'allowedOrigins', /empty/],
    ['S3_BUCKET invalid', { S3_BUCKET: 'Bad_Bucket' }, 'bucketName', /S3_BUCKET/],
  ];
  it.each(envCases)('rejects %s', (_name, env, setting, message) => {
    const file = writeConfig('empty.json', {});
    const err = configError(() => loadDeploymentConfig({ file, env }));
    expect(err.setting).toBe(setting);
    expect(err.message).toMatch(message);
  });

  it('exports the file rule it uses, so other readers of the config report the same file', () => {
    const file = writeConfig('resolved.json', {});
    expect(resolveDeploymentConfigFile({ env: { INIT_CWD: dir, DIRECT_UPLOAD_CONFIG: 'resolved.json' } })).toBe(file);
    expect(resolveDeploymentConfigFile({ env: { DIRECT_UPLOAD_CONFIG: '/elsewhere.json' }, file })).toBe(file);
  });

  it('rejects a config file that does not exist, naming where the path came from', () => {
    const err = configError(() => loadDeploymentConfig({ env: { DIRECT_UPLOAD_CONFIG: path.join(dir, 'missing.json') } }));
    expect(err.message).toMatch(/missing\.json \(from DIRECT_UPLOAD_CONFIG\) does not exist/);
  });

  it('rejects a config file that is not JSON', () => {
    const file = writeConfig('broken.json', '{ "bucketName": ');
    expect(configError(() => loadDeploymentConfig({ env: {}, file })).message).toMatch(/is not valid JSON/);
  });

  it('rejects a config file that is not an object', () => {
    const file = writeConfig('array.json', ['https://app.example.com']);
    expect(configError(() => loadDeploymentConfig({ env: {}, file })).message).toMatch(/must hold a JSON object/);
  });

  it('rejects an unknown key in the file with a suggestion', () => {
    const file = writeConfig('typo.json', { bucket: 'my-app-uploads' });
    const err = configError(() => loadDeploymentConfig({ env: {}, file }));
    expect(err.message).toMatch(/Unknown setting "bucket" in .*typo\.json\. Did you mean "bucketName"\?/);
  });

  it.each([
    ['terraform/config.ts', ['../middleware/settings']],
    ['terraform/cors.ts', ['./config']],
  ])('%s imports nothing but Node built-ins and light siblings, so example-server can load it without cdktf', (file, siblings) => {
    const source = fs.readFileSync(path.resolve(__dirname, '../..', file), 'utf8');
    const specifiers = [...source.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => !s.startsWith('node:') && !(siblings as string[]).includes(s))).toEqual([]);
  });

  it('the shared settings module it uses imports nothing at all', () => {
    const source = fs.readFileSync(path.resolve(__dirname, '../../middleware/settings.ts'), 'utf8');
    expect([...source.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)]).toEqual([]);
  });
});
