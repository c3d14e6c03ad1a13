// What the server signs into a new object and how verification reads it back: script-capable types, the key's
// extension, the always-signed ACL, the metadata digest, and every stored header the server did not sign.
import type { Request } from 'express';
import { isContentTypeAllowed, isScriptCapable, parseContentType, parseContentTypePattern, type ContentTypePattern } from '../../middleware/upload/content-types';
import { attachmentDisposition, DECLARED_HEADERS_METADATA, keyContext, objectHeaders } from '../../middleware/upload/object';
import type { UploadRequest } from '../../middleware/upload/request';
import type { StoredObject } from '../../middleware/s3/bucket';
import { expectationProblems, objectProblems } from '../../middleware/upload/verify';

const patterns = (...list: string[]) => list.map((p) => parseContentTypePattern(p) as ContentTypePattern);
const type = (value: string) => parseContentType(value)!;
const caller = { owner: 'auth0|alice', prefix: 'uploads/0123456789abcdef0123456789abcdef/' };
const req = {} as Request;
const upload = (contentType: string, filename?: string, size = 10): UploadRequest => ({ contentType: type(contentType), filename, size });

describe('script-capable types', () => {
  it.each(['image/svg+xml', 'text/html', 'application/xhtml+xml', 'text/xml', 'application/xml', 'application/atom+xml', 'text/javascript', 'application/ecmascript', 'text/xsl', 'application/pdf'])(
    '%s can run script',
    (essence) => expect(isScriptCapable(essence)).toBe(true),
  );
  it.each(['image/png', 'image/jpeg', 'text/plain', 'application/json', 'video/mp4'])('%s cannot', (essence) => expect(isScriptCapable(essence)).toBe(false));

  it('are never admitted through a wildcard', () => {
    expect(isContentTypeAllowed(type('image/svg+xml'), patterns('image/*'))).toBe(false);
    expect(isContentTypeAllowed(type('text/html'), patterns('*/*'))).toBe(false);
    expect(isContentTypeAllowed(type('application/atom+xml'), patterns('application/*'))).toBe(false);
    expect(isContentTypeAllowed(type('image/png'), patterns('image/*'))).toBe(true);
  });

  it('are admitted when listed exactly, in any case and with parameters', () => {
    expect(isContentTypeAllowed(type('image/svg+xml'), patterns('image/*', 'image/svg+xml'))).toBe(true);
    expect(isContentTypeAllowed(type('Text/HTML; charset=utf-8'), patterns('text/html'))).toBe(true);
  });

  it('are signed as attachments, whether or not contentDisposition is on', () => {
    const ctx = keyContext(req, caller, upload('image/svg+xml', 'logo.svg'));
    expect(objectHeaders({ contentDisposition: false }, ctx, upload('image/svg+xml', 'logo.svg'))['content-disposition']).toBe('attachment');
    expect(objectHeaders({ contentDisposition: true }, ctx, upload('image/svg+xml', 'logo.svg'))['content-disposition']).toMatch(/^attachment; filename="logo.svg"/);
    expect(objectHeaders({ contentDisposition: false }, ctx, upload('image/png', 'a.png'))['content-disposition']).toBeUndefined();
  });
});

describe("the key's extension", () => {
  it.each([
    ['evil.html', 'image/png', 'png'],
    ['photo.JPG', 'image/jpeg', 'jpg'],
    ['gnp\u202Elmth.png', 'image/png', 'png'],
    ['archive.exe', 'application/x-unknown', ''],
    [undefined, 'image/webp', 'webp'],
  ])('%j declared as %s gets %j', (filename, contentType, extension) => {
    expect(keyContext(req, caller, upload(contentType, filename)).extension).toBe(extension);
  });

  it('a right-to-left override does not reach the stored filename', () => {
    expect(attachmentDisposition('invoice\u202Efdp.exe')).toBe(`attachment; filename="invoicefdp.exe"; filename*=UTF-8''invoicefdp.exe`);
  });
});

describe('objectHeaders', () => {
  const ctx = keyContext(req, caller, upload('image/png', 'a.png'));
  it('always signs x-amz-acl: private, or public-read when configured', () => {
    expect(objectHeaders({ contentDisposition: false }, ctx, upload('image/png'))['x-amz-acl']).toBe('private');
    expect(objectHeaders({ contentDisposition: false, acl: 'public-read' }, ctx, upload('image/png'))['x-amz-acl']).toBe('public-read');
  });
  it('signs no digest when nothing varies per upload, and one when metadata or a filename does', () => {
    expect(Object.keys(objectHeaders({ contentDisposition: false }, ctx, upload('image/png')))).toEqual(['content-type', 'x-amz-acl']);
    const headers = objectHeaders({ contentDisposition: false, metadata: () => ({ Owner: ' auth0|bob ' }) }, ctx, upload('image/png'));
    expect(headers['x-amz-meta-owner']).toBe('auth0|bob');
    expect(headers[`x-amz-meta-${DECLARED_HEADERS_METADATA}`]).toMatch(/^[\w-]{43}$/);
  });
  it('refuses the reserved metadata names', () => {
    expect(() => objectHeaders({ contentDisposition: false, metadata: () => ({ 'Declared-Headers': 'x' }) }, ctx, upload('image/png'))).toThrow(/reserved/);
  });
});

describe('objectProblems: what the server did not authorise', () => {
  const config = { maxFileSize: 100, minFileSize: 1, allowedContentTypes: patterns('image/png', 'image/svg+xml'), contentDisposition: false };
  const stored = (overrides: Partial<StoredObject> = {}): StoredObject => ({ size: 10, contentType: 'image/png', metadata: {}, tagCount: 0, ...overrides });

  it('accepts exactly what was signed, and the Cache-Control a browser adds to a conditional PUT (Node: no-cache, Chromium: max-age=0)', () => {
    expect(objectProblems(stored(), config)).toEqual([]);
    expect(objectProblems(stored({ cacheControl: 'no-cache' }), config)).toEqual([]);
    expect(objectProblems(stored({ cacheControl: 'max-age=0' }), config)).toEqual([]);
    expect(objectProblems(stored({ cacheControl: 'no-cache, max-age=31536000' }), config).join()).toMatch(/Cache-Control/);
    expect(objectProblems(stored({ contentType: 'image/svg+xml', contentDisposition: 'attachment' }), config)).toEqual([]);
  });

  it.each<[string, Partial<StoredObject>, RegExp]>([
    ['Content-Encoding', { contentEncoding: 'gzip' }, /Content-Encoding "gzip"/],
    ['Content-Language', { contentLanguage: 'de' }, /Content-Language/],
    ['Expires', { expires: 'Wed, 21 Oct 2037 07:28:00 GMT' }, /Expires/],
    ['Cache-Control', { cacheControl: 'public, max-age=31536000' }, /Cache-Control/],
    ['a website redirect', { websiteRedirectLocation: '/evil' }, /website-redirect-location/],
    ['tags', { tagCount: 1 }, /1 tag/],
    ['another storage class', { storageClass: 'GLACIER' }, /storage class/],
    ['extra metadata', { metadata: { extra: 'x' } }, /x-amz-meta-extra/],
    ['Content-Disposition', { contentDisposition: 'inline' }, /Content-Disposition "inline"/],
    ['an SVG not stored as an attachment', { contentType: 'image/svg+xml' }, /run script/],
  ])('finds %s', (_, overrides, message) => {
    expect(objectProblems(stored(overrides), config).join('; ')).toMatch(message);
  });

  it('with a metadata hook, compares Content-Disposition and metadata with the signed digest', () => {
    const withHook = { ...config, metadata: () => ({ owner: 'auth0|bob' }) };
    const ctx = keyContext(req, caller, upload('image/png'));
    const signed = objectHeaders(withHook, ctx, upload('image/png'));
    const metadata = { owner: 'auth0|bob', [DECLARED_HEADERS_METADATA]: signed[`x-amz-meta-${DECLARED_HEADERS_METADATA}`] };
    expect(objectProblems(stored({ metadata }), withHook)).toEqual([]);
    expect(objectProblems(stored({ metadata: { ...metadata, owner: 'auth0|bob,auth0|alice' } }), withHook).join()).toMatch(/not what was signed/);
    expect(objectProblems(stored({ metadata: { ...metadata, extra: 'x' } }), withHook).join()).toMatch(/x-amz-meta-extra.*not what was signed/);
    expect(objectProblems(stored({ metadata, contentDisposition: 'inline' }), withHook).join()).toMatch(/Content-Disposition.*not what was signed/);
    expect(objectProblems(stored({ metadata: { owner: 'auth0|bob' } }), withHook).join()).toMatch(/lacks the signed/);
  });
});

describe('expectationProblems: what only the client expected', () => {
  const object: StoredObject = { size: 10, contentType: 'image/png', metadata: {}, tagCount: 0 };
  it('compares size and type essence, and nothing else', () => {
    expect(expectationProblems(object, {})).toEqual([]);
    expect(expectationProblems(object, { size: 10, contentType: 'IMAGE/PNG; x=y' })).toEqual([]);
    expect(expectationProblems(object, { size: 11, contentType: 'image/jpeg' })).toHaveLength(2);
  });
});
