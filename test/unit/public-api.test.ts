// The package's public surface is deliberate: adding or removing a runtime export must change this list too.
import * as api from '../../middleware';

it('exports directUpload, sendProblem and the error classes, nothing else at runtime', () => {
  expect(Object.keys(api).sort()).toEqual(
    [
      'directUpload',
      'sendProblem',
      'DirectUploadError',
      'BadRequestError',
      'AuthenticationRequiredError',
      'MissingScopeError',
      'ForbiddenError',
      'NotFoundError',
      'MethodNotAllowedError',
      'UploadMismatchError',
      'IncompleteUploadError',
      'ScanPendingError',
      'UploadRejectedError',
      'FileTooLargeError',
      'RequestTooLargeError',
      'RequestTimeoutError',
      'UnsupportedContentTypeError',
      'RateLimitedError',
      'StorageUnavailableError',
      'AuthUnavailableError',
      'DirectUploadOptionsError',
    ].sort(),
  );
});
