// ESLint flat config. Syntax-only (no type information) so `npm run lint` stays fast.
// The rules that matter most here are the layering rules of the architecture:
//   - a shell (src/cli, src/action) imports only commands/, report/, settings and types;
//   - the engine, commands/ and the shared modules never import a shell, print, exit or read the environment.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const SHELL_MESSAGE = 'a shell imports only commands/, report/, settings and types: move the decision into commands/';
const NEUTRAL_MESSAGE = 'the engine, commands/, report/ and the shared modules are shell-neutral: they never import src/cli or src/action';

/** Shell folders: src/cli and src/action (and any folders a shell grows inside itself). */
const SHELLS = ['cli', 'action'];

/**
 * A file `depth` folders below src/ (src/cli/x.ts is depth 1, src/cli/sub/x.ts depth 2) reaches src/ with
 * depth × '../'. Anything it imports through src/ that is not commands/, report/, settings or types is refused;
 * imports within the shell's own folder (./x; from a subfolder, ../x or ../../cli/x) stay allowed, since they
 * carry fewer '../' than `depth` or name the shell itself.
 */
function shellImportRule(shell, depth) {
  const up = '\\.\\./'.repeat(depth);
  const allowed = `(?:commands|report)(?:/|$)|(?:settings|types)(?:\\.[cm]?[jt]s)?$|${shell}(?:/|$)`;
  return {
    files: [`src/${shell}/${'*/'.repeat(depth - 1)}*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^${up}(?!${allowed})`,
              caseSensitive: true,
              message: SHELL_MESSAGE,
            },
          ],
        },
      ],
    },
  };
}

/** Everything in src/ that is not a shell: the engine folders, commands/, report/ and the top-level modules. */
const NEUTRAL = [
  'src/*.ts',
  'src/commands/**/*.ts',
  'src/report/**/*.ts',
  'src/files/**/*.ts',
  'src/plan/**/*.ts',
  'src/execute/**/*.ts',
  'src/db/**/*.ts',
  'src/sql/**/*.ts',
  'src/lint/**/*.ts',
  'src/schema/**/*.ts',
];

const NEUTRAL_PROCESS = 'inside the engine, commands/ and report/ a shell owns the process: pass the value in (a request field or setting) or return an Outcome';

/** Node's own globals (process, console, Buffer, URL, fetch, timers ...) for the .mjs scripts, without a `globals` package. */
const nodeGlobals = Object.fromEntries(Object.getOwnPropertyNames(globalThis).map((name) => [name, 'readonly']));

export default defineConfig(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/.work/**', '.tmp/**', 'examples/**', 'migrations-example/**', 'docs/**'],
  },
  {
    files: ['src/**/*.ts', '__tests__/**/*.ts', 'bench/**/*.mjs', 'scripts/**/*.mjs', '*.mjs'],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // tsc (noUnusedLocals/noUnusedParameters) already refuses unused names; this only adds the `_` escape hatch.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `a && b()` and `c ? d() : e()` as statements are fine; a bare `x === y;` is still a mistake.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
    },
  },
  {
    files: ['bench/**/*.mjs', 'scripts/**/*.mjs', '*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
  {
    // Tests may reach into anything and use `any` for fixtures and mocks; a regex that matches column-aligned
    // output reads better with its spaces written out.
    files: ['__tests__/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-regex-spaces': 'off' },
  },
  // The key rule: the shells import only the decision layer.
  ...SHELLS.flatMap((shell) => [1, 2, 3].map((depth) => shellImportRule(shell, depth))),
  {
    files: NEUTRAL,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ regex: `^(?:\\.\\./)+(?:${SHELLS.join('|')})(?:/|$)`, caseSensitive: true, message: NEUTRAL_MESSAGE }],
        },
      ],
      'no-console': ['error'],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: NEUTRAL_PROCESS },
        { object: 'process', property: 'exitCode', message: NEUTRAL_PROCESS },
        { object: 'process', property: 'env', message: NEUTRAL_PROCESS },
        { object: 'process', property: 'argv', message: NEUTRAL_PROCESS },
        { object: 'process', property: 'stdout', message: NEUTRAL_PROCESS },
        { object: 'process', property: 'stderr', message: NEUTRAL_PROCESS },
      ],
      // no-restricted-properties also catches `const { env } = process`; this closes the other road in.
      'no-restricted-syntax': [
        'error',
        // `import { env } from 'node:process'`, `import process from 'node:process'` are the same thing by another road.
        {
          selector: 'ImportDeclaration[source.value=/^(node:)?process$/]',
          message: NEUTRAL_PROCESS,
        },
      ],
    },
  },
);
