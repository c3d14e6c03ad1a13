// End-to-end checksums beyond MD5 (the `checksum` option): which algorithms, how a client's digest is read, and which S3 header signs it.
import type { ChecksumAlgorithm as S3ChecksumAlgorithm, ChecksumType } from '@aws-sdk/client-s3';
import type { FieldError } from '../errors';

/** The algorithms the `checksum` option accepts. */
export type ChecksumAlgorithm = 'SHA256' | 'CRC64NVME';

/** What one algorithm means to S3 and to a client. */
export interface ChecksumSpec {
  algorithm: ChecksumAlgorithm & S3ChecksumAlgorithm;
  /** The request header S3 checks the body against; signed, so the client must send exactly this value. */
  header: string;
  /** Length of the base64 digest: 32 bytes (SHA-256) or 8 bytes (CRC-64/NVME) with padding. */
  length: number;
  pattern: RegExp;
  /**
   * How S3 combines part checksums in a multipart upload. S3 accepts SHA-256 only as COMPOSITE (a checksum of the
   * part checksums) and CRC-64/NVME only as FULL_OBJECT (the CRC of the whole object, combined from the parts).
   */
  multipartType: ChecksumType;
  /** The name of the field in ListParts and CompleteMultipartUpload parts. */
  partField: 'ChecksumSHA256' | 'ChecksumCRC64NVME';
}

export const CHECKSUMS: Readonly<Record<ChecksumAlgorithm, ChecksumSpec>> = Object.freeze({
  SHA256: {
    algorithm: 'SHA256',
    header: 'x-amz-checksum-sha256',
    length: 44,
    pattern: /^[A-Za-z0-9+/]{43}=$/,
    multipartType: 'COMPOSITE',
    partField: 'ChecksumSHA256',
  },
  CRC64NVME: {
    algorithm: 'CRC64NVME',
    header: 'x-amz-checksum-crc64nvme',
    length: 12,
    pattern: /^[A-Za-z0-9+/]{11}=$/,
    multipartType: 'FULL_OBJECT',
    partField: 'ChecksumCRC64NVME',
  },
});

export const CHECKSUM_ALGORITHMS = Object.keys(CHECKSUMS) as ChecksumAlgorithm[];

/** The spec of a configured algorithm; undefined when checksums are off. */
export function checksumSpec(algorithm: ChecksumAlgorithm | undefined): ChecksumSpec | undefined {
  return algorithm ? CHECKSUMS[algorithm] : undefined;
}

/** Why `value` is not a base64 digest for `spec`, or undefined when it is one. */
export function digestProblem(value: unknown, spec: ChecksumSpec): string | undefined {
  if (typeof value !== 'string') return `must be the base64 ${spec.algorithm} digest of the bytes, a string of ${spec.length} characters`;
  if (!spec.pattern.test(value)) return `must be the base64 ${spec.algorithm} digest of the bytes (${spec.length} characters ending in "="), got ${value.length} characters`;
  return undefined;
}

/**
 * Reads the `checksum` field of an upload request. With the option on it is required; with it off, a digest is
 * refused rather than ignored, so a client that asked for integrity never silently goes without it.
 */
export function readChecksum(input: Record<string, unknown>, algorithm: ChecksumAlgorithm | undefined, multipart: boolean, errors: FieldError[]): string | undefined {
  const value = input.checksum;
  const spec = checksumSpec(algorithm);
  if (!spec) {
    if (value !== undefined && value !== null) errors.push({ field: 'checksum', detail: 'this server does not sign checksums (its checksum option is off); leave checksum out' });
    return undefined;
  }
  // A multipart upload carries one digest per part, sent with each parts-signing request instead.
  if (multipart) return undefined;
  if (value === undefined || value === null) {
    errors.push({ field: 'checksum', detail: `checksum is required: the base64 ${spec.algorithm} digest of the file (this server signs ${spec.header})` });
    return undefined;
  }
  const problem = digestProblem(value, spec);
  if (problem) {
    errors.push({ field: 'checksum', detail: `checksum ${problem}` });
    return undefined;
  }
  return value as string;
}

/**
 * Reads `checksums` of a parts-signing request: one base64 digest per entry of `partNumbers`, in the same order.
 * Required when checksums are on, refused when off. Returns the digest per part number.
 */
export function readPartChecksums(input: Record<string, unknown>, partNumbers: readonly unknown[], algorithm: ChecksumAlgorithm | undefined, errors: FieldError[]): Map<number, string> {
  const digests = new Map<number, string>();
  const value = input.checksums;
  const spec = checksumSpec(algorithm);
  if (!spec) {
    if (value !== undefined && value !== null) errors.push({ field: 'checksums', detail: 'this server does not sign checksums (its checksum option is off); leave checksums out' });
    return digests;
  }
  if (!Array.isArray(value) || value.length !== partNumbers.length) {
    errors.push({ field: 'checksums', detail: `checksums must list the base64 ${spec.algorithm} digest of each part, one per entry of partNumbers, in the same order` });
    return digests;
  }
  value.forEach((digest, i) => {
    const problem = digestProblem(digest, spec);
    if (problem) errors.push({ field: 'checksums', detail: `checksums[${i}] ${problem}` });
    else if (!digests.has(partNumbers[i] as number)) digests.set(partNumbers[i] as number, digest as string);
  });
  return digests;
}
