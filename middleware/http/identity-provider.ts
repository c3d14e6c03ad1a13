// The verifier's only network I/O: the issuer's discovery document and JWKS, each fetched within a deadline, with only successes cached.
import http, { type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { AuthUnavailableError } from '../errors';

/** Larger answers than this are not a discovery document or a key set: a provider that sends them is broken. */
const MAX_DOCUMENT_BYTES = 512 * 1024;

const unavailable = (detail: string, cause?: unknown) =>
  new AuthUnavailableError(`The identity provider could not be used to verify the token (${detail}). Try again later.`, { cause });

/**
 * GETs a JSON document, all of it within `deadline` ms: connecting, the answer's head and its whole body. Any
 * failure (refused, hung, not 200, not JSON, too large) is an AuthUnavailableError, so an outage is known by its
 * class, never by message text that a token could quote.
 */
export function fetchJson(url: URL, deadline: number, agent?: HttpAgent): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? https.get : http.get;
    let settled = false;
    const finish = (err: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        request.destroy();
        reject(err);
      } else resolve(value);
    };
    const request = get(url, { agent, headers: { accept: 'application/json' } }, (response: IncomingMessage) => {
      if (response.statusCode !== 200) {
        response.resume();
        return finish(unavailable(`${url.href} answered ${response.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let length = 0;
      response.on('data', (chunk: Buffer) => {
        length += chunk.length;
        if (length > MAX_DOCUMENT_BYTES) return finish(unavailable(`${url.href} answered more than ${MAX_DOCUMENT_BYTES} bytes`));
        chunks.push(chunk);
      });
      response.on('error', (err) => finish(unavailable(`${url.href} failed mid-answer`, err)));
      response.on('aborted', () => finish(unavailable(`${url.href} closed mid-answer`)));
      response.on('end', () => {
        try {
          finish(undefined, JSON.parse(Buffer.concat(chunks, length).toString('utf8')));
        } catch (err) {
          finish(unavailable(`${url.href} did not answer JSON`, err));
        }
      });
    });
    // Node's `timeout` option only reports idleness; this timer ends the request, whatever stage it is in.
    const timer = setTimeout(() => finish(unavailable(`${url.href} gave no complete answer within ${deadline} ms`)), deadline);
    request.on('error', (err) => finish(unavailable(`${url.href} could not be reached`, err)));
  });
}

/**
 * A value loaded on demand and kept for `ttl` ms. Concurrent callers share one load (single flight); a failed
 * load is never kept, so the next caller tries again. A failed refresh of an expired value serves the old one.
 */
export class SingleFlight<T> {
  private value?: { data: T; loadedAt: number };
  private pending?: Promise<T>;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly ttl: number,
  ) {}

  /** The value, loading it when missing or older than `ttl` (or when `refresh` is set). */
  get(refresh = false): Promise<T> {
    const current = this.value;
    if (current && !refresh && Date.now() - current.loadedAt < this.ttl) return Promise.resolve(current.data);
    if (!this.pending) {
      const loading = this.load().then(
        (data) => {
          this.value = { data, loadedAt: Date.now() };
          return data;
        },
        (err: unknown) => {
          // Only an expiry may fall back on the old value; a forced refresh is asked for because it lacks something.
          if (current && !refresh) return current.data;
          throw err;
        },
      );
      this.pending = loading;
      const clear = () => {
        if (this.pending === loading) this.pending = undefined;
      };
      loading.then(clear, clear);
    }
    return this.pending;
  }

  /** The value when it is loaded and younger than `ttl` (what get() would answer at once); undefined otherwise. Never loads. */
  fresh(): T | undefined {
    const current = this.value;
    return current && Date.now() - current.loadedAt < this.ttl ? current.data : undefined;
  }

  /** When the value was last loaded (ms since the epoch), or undefined. */
  get loadedAt(): number | undefined {
    return this.value?.loadedAt;
  }
}

/** Where the provider's documents live and how long they are trusted. */
export interface IdentityProviderSettings {
  /** `issuerBaseURL`: discovery finds the issuer and JWKS. */
  issuerBaseURL?: string;
  /** `issuer` + `jwksUri`: no discovery. */
  issuer?: string;
  jwksUri?: string;
  /** Deadline of each fetch, in ms. */
  timeout: number;
  /** How long a fetched document is kept, in ms. */
  cacheMaxAge: number;
  /** Least time between two JWKS fetches for tokens whose `kid` is not in the set, in ms. */
  cooldown: number;
  agent?: HttpAgent;
}

/** A JSON Web Key Set as fetched: at least one key, each with a `kty`. */
export interface JSONWebKeySet {
  keys: Array<{ kty: string; kid?: string; [member: string]: unknown }>;
}

/** What the verifier needs from the provider for one token. */
export interface ProviderKeys {
  issuer: string;
  jwks: JSONWebKeySet;
}

const OIDC_DISCOVERY = '.well-known/openid-configuration';
const OAUTH2_DISCOVERY = '.well-known/oauth-authorization-server';

/** The discovery URLs to try in order, as express-oauth2-jwt-bearer does: OpenID Connect first, then RFC 8414. */
function discoveryUrls(base: string): URL[] {
  const url = new URL(base);
  if (url.pathname.includes('/.well-known/')) return [url];
  const path = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  const oauth = url.pathname === '/' ? `/${OAUTH2_DISCOVERY}` : `/${OAUTH2_DISCOVERY}${url.pathname.replace(/\/$/, '')}`;
  return [new URL(`${path}${OIDC_DISCOVERY}`, url), new URL(oauth, url)];
}

/** A compact JWS's protected header, when it decodes to a JSON object; undefined otherwise. The verifier judges the rest. */
export function tokenHeader(token: string): Record<string, unknown> | undefined {
  const [encoded, payload] = token.split('.', 2);
  if (!encoded || payload === undefined || !/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The identity provider as the verifier sees it: the issuer and its key set. A JWKS that cannot be fetched in
 * time, is not JSON, or holds no keys is the provider's outage (AuthUnavailableError), not the caller's fault.
 */
export class IdentityProvider {
  private readonly discovery?: SingleFlight<{ issuer: string; jwksUri: URL }>;
  private jwks?: SingleFlight<JSONWebKeySet>;
  private jwksUri?: string;

  constructor(private readonly settings: IdentityProviderSettings) {
    const { issuerBaseURL } = settings;
    if (issuerBaseURL) this.discovery = new SingleFlight(() => this.discover(issuerBaseURL), settings.cacheMaxAge);
  }

  private async discover(base: string): Promise<{ issuer: string; jwksUri: URL }> {
    const started = Date.now();
    let failure: unknown;
    for (const url of discoveryUrls(base)) {
      // Both paths share one deadline: the step as a whole answers within `timeout`.
      const left = this.settings.timeout - (Date.now() - started);
      if (left <= 0) break;
      try {
        const document = (await fetchJson(url, left, this.settings.agent)) as { issuer?: unknown; jwks_uri?: unknown } | null;
        if (typeof document?.issuer !== 'string' || typeof document.jwks_uri !== 'string') {
          failure = unavailable(`${url.href} lacks issuer or jwks_uri`);
          continue;
        }
        return { issuer: document.issuer, jwksUri: new URL(document.jwks_uri) };
      } catch (err) {
        failure = err;
      }
    }
    throw failure instanceof AuthUnavailableError ? failure : unavailable('discovery failed', failure);
  }

  private async fetchKeys(uri: URL): Promise<JSONWebKeySet> {
    const set = (await fetchJson(uri, this.settings.timeout, this.settings.agent)) as { keys?: unknown } | null;
    const keys = set?.keys;
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'object' && key !== null && typeof (key as { kty?: unknown }).kty === 'string')) {
      throw unavailable(`${uri.href} holds no usable keys`);
    }
    return set as JSONWebKeySet;
  }

  /** The issuer and the key set for a token; fetches them as needed, within the deadline of each fetch. */
  async keysFor(token: string): Promise<ProviderKeys> {
    const found = this.discovery ? await this.discovery.get() : undefined;
    const issuer = this.settings.issuer ?? found?.issuer;
    const jwksUri = this.settings.jwksUri ?? found?.jwksUri.href;
    if (!issuer || !jwksUri) throw unavailable('no issuer or JWKS address');
    if (!this.jwks || this.jwksUri !== jwksUri) {
      const uri = new URL(jwksUri);
      this.jwks = new SingleFlight(() => this.fetchKeys(uri), this.settings.cacheMaxAge);
      this.jwksUri = jwksUri;
    }
    let jwks = await this.jwks.get();
    if (this.needsRefetch(this.jwks, jwks, tokenHeader(token)?.kid)) jwks = await this.jwks.get(true);
    return { issuer, jwks };
  }

  /** A kid the set lacks may be a newly rotated key: look again, at most once per cooldown, so tokens cannot drive fetches. */
  private needsRefetch(loader: SingleFlight<JSONWebKeySet>, jwks: JSONWebKeySet, kid: unknown): boolean {
    return kid !== undefined && !jwks.keys.some((key) => key.kid === kid) && Date.now() - (loader.loadedAt ?? 0) >= this.settings.cooldown;
  }

  /**
   * What keysFor() would answer for a token with this protected header, when it would answer from the cache alone:
   * discovery and key set fetched and fresh, and no refetch for the token's kid. Undefined when keysFor() has
   * something to fetch. Lets the verifier skip a promise chain and a deadline timer per request.
   */
  cachedKeysFor(header: Record<string, unknown>): ProviderKeys | undefined {
    let found: { issuer: string; jwksUri: URL } | undefined;
    if (this.discovery) {
      found = this.discovery.fresh();
      if (!found) return undefined;
    }
    const issuer = this.settings.issuer ?? found?.issuer;
    const jwksUri = this.settings.jwksUri ?? found?.jwksUri.href;
    if (!issuer || !jwksUri || !this.jwks || this.jwksUri !== jwksUri) return undefined;
    const jwks = this.jwks.fresh();
    if (!jwks || this.needsRefetch(this.jwks, jwks, header.kid)) return undefined;
    return { issuer, jwks };
  }
}
