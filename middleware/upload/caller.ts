// Who is asking: the caller's identity and folder, and the check that a named key lies in that folder.
import type { Request } from 'express';
import { AuthenticationRequiredError, ForbiddenError } from '../errors';
import type { Configuration } from '../options';
import { isOwnedBy, ownerPrefix } from './keys';

/** The caller's identity and folder, established once per request. */
export interface Caller {
  owner: string;
  /** `keyPrefix` plus a hash of `owner`: every key of this caller starts with it. */
  prefix: string;
  /** With quarantine: the same folder under the incoming prefix, where this caller's uploads land until released. */
  incomingPrefix?: string;
}

/** Owners whose folder is remembered; past this the map starts over, so many distinct users cannot grow memory. */
const OWNER_PREFIX_CACHE_SIZE = 10_000;

/**
 * Builds the function that identifies the caller of a request (401 when `owner` names nobody). The folder is a
 * SHA-256 of the identity, remembered per owner in a bounded map so that a request rarely hashes.
 */
export function callerResolver(config: Pick<Configuration, 'owner' | 'keyPrefix' | 'quarantine'>): (req: Request) => Caller {
  const prefixes = new Map<string, string>();
  return function callerOf(req) {
    const owner = config.owner(req);
    if (typeof owner !== 'string' || owner.length === 0) {
      throw new AuthenticationRequiredError('The token does not identify a user (no "sub" claim).');
    }
    let prefix = prefixes.get(owner);
    if (prefix === undefined) {
      if (prefixes.size >= OWNER_PREFIX_CACHE_SIZE) prefixes.clear();
      prefix = ownerPrefix(config.keyPrefix, owner);
      prefixes.set(owner, prefix);
    }
    return config.quarantine ? { owner, prefix, incomingPrefix: `${config.quarantine.prefix}${prefix}` } : { owner, prefix };
  };
}

/**
 * Keys are derived from the owner, so a key outside the caller's folder is someone else's (or nobody's): a 403.
 * With quarantine, the caller's folder under the incoming prefix is theirs too (the upload routes name those keys).
 */
export function assertOwnedBy(key: string, caller: Caller): void {
  if (!isOwnedBy(key, caller.prefix) && !(caller.incomingPrefix && isOwnedBy(key, caller.incomingPrefix))) throw new ForbiddenError('This upload does not belong to you.');
}
