// Loopback servers that misbehave on purpose, for fault tests: an identity provider whose answers can be switched, a TCP port that never answers, a closed port.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** How the fake identity provider answers a path at the moment. */
export type ProviderMode = 'healthy' | 'hang' | 'hang-mid-body' | 'garbage' | 'no-keys' | 'status-500';

export interface FaultyProvider {
  /** Base URL, with a trailing slash, as an `issuerBaseURL`. */
  url: string;
  jwksUri: string;
  /** What `/.well-known/openid-configuration` does. */
  discovery: ProviderMode;
  /** What `/jwks.json` does. */
  jwks: ProviderMode;
  /** Requests seen per path. */
  hits: Record<string, number>;
  stop(): Promise<void>;
}

/** Keeps every socket, so stop() can end hung connections at once. */
function trackSockets(server: net.Server): () => void {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return () => {
    for (const socket of sockets) socket.destroy();
  };
}

/**
 * An identity provider that serves the real issuer's discovery answer (`issuer`) and key set (`keys`) when
 * healthy, and otherwise hangs, hangs after the head, answers garbage, an empty key set, or a 500.
 */
export async function startFaultyProvider(issuer: string, keys: unknown): Promise<FaultyProvider> {
  const hits: Record<string, number> = {};
  const state = { discovery: 'healthy' as ProviderMode, jwks: 'healthy' as ProviderMode };
  let base = '';
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    hits[path] = (hits[path] ?? 0) + 1;
    const mode = path === '/.well-known/openid-configuration' ? state.discovery : path === '/jwks.json' ? state.jwks : undefined;
    if (mode === undefined) {
      res.writeHead(404).end();
      return;
    }
    const healthy = path === '/jwks.json' ? keys : { issuer, jwks_uri: `${base}jwks.json` };
    switch (mode) {
      case 'hang':
        return; // accept, read, never answer
      case 'hang-mid-body':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>502 Bad Gateway</html>');
        return;
      case 'no-keys':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
        return;
      case 'status-500':
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}');
        return;
      default:
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(healthy));
    }
  });
  const destroyAll = trackSockets(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    jwksUri: `${base}jwks.json`,
    get discovery() {
      return state.discovery;
    },
    set discovery(mode) {
      state.discovery = mode;
    },
    get jwks() {
      return state.jwks;
    },
    set jwks(mode) {
      state.jwks = mode;
    },
    hits,
    stop: () =>
      new Promise<void>((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  };
}

/** A TCP port that accepts connections and reads, but never writes a byte: a hung S3. */
export async function startSilentPort(): Promise<{ endpoint: string; connections: () => number; stop(): Promise<void> }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.resume();
  });
  const destroyAll = trackSockets(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    stop: () =>
      new Promise<void>((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nothing listens on (bound, then released), so connecting is refused at once. */
export async function closedPort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
