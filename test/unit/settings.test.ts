// The rules shared by the middleware, example-server and terraform/: one answer for each setting, whoever asks.
import { bucketNameProblem, closestName, keyPrefixProblem } from '../../middleware/settings';

describe('bucket names', () => {
  it.each(['my-uploads', 'abc', 'a'.repeat(63), 'uploads-2026'])('%s is a bucket name for both', (name) => {
    expect(bucketNameProblem(name, { allowDots: true })).toBeUndefined();
    expect(bucketNameProblem(name, { allowDots: false })).toBeUndefined();
  });

  it('dotted names: usable with the middleware (signed path-style), refused for a new bucket', () => {
    expect(bucketNameProblem('uploads.example.com', { allowDots: true })).toBeUndefined();
    expect(bucketNameProblem('uploads.example.com', { allowDots: false })).toMatch(/dots break HTTPS.*"uploads-example-com"/);
  });

  it.each([
    ['ab', /3 to 63/],
    ['a'.repeat(64), /3 to 63/],
    ['My-Uploads', /lowercase; use "my-uploads"/],
    ['my_uploads', /cannot contain "_"/],
    ['my+uploads', /lowercase letters, digits, dots and hyphens/],
    ['-uploads', /begin and end/],
    ['a..b', /two adjacent dots/],
    ['192.168.1.1', /IP address/],
    ['xn--uploads', /prefix "xn--" is reserved/],
    ['sthree-uploads', /reserved/],
    ['amzn-s3-demo-uploads', /reserved/],
    ['uploads-s3alias', /suffix "-s3alias" is reserved/],
    ['uploads--ol-s3', /reserved/],
    ['uploads--x-s3', /reserved/],
    ['uploads--table-s3', /reserved/],
    [42, /string/],
  ])('%p is refused: %p', (name, why) => {
    expect(bucketNameProblem(name, { allowDots: true })).toMatch(why);
  });
});

describe('key prefixes', () => {
  it.each(['', 'uploads/', 'media/avatars/', "a!_.*'()-/"])('%p is a key prefix', (prefix) => {
    expect(keyPrefixProblem(prefix)).toBeUndefined();
  });

  it.each([
    ['uploads', /end with "\/".*"uploads\/"/],
    ['/uploads/', /do not start with "\/"; use "uploads\/"/],
    ['a//b/', /single "\/"/],
    ['up+/', /letters, digits/],
    ['uploads/../', /"\.\."/],
    ['./', /"\.\."/],
    [undefined, /string/],
  ])('%p is refused: %p', (prefix, why) => {
    expect(keyPrefixProblem(prefix)).toMatch(why);
  });
});

describe('suggestions for unknown names', () => {
  const known = ['maxFileSize', 'expiresIn', 'allowedContentTypes', 'keyPrefix'];
  it.each([
    ['maxFileSiz', 'maxFileSize'],
    ['MAXFILESIZE', 'maxFileSize'],
    ['expires', 'expiresIn'],
    ['keyprefx', 'keyPrefix'],
  ])('%s → %s, by edit distance', (unknown, meant) => {
    expect(closestName(unknown, known)).toBe(meant);
  });

  it('aliases reach names too far for edit distance; nothing close gives no suggestion', () => {
    expect(closestName('maxSize', known)).toBeUndefined();
    expect(closestName('maxSize', known, { maxsize: 'maxFileSize' })).toBe('maxFileSize');
    expect(closestName('constructor', known, {})).toBeUndefined();
    expect(closestName('somethingElse', known)).toBeUndefined();
  });
});
