// Quarantine keys: where an upload lands until it is verified (the incoming prefix plus its final key), and back; pure functions.
import type { Configuration } from '../options';

/** The key a new upload is signed for: under the incoming prefix when quarantine is on, else the key itself. */
export function landingKey(config: Pick<Configuration, 'quarantine'>, key: string): string {
  return config.quarantine ? `${config.quarantine.prefix}${key}` : key;
}

/** The key an incoming upload is released to; undefined for a key that is not under the incoming prefix. */
export function releasedKey(config: Pick<Configuration, 'quarantine'>, key: string): string | undefined {
  const prefix = config.quarantine?.prefix;
  return prefix !== undefined && key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}
