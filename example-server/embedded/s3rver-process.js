// Runs s3rver in its own process: a malformed request can crash s3rver's host, so it never shares one with the app or jest.
'use strict';
const S3rver = require('s3rver');

const config = JSON.parse(process.env.LOCAL_S3_CONFIG || '{}');

function corsXml(origins) {
  const rule = (origin) =>
    '<CORSRule>' +
    `<AllowedOrigin>${origin}</AllowedOrigin>` +
    '<AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>' +
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>' +
    '</CORSRule>';
  return `<CORSConfiguration>${origins.map(rule).join('')}</CORSConfiguration>`;
}

const server = new S3rver({
  address: config.host || '127.0.0.1',
  port: config.port || 0,
  directory: config.directory,
  silent: true,
  configureBuckets: (config.buckets || []).map((bucket) => ({
    name: bucket.name,
    configs: bucket.allowedOrigins && bucket.allowedOrigins.length ? [corsXml(bucket.allowedOrigins)] : [],
  })),
});

server.run().then(
  ({ address, port }) => process.send({ ready: true, address, port }),
  (err) => {
    process.send({ ready: false, code: err.code, message: err.message });
    process.exit(1);
  },
);

// The parent owns our lifetime: when it goes away (even by crash), so do we.
process.on('disconnect', () => server.close().finally(() => process.exit(0)));
process.on('SIGTERM', () => server.close().finally(() => process.exit(0)));
// Ctrl+C in a terminal signals the whole process group; close cleanly rather than die mid-write.
process.on('SIGINT', () => server.close().finally(() => process.exit(0)));
