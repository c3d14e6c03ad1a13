// A local OpenID issuer for development and tests: real RS256 tokens, a real discovery document and JWKS, no Auth0 tenant.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type KeyLike, type JWK } from 'jose';

export interface DevIssuerOptions {
  /** Audience that tokens are issued for when a request names none. */
  audience: string;
  /** Port to listen on; 0 picks a free one. It defaults to 0. */
  port?: number;
  /** Address to listen on. It defaults to 127.0.0.1. */
  host?: string;
  /**
   * Browser origins allowed to call the token endpoint (the development login).
   * It defaults to none.
   */
  allowedOrigins?: string[];
  /**
   * JSON file that keeps the signing key across restarts, so tokens issued before a restart stay valid.
   * Created (mode 0600) when missing. It defaults to none: a fresh key per start.
   */
  keyFile?: string;
}

export interface TokenRequest {
  sub: string;
  /** Space-separated scopes. */
  scope?: string;
  audience?: string | string[];
  /** Lifetime in seconds; negative values give an already expired token. It defaults to 3600. */
  expiresIn?: number;
  /** Overrides the `iss` claim, to make tokens from a "different" issuer. */
  issuer?: string;
  /** Signs with this key instead of the issuer's own (a key the JWKS does not hold). */
  signingKey?: KeyLike;
  claims?: Record<string, unknown>;
}

export interface DevIssuer {
  /** The issuer identifier and base URL, with a trailing slash like Auth0's. */
  url: string;
  jwksUri: string;
  tokenEndpoint: string;
  audience: string;
  kid: string;
  issue(request: TokenRequest): Promise<string>;
  stop(): Promise<void>;
}

const DEFAULT_TOKEN_LIFETIME = 3600;

/** Issuers made by startDevIssuer() in this process; a look-alike object (or a URL from config) is never one. */
const startedIssuers = new WeakSet<object>();

/** True only for an issuer that startDevIssuer() created in this process: the guard for wiring a development login. */
export function isDevIssuer(value: unknown): value is DevIssuer {
  return typeof value === 'object' && value !== null && startedIssuers.has(value);
}

/** A stored signing key: the private JWK, whose public half is published in the JWKS. */
interface StoredKey {
  kid: string;
  privateJwk: JWK;
}

/** The issuer's key: loaded from `keyFile` when it holds one, otherwise generated (and saved there if given). */
async function signingKey(keyFile: string | undefined): Promise<{ privateKey: KeyLike; kid: string; jwk: JWK }> {
  if (keyFile) {
    const stored = await readFile(keyFile, 'utf8').then(
      (text) => JSON.parse(text) as StoredKey,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      },
    );
    if (stored) {
      const privateKey = (await importJWK(stored.privateJwk, 'RS256')) as KeyLike;
      const { kty, n, e } = stored.privateJwk;
      return { privateKey, kid: stored.kid, jwk: { kty, n, e, kid: stored.kid, alg: 'RS256', use: 'sig' } };
    }
  }
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: Boolean(keyFile) });
  const kid = `dev-${Date.now().toString(36)}`;
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  if (keyFile) {
    await mkdir(path.dirname(keyFile), { recursive: true });
    const stored: StoredKey = { kid, privateJwk: await exportJWK(privateKey) };
    await writeFile(keyFile, JSON.stringify(stored), { mode: 0o600 });
  }
  return { privateKey, kid, jwk };
}

export async function startDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const host = options.host ?? '127.0.0.1';
  const { privateKey, kid, jwk } = await signingKey(options.keyFile);
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  let url = '';

  const issue = async (request: TokenRequest): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const lifetime = request.expiresIn ?? DEFAULT_TOKEN_LIFETIME;
    const jwt = new SignJWT({ ...request.claims, ...(request.scope ? { scope: request.scope } : {}) })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
      .setIssuer(request.issuer ?? url)
      .setSubject(request.sub)
      .setAudience(request.audience ?? options.audience)
      .setIssuedAt(lifetime < 0 ? now + lifetime - 60 : now)
      .setExpirationTime(now + lifetime);
    return jwt.sign(request.signingKey ?? privateKey);
  };

  const server = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (origin && allowedOrigins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Headers', 'content-type');
      res.setHeader('Vary', 'Origin');
    }
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return send(200, {
        issuer: url,
        jwks_uri: `${url}.well-known/jwks.json`,
        token_endpoint: `${url}oauth/token`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['token'],
        subject_types_supported: ['public'],
      });
    }
    if (req.method === 'GET' && path === '/.well-known/jwks.json') return send(200, { keys: [jwk] });
    if (req.method === 'POST' && path === '/oauth/token') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > 10_000) req.destroy();
      });
      req.on('end', () => {
        let input: { sub?: unknown; scope?: unknown };
        try {
          input = JSON.parse(body || '{}');
        } catch {
          return send(400, { error: 'invalid_request', error_description: 'Body must be JSON' });
        }
        if (typeof input.sub !== 'string' || !/^[\w.@|:-]{1,128}$/.test(input.sub)) {
          return send(400, { error: 'invalid_request', error_description: '"sub" must be a user name of 1-128 letters, digits or ._@|:-' });
        }
        const scope = typeof input.scope === 'string' ? input.scope : undefined;
        issue({ sub: input.sub, scope }).then(
          (token) => send(200, { access_token: token, token_type: 'Bearer', expires_in: DEFAULT_TOKEN_LIFETIME, scope }),
          () => send(500, { error: 'server_error' }),
        );
      });
      return;
    }
    send(404, { error: 'not_found' });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`Development issuer could not listen on ${host}:${options.port}: the port is in use. Choose another port (DEV_ISSUER_PORT).`)
          : err,
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  url = `http://${host}:${(server.address() as AddressInfo).port}/`;

  const issuer: DevIssuer = {
    url,
    jwksUri: `${url}.well-known/jwks.json`,
    tokenEndpoint: `${url}oauth/token`,
    audience: options.audience,
    kid,
    issue,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  startedIssuers.add(issuer);
  return issuer;
}
