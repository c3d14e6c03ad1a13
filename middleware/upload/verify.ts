// Verification policy: whether an object in the bucket, or the parts of a multipart upload, are what was authorised. Pure functions, no I/O.
import type { Configuration } from '../options';
import type { StoredObject, StoredPart } from '../s3/bucket';
import { isContentTypeAllowed, isScriptCapable, parseContentType } from './content-types';
import { DECLARED_HEADERS_METADATA, DECLARED_SIZE_METADATA, declaredHeadersDigest, declaresHeaders } from './object';
import { partLength, type PartPlan } from './parts';
import type { UploadExpectation } from './request';

/**
 * Cache-Control directives a browser adds by itself to a conditional PUT (`If-None-Match`), which S3 then stores:
 * Node's fetch sends `no-cache`, Chromium `max-age=0`. Cache-Control cannot be signed (SigV4 signers leave it out),
 * so a stored value made only of these, which can only shorten caching, is accepted; any other is not.
 */
const BROWSER_CACHE_DIRECTIVES: ReadonlySet<string> = new Set(['no-cache', 'no-store', 'max-age=0', 'must-revalidate']);

/** True for a Cache-Control a browser may have added by itself: only directives that forbid or shorten caching. */
export function isBrowserCacheControl(value: string): boolean {
  return value.split(',').every((directive) => BROWSER_CACHE_DIRECTIVES.has(directive.trim().toLowerCase()));
}

/**
 * What is wrong with an object by the server's own rules, as phrases for one message; empty when it is what was
 * authorised. Any problem here means the object must go: it is checked against the limits and allowed types, the
 * size declared when the upload began (`x-amz-meta-declared-size`), and the headers the server signed.
 */
export function objectProblems(
  object: StoredObject,
  config: Pick<Configuration, 'maxFileSize' | 'minFileSize' | 'allowedContentTypes' | 'contentDisposition' | 'metadata'>,
): string[] {
  const declared = object.metadata[DECLARED_SIZE_METADATA];
  const type = parseContentType(object.contentType);
  const problems: string[] = [];
  if (object.size > config.maxFileSize) problems.push(`its size ${object.size} is over the limit of ${config.maxFileSize} bytes`);
  if (object.size < config.minFileSize) problems.push(`its size ${object.size} is under the minimum of ${config.minFileSize} bytes`);
  if (declared !== undefined && declared !== String(object.size)) problems.push(`its size ${object.size} is not the ${declared} bytes declared`);
  if (!type || !isContentTypeAllowed(type, config.allowedContentTypes)) problems.push(`its type "${object.contentType}" is not allowed`);
  return [...problems, ...headerProblems(object, config, type?.essence)];
}

/**
 * Headers stored with the object that the server did not sign. S3 refuses a signed header with another value, but
 * stores most unsigned ones as sent: these are caught here. Content-Disposition and metadata are compared with the
 * signed digest when the configuration signs one, and must otherwise be exactly what the server always signs.
 */
export function headerProblems(object: StoredObject, config: Pick<Configuration, 'contentDisposition' | 'metadata'>, essence: string | undefined): string[] {
  const problems: string[] = [];
  const unsigned: Array<[string, string | undefined]> = [
    ['Content-Encoding', object.contentEncoding],
    ['Content-Language', object.contentLanguage],
    ['Expires', object.expires],
    ['x-amz-website-redirect-location', object.websiteRedirectLocation],
  ];
  for (const [name, value] of unsigned) if (value) problems.push(`it carries ${name} "${value}", which was not signed`);
  if (object.cacheControl && !isBrowserCacheControl(object.cacheControl)) problems.push(`it carries Cache-Control "${object.cacheControl}", which was not signed`);
  if (object.tagCount > 0) problems.push(`it carries ${object.tagCount} tag(s), which were not signed`);
  if (object.storageClass && object.storageClass !== 'STANDARD') problems.push(`its storage class ${object.storageClass} was not signed`);

  const scriptCapable = essence !== undefined && isScriptCapable(essence);
  if (scriptCapable && !/^attachment(;|$)/i.test(object.contentDisposition ?? '')) problems.push('its type can run script, and it is not stored as an attachment');
  if (declaresHeaders(config)) {
    const signed = object.metadata[DECLARED_HEADERS_METADATA];
    if (signed === undefined) problems.push(`it lacks the signed x-amz-meta-${DECLARED_HEADERS_METADATA}`);
    else if (signed !== declaredHeadersDigest(object.contentDisposition, object.metadata)) {
      problems.push(`its Content-Disposition or metadata (${describeHeaders(object)}) is not what was signed`);
    }
  } else {
    const extra = Object.keys(object.metadata).filter((name) => name !== DECLARED_SIZE_METADATA);
    if (extra.length > 0) problems.push(`it carries metadata that was not signed: ${extra.slice(0, 10).map((name) => `x-amz-meta-${name}`).join(', ')}`);
    const disposition = scriptCapable ? 'attachment' : undefined;
    if (object.contentDisposition !== disposition) problems.push(`it carries Content-Disposition "${object.contentDisposition ?? ''}", which was not signed`);
  }
  return problems;
}

function describeHeaders(object: StoredObject): string {
  const names = Object.keys(object.metadata).filter((name) => name !== DECLARED_HEADERS_METADATA && name !== DECLARED_SIZE_METADATA).map((name) => `x-amz-meta-${name}`);
  if (object.contentDisposition !== undefined) names.unshift('Content-Disposition');
  return names.length > 0 ? names.slice(0, 10).join(', ') : 'none';
}

/**
 * How an object that the server authorised differs from what the client says it uploaded (`size`, `contentType`
 * of the complete request). Only the client's view is at odds: the object is not deleted for these.
 */
export function expectationProblems(object: StoredObject, expected: UploadExpectation): string[] {
  const problems: string[] = [];
  const type = parseContentType(object.contentType);
  if (expected.size !== undefined && expected.size !== object.size) problems.push(`its size ${object.size} is not the ${expected.size} bytes expected`);
  if (expected.contentType !== undefined && parseContentType(expected.contentType)?.essence !== type?.essence) {
    problems.push(`its type "${object.contentType}" is not the "${expected.contentType}" expected`);
  }
  return problems;
}

/**
 * What keeps a multipart upload from completing as planned, as phrases for one message; empty when parts
 * 1..partCount are all there with their planned sizes and nothing else is. Long lists are cut short.
 */
export function partProblems(parts: readonly StoredPart[], plan: PartPlan): string[] {
  const byNumber = new Map(parts.map((p) => [p.partNumber, p]));
  const missing: number[] = [];
  const wrongSize: string[] = [];
  for (let n = 1; n <= plan.partCount; n++) {
    const part = byNumber.get(n);
    if (!part) missing.push(n);
    else if (part.size !== partLength(plan, n)) wrongSize.push(`part ${n} is ${part.size} bytes, not ${partLength(plan, n)}`);
  }
  const extra = parts.filter((p) => p.partNumber > plan.partCount).map((p) => p.partNumber);
  return [
    missing.length > 0 ? `missing parts ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ` and ${missing.length - 20} more` : ''}` : '',
    ...wrongSize.slice(0, 5),
    extra.length > 0 ? `unexpected parts ${extra.slice(0, 20).join(', ')}` : '',
  ].filter(Boolean);
}
