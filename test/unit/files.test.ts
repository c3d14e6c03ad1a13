// The pure parts of the owner's files: the original filename as metadata, and the listing cursor.
import { decodeCursor, decodeFilename, encodeCursor, encodeFilename } from '../../middleware/upload/files';

describe('the original filename, stored as x-amz-meta-filename', () => {
  it('is percent-encoded ASCII that decodes back to the name, path segments dropped', () => {
    for (const name of ['photo.jpg', 'Été à la plage.png', '写真 2026.jpeg', 'a"b\\c%d.png', 'emoji 🎉.gif']) {
      const encoded = encodeFilename(name);
      expect(encoded).toMatch(/^[\x21-\x7e]+$/);
      expect(decodeFilename({ filename: encoded })).toBe(name.split(/[\\/]/).pop());
    }
    expect(decodeFilename({ filename: encodeFilename('C:\\fakepath\\cat.png') })).toBe('cat.png');
    expect(decodeFilename({ filename: encodeFilename('../../etc/passwd') })).toBe('passwd');
  });

  it('keeps within 1 KiB encoded, shortening the stem and keeping the extension', () => {
    const long = `${'写'.repeat(255)}.jpeg`;
    const encoded = encodeFilename(long);
    expect(encoded.length).toBeLessThanOrEqual(1024);
    const decoded = decodeFilename({ filename: encoded })!;
    expect(decoded.endsWith('.jpeg')).toBe(true);
    expect(long.startsWith(decoded.slice(0, -5))).toBe(true);
  });

  it('is undefined when absent or not decodable', () => {
    expect(decodeFilename({})).toBeUndefined();
    expect(decodeFilename({ filename: '%E0%A4%A' })).toBeUndefined();
  });
});

describe('the listing cursor', () => {
  it('round-trips a key and is URL-safe', () => {
    const key = 'uploads/0123456789abcdef0123456789abcdef/5f1c.png';
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toBe(key);
  });

  it('refuses what it never produced: other alphabets, padding, empty, not UTF-8', () => {
    expect(decodeCursor('')).toBeUndefined();
    expect(decodeCursor('abc=')).toBeUndefined();
    expect(decodeCursor('a+b/')).toBeUndefined();
    expect(decodeCursor(Buffer.from([0xff, 0xfe, 0x41]).toString('base64url'))).toBeUndefined();
    expect(decodeCursor('x'.repeat(2000))).toBeUndefined();
  });
});
