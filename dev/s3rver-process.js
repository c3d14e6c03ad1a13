// Runs s3rver in its own process: a malformed request can crash s3rver's host, so it never shares one with the app or jest.
'use strict';
const S3rver = require('s3rver');

const config = JSON.parse(process.env.LOCAL_S3_CONFIG || '{}');

const escapeXml = (text) => String(text).replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const tags = (name, values) => values.map((value) => `<${name}>${escapeXml(value)}</${name}>`).join('');

/** A bucket's CORS rules: the given rule (the Terraform stack's, in the embedded default), or a permissive one per origin. */
function corsXml(bucket) {
  const rules = bucket.cors
    ? [bucket.cors]
    : (bucket.allowedOrigins || []).map((origin) => ({
        allowedOrigins: [origin],
        allowedMethods: ['PUT', 'GET', 'HEAD'],
        allowedHeaders: ['*'],
        exposeHeaders: ['ETag'],
        maxAgeSeconds: 3000,
      }));
  if (rules.length === 0) return undefined;
  const rule = (r) =>
    '<CORSRule>' +
    tags('AllowedOrigin', r.allowedOrigins) +
    tags('AllowedMethod', r.allowedMethods) +
    tags('AllowedHeader', r.allowedHeaders) +
    tags('ExposeHeader', r.exposeHeaders || []) +
    (r.maxAgeSeconds !== undefined ? `<MaxAgeSeconds>${Number(r.maxAgeSeconds)}</MaxAgeSeconds>` : '') +
    '</CORSRule>';
  return `<CORSConfiguration>${rules.map(rule).join('')}</CORSConfiguration>`;
}

const server = new S3rver({
  address: config.host || '127.0.0.1',
  port: config.port || 0,
  directory: config.directory,
  silent: true,
  configureBuckets: (config.buckets || []).map((bucket) => {
    const cors = corsXml(bucket);
    return { name: bucket.name, configs: cors ? [cors] : [] };
  }),
});

function failed(err) {
  process.send({ ready: false, code: err.code, message: err.message }, () => process.exit(1));
}

// s3rver's run() resolves before its HTTP server is listening, and a bind error (port in use) then arrives as an
// unhandled 'error' event. Until we are listening, any such crash is reported to the parent as a start-up failure.
process.once('uncaughtException', failed);
server
  .run()
  .then(
    () =>
      new Promise((resolve, reject) => {
        const http = server.httpServer;
        if (http.listening) return resolve();
        http.once('listening', resolve);
        http.once('error', reject);
      }),
  )
  .then(() => {
    process.off('uncaughtException', failed);
    const { address, port } = server.httpServer.address();
    process.send({ ready: true, address, port });
  }, failed);

// The parent owns our lifetime: when it goes away (even by crash), so do we.
process.on('disconnect', () => server.close().finally(() => process.exit(0)));
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
// Ctrl+C in a terminal signals the whole process group; close cleanly rather than die mid-write.
process.on('SIGINT', () => server.close().finally(() => process.exit(0)));
