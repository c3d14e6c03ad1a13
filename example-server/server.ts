// Starts the example-server for given settings: listens, starts the embedded services if needed, mounts the app; stops it all.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppOptions, type PageConfig } from './app';
import { checkEmbeddedHost, SERVER_ENV, StartupConfigError, type ServerSettings } from './config';
import { startEmbedded, embeddedPaths, type Embedded } from './embedded';

export interface RunningServer {
  mode: ServerSettings['mode'];
  /** The page's address, e.g. http://localhost:3000. */
  url: string;
  port: number;
  s3Origin: string;
  bucket: string;
  embedded?: Embedded;
  pageConfig: PageConfig;
  settings: ServerSettings;
  /** Closes the HTTP server (waiting briefly for requests in flight) and stops the embedded services; idempotent. */
  stop(): Promise<void>;
}

/** How long requests in flight may take to finish on shutdown before their connections are cut. */
const DRAIN_TIMEOUT_MS = 5000;

function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(new StartupConfigError(SERVER_ENV.port, `The server could not listen on ${host}:${port}: the port is in use. Choose another port (${SERVER_ENV.port}).`));
      } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
        reject(new StartupConfigError(SERVER_ENV.host, `The server could not listen on ${host}: no such local address. Check ${SERVER_ENV.host}.`));
      } else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const cut = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    // Keep-alive connections with no request in flight would otherwise hold close() open.
    server.closeIdleConnections();
  });
}

/** The address people type: loopback is shown as localhost, which the page's CORS and CSP also allow. */
function pageUrl(host: string, port: number): string {
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '0.0.0.0' || host === '::';
  return `http://${loopback ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startServer(settings: ServerSettings): Promise<RunningServer> {
  // loadSettings() checks this too; settings built by hand must not skip it.
  if (settings.mode === 'embedded') checkEmbeddedHost(settings.host);
  // Listen first: the port (maybe 0) must be known before the local bucket's CORS rules can name the page origin.
  let handler: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('Starting\n');
  };
  const server = http.createServer((req, res) => handler(req, res));
  const port = await listen(server, settings.port, settings.host);

  let embedded: Embedded | undefined;
  try {
    let options: AppOptions;
    const common = {
      bucket: settings.deployment.bucketName,
      keyPrefix: settings.deployment.keyPrefix,
      publicRead: settings.deployment.publicRead,
      policy: settings.policy,
    };
    if (settings.mode === 'embedded') {
      const pageOrigins = [...new Set([`http://localhost:${port}`, `http://127.0.0.1:${port}`, ...settings.deployment.allowedOrigins])];
      embedded = await startEmbedded(settings, pageOrigins);
      options = {
        ...common,
        s3: embedded.s3,
        identity: { kind: 'dev', issuer: embedded.issuer },
        // s3rver answers ListParts and AbortMultipartUpload with 405, so large files could never complete there; RGW has both.
        ...(embedded.s3.kind === 's3rver' ? { multipart: false } : {}),
      };
    } else {
      options = {
        ...common,
        s3: { region: settings.deployment.region, ...settings.s3 },
        identity: { kind: 'auth0', ...settings.auth0 },
      };
    }
    const { app, s3Origin, pageConfig } = await createApp(options);
    handler = app;

    let stopping: Promise<void> | undefined;
    return {
      mode: settings.mode,
      url: pageUrl(settings.host, port),
      port,
      s3Origin,
      bucket: settings.deployment.bucketName,
      embedded,
      pageConfig,
      settings,
      stop: () => (stopping ??= Promise.all([close(server), embedded?.stop()]).then(() => undefined)),
    };
  } catch (err) {
    await Promise.all([close(server), embedded?.stop()]);
    throw err;
  }
}

export { embeddedPaths };
