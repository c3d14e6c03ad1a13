// Serves express-direct-upload/client to the page as ES modules at /client/*.js, compiled from client/*.ts with the package build's own settings.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import ts from 'typescript';

/** Where the client's TypeScript sources and their tsconfig live. */
export const CLIENT_SOURCE_DIR = path.resolve(__dirname, '..', 'client');

/**
 * Compiles every client source file to its ES module, keyed by the name the page imports (`index.js`, ...).
 * Same compiler options as `npm run build` (client/tsconfig.json), so the page runs what the package ships;
 * compiling here means `npm start` and every test need no build step first.
 */
export function compileClientModules(sourceDir = CLIENT_SOURCE_DIR): Map<string, string> {
  const configFile = path.join(sourceDir, 'tsconfig.json');
  const read = ts.readConfigFile(configFile, ts.sys.readFile);
  if (read.error) throw new Error(`Cannot read ${configFile}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  const { options } = ts.parseJsonConfigFileContent(read.config, ts.sys, sourceDir);
  const modules = new Map<string, string>();
  for (const file of readdirSync(sourceDir)) {
    if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
    const { outputText } = ts.transpileModule(readFileSync(path.join(sourceDir, file), 'utf8'), {
      fileName: file,
      // No source maps or declarations: the browser gets the module alone.
      compilerOptions: { ...options, sourceMap: false, declaration: false, declarationMap: false },
    });
    modules.set(file.replace(/\.ts$/, '.js'), outputText);
  }
  return modules;
}

let compiled: Map<string, string> | undefined;

/** GET/HEAD `<mount>/<name>.js` answers a compiled client module; anything else passes on (to a 404). */
export function serveClientModules(): RequestHandler {
  // Compiled once per process, on first use: a few files, about 100 ms.
  const modules = () => (compiled ??= compileClientModules());
  return function clientModule(req, res, next) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const code = modules().get(req.path.replace(/^\//, ''));
    if (code === undefined) return next();
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    // Revalidated on each load, so a restarted server's new client is picked up at once.
    res.setHeader('Cache-Control', 'no-cache');
    res.send(code);
  };
}
