// The pure policy functions: key naming, content-type matching and part sizing.
import { isOwnedBy, keyProblem, ownerPrefix } from '../../middleware/upload/keys';
import { extensionForContentType, isContentTypeAllowed, parseContentType, parseContentTypePattern, type ContentTypePattern } from '../../middleware/upload/content-types';
import { MAX_PARTS, MIN_PART_SIZE, partLength, partPlan } from '../../middleware/upload/parts';

const MiB = 1024 * 1024;

describe('ownerPrefix', () => {
  it('is stable per identity and different between identities', () => {
    expect(ownerPrefix('uploads/', 'auth0|alice')).toBe(ownerPrefix('uploads/', 'auth0|alice'));
    expect(ownerPrefix('uploads/', 'auth0|alice')).not.toBe(ownerPrefix('uploads/', 'auth0|bob'));
  });
  it('is path-safe whatever the sub holds', () => {
    for (const sub of ['../../etc', 'a/b', 'émoji 🎉', 'x'.repeat(5000), 'google-oauth2|123']) {
      expect(ownerPrefix('uploads/', sub)).toMatch(/^uploads\/[0-9a-f]{32}\/$/);
    }
  });
  it('cannot be a prefix of another user\'s folder', () => {
    const a = ownerPrefix('', 'a');
    const b = ownerPrefix('', 'b');
    expect(a.startsWith(b) || b.startsWith(a)).toBe(false);
  });
});

describe('keyProblem and isOwnedBy', () => {
  const prefix = 'uploads/0123456789abcdef0123456789abcdef/';
  it('accepts keys in the caller\'s folder', () => {
    expect(keyProblem(`${prefix}x.png`, prefix)).toBeUndefined();
    expect(isOwnedBy(`${prefix}a/b.png`, prefix)).toBe(true);
  });
  it.each([
    ['another folder', 'uploads/ffff/x.png'],
    ['the folder itself', prefix],
    ['a dot-dot segment', `${prefix}../x`],
    ['an empty segment', `${prefix}a//b`],
    ['unsafe characters', `${prefix}a b.png`],
    ['a query character', `${prefix}a?b`],
    ['too long', `${prefix}${'a'.repeat(1100)}`],
  ])('refuses %s', (_, key) => {
    expect(keyProblem(key, prefix)).toEqual(expect.any(String));
    expect(isOwnedBy(key, prefix)).toBe(false);
  });
});

describe('content types', () => {
  const allowed = ['image/jpeg', 'video/*'].map((p) => parseContentTypePattern(p) as ContentTypePattern);
  it('matches exact types and wildcards on the essence', () => {
    expect(isContentTypeAllowed(parseContentType('image/jpeg')!, allowed)).toBe(true);
    expect(isContentTypeAllowed(parseContentType('IMAGE/JPEG')!, allowed)).toBe(true);
    expect(isContentTypeAllowed(parseContentType('video/mp4')!, allowed)).toBe(true);
    expect(isContentTypeAllowed(parseContentType('image/png')!, allowed)).toBe(false);
    expect(isContentTypeAllowed(parseContentType('image/jpegx')!, allowed)).toBe(false);
    expect(isContentTypeAllowed(parseContentType('text/plain')!, [parseContentTypePattern('*/*')!])).toBe(true);
  });
  it('keeps the client\'s own string to sign, and a lower-case essence to match', () => {
    expect(parseContentType(' Text/Plain;Charset=UTF-8 ')).toEqual({ essence: 'text/plain', value: 'Text/Plain;Charset=UTF-8' });
    expect(parseContentType('text/plain; charset="utf-8"')?.value).toBe('text/plain; charset="utf-8"');
    expect(parseContentType('text/plain;charset=UTF-8')?.value).toBe('text/plain;charset=UTF-8');
  });
  it.each(['', 'image', 'image/', '/jpeg', 'image/jpeg/x', 'image/*', '*/*', 'image/jp eg', 'text/plain; charset', 'a/b\r\nX-Evil: 1', 'x'.repeat(300) + '/y'])(
    'refuses %j',
    (value) => {
      expect(parseContentType(value)).toBeUndefined();
    },
  );
  it('validates patterns', () => {
    expect(parseContentTypePattern('image/*')).toEqual({ type: 'image', subtype: '*' });
    for (const bad of ['*/jpeg', 'image/jp*', 'im*ge/png', 'image', 42, null]) expect(parseContentTypePattern(bad)).toBeUndefined();
  });
  it('knows the usual extensions', () => {
    expect(extensionForContentType('image/jpeg')).toBe('jpg');
    expect(extensionForContentType('application/x-unknown')).toBe('');
  });
});

describe('partPlan', () => {
  it('uses the preferred part size when it fits', () => {
    expect(partPlan(64 * MiB, 8 * MiB)).toEqual({ size: 64 * MiB, partSize: 8 * MiB, partCount: 8 });
    expect(partPlan(64 * MiB + 1, 8 * MiB).partCount).toBe(9);
  });
  it('never goes under 5 MiB per part', () => {
    expect(partPlan(12 * MiB, 1 * MiB)).toEqual({ size: 12 * MiB, partSize: MIN_PART_SIZE, partCount: 3 });
  });
  it('grows the part size to stay within 10,000 parts', () => {
    const size = 200 * 1024 * MiB;
    const plan = partPlan(size, 8 * MiB);
    expect(plan.partCount).toBeLessThanOrEqual(MAX_PARTS);
    expect(plan.partSize % MiB).toBe(0);
    expect(plan.partSize * plan.partCount).toBeGreaterThanOrEqual(size);
  });
  it('covers 5 TiB', () => {
    const plan = partPlan(5 * 1024 ** 4, 8 * MiB);
    expect(plan.partCount).toBeLessThanOrEqual(MAX_PARTS);
  });
  it('gives part lengths that add up to the size', () => {
    for (const size of [1, 5 * MiB, 5 * MiB + 1, 64 * MiB + 12345, 1000 * MiB - 7]) {
      const plan = partPlan(size, 8 * MiB);
      let total = 0;
      for (let n = 1; n <= plan.partCount; n++) {
        const length = partLength(plan, n);
        expect(length).toBeGreaterThan(0);
        if (n < plan.partCount) expect(length).toBeGreaterThanOrEqual(MIN_PART_SIZE);
        total += length;
      }
      expect(total).toBe(size);
    }
  });
  it('refuses part numbers outside the plan and bad sizes', () => {
    const plan = partPlan(20 * MiB, 8 * MiB);
    expect(() => partLength(plan, 0)).toThrow(RangeError);
    expect(() => partLength(plan, 4)).toThrow(RangeError);
    expect(() => partLength(plan, 1.5)).toThrow(RangeError);
    expect(() => partPlan(0, 8 * MiB)).toThrow(RangeError);
    expect(() => partPlan(6 * 1024 ** 4, 8 * MiB)).toThrow(RangeError);
  });
});
