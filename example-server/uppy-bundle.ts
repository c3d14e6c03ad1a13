// Serves Uppy (@uppy/core, @uppy/dashboard, @uppy/aws-s3 from node_modules) to the example Uppy page at /vendor/uppy/, same origin, no CDN.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';

/**
 * Uppy 6's scoped packages ship ES modules with bare imports (preact, lodash as CommonJS) and no browser bundle,
 * so the page cannot import them as they are. This entry is bundled once, on first request, with esbuild (a
 * devDependency, like the page itself): the page then runs Uppy's own, unmodified packages.
 */
const ENTRY = [
  "export { default as Uppy } from '@uppy/core';",
  "export { default as Dashboard } from '@uppy/dashboard';",
  "export { default as AwsS3 } from '@uppy/aws-s3';",
].join('\n');

/** The stylesheets Uppy's Dashboard needs, by the name the page links them under. */
const STYLES: Readonly<Record<string, string>> = {
  'core.css': '@uppy/core/css/style.min.css',
  'dashboard.css': '@uppy/dashboard/css/style.min.css',
};

const ROOT = path.resolve(__dirname, '..');

async function bundleUppy(): Promise<string> {
  // Loaded only when the page asks: the package and the example server run without esbuild installed.
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const result = await esbuild.build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles[0].text;
}

let bundle: Promise<string> | undefined;

/** GET/HEAD `<mount>/uppy.js`, `core.css` and `dashboard.css`; anything else passes on (to a 404). */
export function serveUppyBundle(): RequestHandler {
  return function uppyBundle(req, res, next) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const name = req.path.replace(/^\//, '');
    if (name === 'uppy.js') {
      // Built once per process: about 0.4 s. A failed build is retried on the next request.
      const pending = (bundle ??= bundleUppy());
      pending.then(
        (code) => {
          res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
          res.setHeader('Cache-Control', 'no-cache');
          res.send(code);
        },
        (err) => {
          bundle = undefined;
          next(err);
        },
      );
      return;
    }
    const style = STYLES[name];
    if (!style) return next();
    res.setHeader('Content-Type', 'text/css; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    res.send(readFileSync(require.resolve(style, { paths: [ROOT] }), 'utf8'));
  };
}
