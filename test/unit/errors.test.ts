// Each error class fixes its answer: status, code and title, so `instanceof` tells the client what it gets.
import { InsufficientScopeError, InvalidRequestError, InvalidTokenError, UnauthorizedError } from 'express-oauth2-jwt-bearer';
import * as api from '../../middleware';
import { toDirectUploadError } from '../../middleware/http/problem';

const {
  AuthenticationRequiredError,
  AuthUnavailableError,
  BadRequestError,
  DirectUploadError,
  FileTooLargeError,
  ForbiddenError,
  IncompleteUploadError,
  MethodNotAllowedError,
  MissingScopeError,
  NotFoundError,
  RateLimitedError,
  RequestTooLargeError,
  StorageUnavailableError,
  UnsupportedContentTypeError,
  UploadMismatchError,
} = api;

describe('the error family', () => {
  it.each([
    [new DirectUploadError('x'), 500, 'internal_error'],
    [new BadRequestError('x'), 400, 'invalid_request'],
    [new AuthenticationRequiredError('x'), 401, 'invalid_token'],
    [new MissingScopeError('x'), 403, 'insufficient_scope'],
    [new ForbiddenError('x'), 403, 'forbidden'],
    [new NotFoundError('x'), 404, 'not_found'],
    [new MethodNotAllowedError('PUT', 'GET, POST'), 405, 'method_not_allowed'],
    [new UploadMismatchError('x'), 409, 'upload_mismatch'],
    [new IncompleteUploadError('x'), 409, 'incomplete_upload'],
    [new FileTooLargeError('x'), 413, 'file_too_large'],
    [new RequestTooLargeError('x'), 413, 'request_too_large'],
    [new UnsupportedContentTypeError('x'), 415, 'unsupported_content_type'],
    [new RateLimitedError('x'), 429, 'rate_limited'],
    [new StorageUnavailableError('x'), 503, 'storage_unavailable'],
    [new AuthUnavailableError('x'), 503, 'auth_unavailable'],
  ])('%p answers %i %s', (error, status, code) => {
    expect(error).toBeInstanceOf(DirectUploadError);
    expect(error).toMatchObject({ status, code, name: error.constructor.name });
    expect(error.title.length).toBeGreaterThan(0);
  });

  it('shares no class name with express-oauth2-jwt-bearer', () => {
    const ours = Object.keys(api).filter((name) => name.endsWith('Error'));
    for (const theirs of ['UnauthorizedError', 'InvalidRequestError', 'InvalidTokenError', 'InsufficientScopeError']) expect(ours).not.toContain(theirs);
  });

  it('a 405 carries its Allow header, a 401 its challenge', () => {
    expect(new MethodNotAllowedError('PUT', 'GET, POST').headers).toEqual({ Allow: 'GET, POST' });
    expect(new AuthenticationRequiredError('x').headers['WWW-Authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
  });

  it.each([
    [30, '30'],
    [1.2, '2'],
    [-5, '0'],
  ])('RateLimitedError with %p seconds sends Retry-After: %s', (seconds, header) => {
    expect(new RateLimitedError('slow down', seconds).headers).toEqual({ 'Retry-After': header });
  });

  it.each([undefined, Number.NaN, Number.POSITIVE_INFINITY])('RateLimitedError with %p seconds sends no Retry-After', (seconds) => {
    expect(new RateLimitedError('slow down', seconds).headers).toEqual({});
  });
});

describe('the verifier’s errors map by class and keep their challenge', () => {
  it.each([
    [new InsufficientScopeError(['write:uploads']), MissingScopeError, 403, 'insufficient_scope'],
    [new InvalidRequestError('bad header'), BadRequestError, 400, 'invalid_request'],
    [new InvalidTokenError('expired'), AuthenticationRequiredError, 401, 'invalid_token'],
    [new UnauthorizedError(), AuthenticationRequiredError, 401, 'invalid_token'],
  ])('%p → %p', (theirs, type, status, code) => {
    const mapped = toDirectUploadError(theirs);
    expect(mapped).toBeInstanceOf(type);
    expect(mapped).toMatchObject({ status, code });
    expect(mapped.headers).toEqual(theirs.headers);
  });

  it('anything else is a bare 500 that keeps the original as its cause', () => {
    const bug = new TypeError('undefined is not a function');
    const mapped = toDirectUploadError(bug);
    expect(mapped.constructor).toBe(DirectUploadError);
    expect(mapped.status).toBe(500);
    expect(mapped.message).not.toContain('undefined is not a function');
    expect(mapped.cause).toBe(bug);
  });
});
