// Before `npm test`: installs the Backstage plugin workspaces' dependencies when they are missing.
//
// .npmrc sets workspaces=false, so the quick start's `npm install` installs the core, example-server and their tests
// only (about 700 MB) and not the Backstage test kits the plugins need (about 700 MB more, and over a minute). The
// suite tests the plugins too, so this installs them once, from the same package-lock.json, the first time it is
// needed; afterwards it only checks that each dependency resolves.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/** The dependencies of one workspace that are in neither its own node_modules nor the root's (where npm hoists them). */
function missing(workspace) {
  const dir = path.join(root, workspace);
  const own = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const names = Object.keys({ ...own.dependencies, ...own.devDependencies });
  return names.filter((name) => !existsSync(path.join(dir, 'node_modules', name, 'package.json')) && !existsSync(path.join(root, 'node_modules', name, 'package.json')));
}

const absent = (manifest.workspaces ?? []).flatMap((workspace) => missing(workspace).map((name) => `${workspace}: ${name}`));
if (absent.length > 0) {
  console.log(`Installing the plugin workspaces' dependencies (${absent.length} missing, e.g. ${absent[0]}); once, from package-lock.json.`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['install', '--workspaces=true', '--include-workspace-root', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
