// The settings table is the one source of every setting's names, defaults and parsing: action.yml,
// the CLI's flags and --help, and the names messages use must all agree with it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { HELP, parseCli } from '../src/cli/args';
import { forShell, keyOfFlag, labelOf, nameOf, readSettings, SETTING_ROWS, SETTINGS, type Setting, type SettingKey } from '../src/settings';
import { ROOT } from './helpers/db';

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs: Record<string, { default: string }> };

test('every row has a CLI flag and an action input, or a reason why a shell has none', () => {
  for (const s of SETTING_ROWS) {
    if (s.flag && s.input) {
      expect([s.key, s.onlyIn]).toEqual([s.key, undefined]);
      continue;
    }
    expect([s.key, Boolean(s.flag || s.input)]).toEqual([s.key, true]);
    expect([s.key, s.onlyIn?.shell]).toEqual([s.key, s.flag ? 'cli' : 'action']);
    expect(s.onlyIn!.why.length).toBeGreaterThan(20);
  }
});

test("the rows' inputs are exactly action.yml's inputs, with action.yml's defaults", () => {
  const inputs = SETTING_ROWS.filter((s) => s.input);
  expect(inputs.map((s) => s.input).sort()).toEqual(Object.keys(action.inputs).sort());
  for (const s of inputs) expect([s.input, s.shown]).toEqual([s.input, action.inputs[s.input!].default]);
});

test('each default parses to itself, in both shells', () => {
  for (const [key, s] of Object.entries(SETTINGS) as [SettingKey, Setting<unknown>][]) {
    if (s.shown === '' || key === 'githubToken') continue;
    expect([key, s.parse(s.shown, labelOf(key, 'cli'))]).toEqual([key, s.default]);
  }
});

/** A value each row with a closed set (or a shape) of values accepts; any text suits the others. */
const SAMPLES: Record<string, string> = {
  policy: 'additive-only',
  adoptFrom: 'flyway',
  backup: 'auto',
  healthCheckUrl: 'https://app.example.test/healthz',
  notifyUrl: 'https://hooks.example.test/x',
  notifyFormat: 'slack',
  notifyOn: 'always',
};

test('--help lists every flag, and the CLI accepts each one', () => {
  for (const s of SETTING_ROWS.filter((r) => r.flag)) {
    expect(HELP).toContain(s.flag);
    const args = s.arg ? [s.flag!, SAMPLES[s.key] ?? (s.arg === '<dur>' ? '5s' : s.arg === '<n>' ? '2' : 'x')] : [s.flag!];
    // Each flag on a command it applies to (any other command refuses it).
    expect(() => parseCli([s.commands?.[0] ?? 'status', ...args], {})).not.toThrow();
  }
});

test('the same text means the same value from a flag and from an input', () => {
  const text: Partial<Record<SettingKey, string>> = {
    lockWait: '2min',
    lockTimeout: '500ms',
    lockRetries: '5',
    connectTimeout: '7s',
    statementTimeout: '1h',
    allowMissing: 'true',
    protectedEnvironments: 'Prod, Live',
    policy: 'additive-only',
    steps: '3',
  };
  const fromInputs = readSettings('action', (s) => text[s.key as SettingKey]);
  const argv = Object.entries(text).flatMap(([k, v]) => {
    const s: Setting<unknown> = SETTINGS[k as SettingKey];
    return s.arg ? [s.flag!, v!] : v === 'true' ? [s.flag!] : [];
  });
  const fromFlags = parseCli(['up', ...argv], {}).settings;
  for (const k of Object.keys(text) as SettingKey[]) expect([k, fromFlags[k]]).toEqual([k, fromInputs[k]]);
  expect(fromInputs.protectedEnvironments).toEqual(['prod', 'live']);
  expect(fromInputs.lockWait).toBe(120_000);
});

test('a bad value is named the way each shell names it', () => {
  expect(() => readSettings('action', (s) => (s.key === 'lockRetries' ? 'many' : undefined))).toThrow('input lock-retries must be a whole number, not "many".');
  expect(() => parseCli(['up', '--lock-retries', 'many'], {})).toThrow('--lock-retries must be a whole number, not "many".');
  expect(nameOf('schema', 'action')).toBe('the tracking-schema input');
  expect(nameOf('schema', 'cli')).toBe('--schema');
});

/** String literals and templates of a TypeScript file (roughly: enough to find flag names in messages). */
function literals(text: string): string[] {
  return text.match(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\\n]|\\.)*"/g) ?? [];
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every flag a message under the engine names is a row of the table, and reads as an input in the action', () => {
  const engine = ['commands', 'files', 'plan', 'execute', 'db', 'sql', 'lint', 'report'].flatMap((d) => files(join(ROOT, 'src', d)));
  const named = new Map<string, string>();
  for (const f of engine) {
    for (const lit of literals(readFileSync(f, 'utf8'))) {
      for (const m of lit.matchAll(/(?<![\w-])--([a-z][a-z-]*)(?![\w-])/g)) named.set(`--${m[1]}`, f.slice(ROOT.length + 1));
    }
  }
  expect(named.size).toBeGreaterThan(5);
  // The options of the Postgres client programs a backup runs (and its restore command shows): not pgshift's.
  const PG_TOOLS = new Set([
    '--format',
    '--no-password',
    '--file',
    '--dbname',
    '--schema-only',
    '--exclude-table-data',
    '--list',
    '--clean',
    '--if-exists',
    '--no-owner',
    '--maintenance-db',
    '--version',
  ]);
  const unknown = [...named].filter(([flag, file]) => !keyOfFlag(flag) && !(file === 'src/db/backup.ts' && PG_TOOLS.has(flag)));
  expect(unknown).toEqual([]);
  // A flag that has an input is never shown to an action user as a flag.
  for (const flag of named.keys()) {
    if (!keyOfFlag(flag)) continue;
    const s: Setting<unknown> = SETTINGS[keyOfFlag(flag)!];
    if (s.input) expect(forShell(`raise ${flag} and retry`, 'action')).toBe(`raise the ${s.input} input and retry`);
  }
});
