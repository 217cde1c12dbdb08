// Builds both bundles with ncc. ncc does not emit libpg-query's .wasm, so it is copied next to each
// bundle: the bundles must run from a folder with no node_modules (the runner checks out dist/ only).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(root, process.argv[2] ?? 'dist');
const require = createRequire(import.meta.url);
const ncc = join(dirname(require.resolve('@vercel/ncc/package.json')), 'dist/ncc/cli.js');
const wasm = join(dirname(require.resolve('libpg-query/package.json')), 'wasm/libpg-query.wasm');

// Paths as a person reads them: relative to the repository when inside it.
const shown = (p) => {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
};

rmSync(out, { recursive: true, force: true });
for (const [entry, dir, what] of [
  ['src/action/index.ts', out, 'the GitHub Action'],
  ['src/cli/index.ts', join(out, 'cli'), 'the CLI'],
]) {
  const started = Date.now();
  process.stdout.write(`build: bundling ${entry} (${what}) → ${shown(join(dir, 'index.js'))} … `);
  try {
    execFileSync(process.execPath, [ncc, 'build', join(root, entry), '-o', dir, '--license', 'licenses.txt', '-q'], { cwd: root, stdio: 'inherit' });
  } catch {
    // ncc has printed the compiler's errors; a Node stack of the child process would add nothing.
    process.stdout.write('failed\n');
    console.error(`build: ncc could not bundle ${entry}: see the errors above.`);
    process.exit(1);
  }
  process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(wasm, join(dir, 'libpg-query.wasm'));
  console.log(`build: copied the SQL parser's WebAssembly → ${shown(join(dir, 'libpg-query.wasm'))} (ncc does not bundle it)`);
}
console.log(`build: ${shown(out)} is ready.`);
