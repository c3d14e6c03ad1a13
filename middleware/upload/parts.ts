// Multipart part sizing from a declared total size, within S3's limits; pure functions, no I/O.

const MiB = 1024 * 1024;
/** S3: every part but the last is at least 5 MiB. */
export const MIN_PART_SIZE = 5 * MiB;
/** S3: a part is at most 5 GiB. */
export const MAX_PART_SIZE = 5 * 1024 * MiB;
/** S3: one PUT carries at most 5 GiB. */
export const MAX_SINGLE_PUT_SIZE = 5 * 1024 * MiB;
/** S3: an object is at most 5 TiB. */
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MiB;
/** S3: at most 10,000 parts. */
export const MAX_PARTS = 10_000;

/** How a file of `size` bytes is cut: every part is `partSize` long but the last, which holds the rest. */
export interface PartPlan {
  size: number;
  partSize: number;
  partCount: number;
}

/**
 * The plan for `size` bytes. The preferred part size is used unless that would need more than 10,000 parts;
 * then the part size grows to the next whole MiB that fits.
 */
export function partPlan(size: number, preferredPartSize: number): PartPlan {
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
  if (size > MAX_OBJECT_SIZE) throw new RangeError(`size ${size} is over 5 TiB, the largest S3 object`);
  const smallestFitting = Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB;
  const partSize = Math.max(preferredPartSize, MIN_PART_SIZE, smallestFitting);
  return { size, partSize, partCount: Math.ceil(size / partSize) };
}

/** Byte length of part `partNumber` (1-based) in the plan. */
export function partLength(plan: PartPlan, partNumber: number): number {
  if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > plan.partCount) {
    throw new RangeError(`part ${partNumber} is outside 1..${plan.partCount}`);
  }
  return partNumber < plan.partCount ? plan.partSize : plan.size - plan.partSize * (plan.partCount - 1);
}
