// Quarantine's pure parts: option checks, incoming and released keys, and the copy source S3 is given.
import { parseOptions, type DirectUploadOptions } from '../../middleware/options';
import { copySource } from '../../middleware/s3/bucket';
import { landingKey, releasedKey } from '../../middleware/upload/quarantine';

const base: DirectUploadOptions = { bucket: 'my-bucket', region: 'us-east-1', auth: false, owner: () => 'alice' };

describe('quarantine option', () => {
  it('is off by default, and true means the incoming/ prefix', () => {
    expect(parseOptions(base).quarantine).toBeUndefined();
    expect(parseOptions({ ...base, quarantine: true }).quarantine).toEqual({ prefix: 'incoming/', scan: undefined });
    expect(parseOptions({ ...base, quarantine: { prefix: 'scan/in/' } }).quarantine?.prefix).toBe('scan/in/');
  });

  it('refuses a prefix that would hold released keys, a malformed one, an unknown field, and objects CopyObject cannot move', () => {
    expect(() => parseOptions({ ...base, keyPrefix: 'incoming/uploads/', quarantine: { prefix: 'incoming/' } })).toThrow(/released uploads would stay in quarantine/);
    expect(() => parseOptions({ ...base, quarantine: { prefix: 'incoming' } })).toThrow(/quarantine\.prefix.*must end with "\/"/);
    expect(() => parseOptions({ ...base, quarantine: { prefix: '' } })).toThrow(/must not be empty/);
    expect(() => parseOptions({ ...base, quarantine: { scans: () => 'clean' } as never })).toThrow(/Did you mean quarantine\.scan\?/);
    expect(() => parseOptions({ ...base, quarantine: { scan: 'clamav' } as never })).toThrow(/quarantine\.scan must be a function/);
    expect(() => parseOptions({ ...base, maxFileSize: 6 * 1024 ** 3, quarantine: true })).toThrow(/5 GiB, the most one CopyObject moves/);
  });
});

describe('quarantine keys', () => {
  const config = { quarantine: { prefix: 'incoming/' } };
  it('lands an upload under the prefix, owner folder kept, and releases it to the key it will have', () => {
    expect(landingKey(config, 'uploads/abc/1.png')).toBe('incoming/uploads/abc/1.png');
    expect(releasedKey(config, 'incoming/uploads/abc/1.png')).toBe('uploads/abc/1.png');
    expect(releasedKey(config, 'uploads/abc/1.png')).toBeUndefined();
    expect(landingKey({}, 'uploads/abc/1.png')).toBe('uploads/abc/1.png');
    expect(releasedKey({}, 'incoming/uploads/abc/1.png')).toBeUndefined();
  });

  it('names the copy source as bucket/key with each segment URL-encoded', () => {
    expect(copySource('my-bucket', 'incoming/uploads/abc/1.png')).toBe('my-bucket/incoming/uploads/abc/1.png');
    expect(copySource('my-bucket', "incoming/it's a+b/ü.png")).toBe("my-bucket/incoming/it's%20a%2Bb/%C3%BC.png");
  });
});
