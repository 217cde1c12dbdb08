// Builds both bundles with ncc. ncc does not emit libpg-query's .wasm, so it is copied next to each
// bundle: the bundles must run from a folder with no node_modules (the runner checks out dist/ only).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(root, process.argv[2] ?? 'dist');
const require = createRequire(import.meta.url);
const ncc = join(dirname(require.resolve('@vercel/ncc/package.json')), 'dist/ncc/cli.js');
const wasm = join(dirname(require.resolve('libpg-query/package.json')), 'wasm/libpg-query.wasm');

rmSync(out, { recursive: true, force: true });
for (const [entry, dir] of [
  ['src/action/index.ts', out],
  ['src/cli/index.ts', join(out, 'cli')],
]) {
  execFileSync(process.execPath, [ncc, 'build', join(root, entry), '-o', dir, '--license', 'licenses.txt', '-q'], { cwd: root, stdio: 'inherit' });
  mkdirSync(dir, { recursive: true });
  copyFileSync(wasm, join(dir, 'libpg-query.wasm'));
}
