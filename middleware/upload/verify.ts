// Verification policy: whether an object in the bucket, or the parts of a multipart upload, are what was authorised. Pure functions, no I/O.
import type { Configuration } from '../options';
import type { StoredObject, StoredPart } from '../s3/bucket';
import { isContentTypeAllowed, parseContentType } from './content-types';
import { DECLARED_SIZE_METADATA } from './object';
import { partLength, type PartPlan } from './parts';
import type { UploadExpectation } from './request';

/**
 * What is wrong with an object, as phrases for one message; empty when it is what was authorised. It is checked
 * against the limits, the size declared when the upload began (`x-amz-meta-declared-size`), and what the client expects.
 */
export function objectProblems(
  object: StoredObject,
  config: Pick<Configuration, 'maxFileSize' | 'minFileSize' | 'allowedContentTypes'>,
  expected: UploadExpectation,
): string[] {
  const declared = object.metadata[DECLARED_SIZE_METADATA];
  const type = parseContentType(object.contentType);
  const problems: string[] = [];
  if (object.size > config.maxFileSize) problems.push(`its size ${object.size} is over the limit of ${config.maxFileSize} bytes`);
  if (object.size < config.minFileSize) problems.push(`its size ${object.size} is under the minimum of ${config.minFileSize} bytes`);
  if (declared !== undefined && declared !== String(object.size)) problems.push(`its size ${object.size} is not the ${declared} bytes declared`);
  if (expected.size !== undefined && expected.size !== object.size) problems.push(`its size ${object.size} is not the ${expected.size} bytes expected`);
  if (!type || !isContentTypeAllowed(type, config.allowedContentTypes)) problems.push(`its type "${object.contentType}" is not allowed`);
  if (expected.contentType !== undefined && type && parseContentType(expected.contentType)?.essence !== type.essence) {
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
