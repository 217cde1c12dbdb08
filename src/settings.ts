// One row per setting: its key, its CLI flag, its action input, its default, how its text is parsed
// and its help. CLI parsing and --help, the action's input defaults (and action.yml, by a test), and
// the words a message uses to name a setting all derive from this table.
import { ConfigError } from './errors';
import type { Direction } from './types';

export type Shell = 'cli' | 'action';
export type Policy = '' | 'additive-only';
export const POLICIES: readonly Policy[] = ['', 'additive-only'];

export interface Setting<T> {
  key: string;
  flag?: `--${string}`;
  short?: string;
  input?: string;
  /** Placeholder in --help: `--lock-wait <dur>`; absent for a switch (a boolean flag). */
  arg?: string;
  default: T;
  /** The default as a user writes it: action.yml's `default:`, the `(default …)` of --help. */
  shown: string;
  parse(text: string, shownAs: string): T;
  help: string;
  /** Why one shell has no name for this setting (a test requires a reason for every gap). */
  onlyIn?: { shell: Shell; why: string };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "10s", "500ms", "2min", "1h", or a bare number of seconds → milliseconds. */
export function parseDuration(text: string, shownAs: string): number {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?$/i);
  if (!m) throw new ConfigError(`${shownAs} ${text} is not a duration: use a number with a unit, like 10s, 500ms or 2min.`);
  return Math.round(Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()]);
}

function parseBoolean(text: string, shownAs: string): boolean {
  const v = text.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new ConfigError(`${shownAs} must be true or false, not "${text}".`);
}

function parseList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function count(min: number) {
  return (text: string, shownAs: string): number => {
    const t = text.trim();
    if (!/^\d+$/.test(t)) throw new ConfigError(`${shownAs} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${text}".`);
    if (Number(t) < min) throw new ConfigError(`${shownAs} must be at least ${min}${min === 1 ? ' (leave it out for all pending migrations)' : ''}.`);
    return Number(t);
  };
}

const text = (t: string) => t.trim();
const optionalText = (t: string) => t.trim() || undefined;
const duration = (t: string, shownAs: string) => parseDuration(t, shownAs);
const optionalDuration = (t: string, shownAs: string) => (t.trim() ? parseDuration(t, shownAs) : undefined);
const flagOnly = (why: string) => ({ shell: 'cli' as const, why });
const inputOnly = (why: string) => ({ shell: 'action' as const, why });

/** The settings table. Order is the order of --help. */
export const SETTINGS = {
  dir: { key: 'dir', flag: '--dir', short: 'd', input: 'migrations-dir', arg: '<path>', default: 'migrations', shown: 'migrations', parse: text, help: 'migrations directory' },
  databaseUrl: {
    key: 'databaseUrl',
    flag: '--database-url',
    input: 'database-url',
    arg: '<url>',
    default: '',
    shown: '',
    parse: text,
    help: 'target database (CLI default $DATABASE_URL); must start with postgres:// or postgresql://',
  },
  schema: { key: 'schema', flag: '--schema', input: 'tracking-schema', arg: '<name>', default: 'public', shown: 'public', parse: text, help: 'schema of the tracking tables' },
  environment: {
    key: 'environment',
    flag: '--env',
    input: 'environment',
    arg: '<name>',
    default: 'development',
    shown: 'development',
    parse: (t: string) => t.trim() || 'development',
    help: 'environment recorded in the history; protected ones get the guard and the safety policy',
  },
  direction: {
    key: 'direction',
    input: 'direction',
    default: 'up' as Direction,
    shown: 'up',
    parse: (t: string, shownAs: string): Direction => {
      const d = t.trim();
      if (d !== 'up' && d !== 'down') throw new ConfigError(`${shownAs} must be "up" or "down", not "${d}".`);
      return d;
    },
    help: 'up (apply pending migrations) or down (roll back applied ones)',
    onlyIn: inputOnly('the CLI names the direction as its command: pgshift up, pgshift down'),
  },
  dryRun: {
    key: 'dryRun',
    input: 'dry-run',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'plan only: read-only, no table, no lock',
    onlyIn: inputOnly('the CLI has a command for it: pgshift plan'),
  },
  target: {
    key: 'target',
    flag: '--target',
    input: 'target-version',
    arg: '<version>',
    default: undefined as string | undefined,
    shown: '',
    parse: optionalText,
    help: 'up: apply up to this version; down: roll back everything above it (0: all)',
  },
  steps: {
    key: 'steps',
    flag: '--steps',
    input: 'steps',
    arg: '<n>',
    default: undefined as number | undefined,
    shown: '',
    parse: (t: string, shownAs: string) => (t.trim() ? count(1)(t, shownAs) : undefined),
    help: 'at most n migrations (down: default 1)',
  },
  lockWait: { key: 'lockWait', flag: '--lock-wait', input: 'lock-wait', arg: '<dur>', default: 60_000, shown: '60s', parse: duration, help: "wait this long for another run's lock" },
  lockTimeout: { key: 'lockTimeout', flag: '--lock-timeout', input: 'lock-timeout', arg: '<dur>', default: 10_000, shown: '10s', parse: duration, help: 'SET LOCAL lock_timeout in each migration' },
  lockRetries: { key: 'lockRetries', flag: '--lock-retries', input: 'lock-retries', arg: '<n>', default: 3, shown: '3', parse: count(0), help: 'retries of a migration that hit the lock timeout' },
  statementTimeout: {
    key: 'statementTimeout',
    flag: '--statement-timeout',
    input: 'statement-timeout',
    arg: '<dur>',
    default: undefined as number | undefined,
    shown: '',
    parse: optionalDuration,
    help: 'SET LOCAL statement_timeout in each migration (default none)',
  },
  connectTimeout: {
    key: 'connectTimeout',
    flag: '--connect-timeout',
    input: 'connect-timeout',
    arg: '<dur>',
    default: 30_000,
    shown: '30s',
    parse: duration,
    help: 'keep retrying the connection this long',
  },
  singleTransaction: {
    key: 'singleTransaction',
    flag: '--single-transaction',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'run the whole batch all-or-nothing (transactional migrations only)',
    onlyIn: flagOnly('a deploy applies each migration in its own transaction, so that a failure keeps what came before it recorded; all-or-nothing batches are for a developer at a terminal'),
  },
  allowMissing: { key: 'allowMissing', flag: '--allow-missing', input: 'allow-missing', default: false, shown: 'false', parse: parseBoolean, help: "go on when an applied migration's file is gone" },
  allowOutOfOrder: {
    key: 'allowOutOfOrder',
    flag: '--allow-out-of-order',
    input: 'allow-out-of-order',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'apply pending migrations older than the newest applied one',
  },
  protectedEnvironments: {
    key: 'protectedEnvironments',
    flag: '--protected-environments',
    input: 'protected-environments',
    arg: '<list>',
    default: ['production'],
    shown: 'production',
    parse: (t: string) => parseList(t).map((e) => e.toLowerCase()),
    help: 'comma-separated environments where a down needs --confirm and destructive findings refuse the run',
  },
  confirm: {
    key: 'confirm',
    flag: '--confirm',
    input: 'confirm',
    arg: '<phrase>',
    default: '',
    shown: '',
    parse: text,
    help: 'MIGRATE-<ENV> (MIGRATE-PRODUCTION): allows a down in a protected environment',
  },
  allowDestructive: {
    key: 'allowDestructive',
    flag: '--allow-destructive',
    input: 'allow-destructive',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'allow destructive statements (DROP TABLE, DROP COLUMN, TRUNCATE, …) in a protected environment',
  },
  failOnLint: {
    key: 'failOnLint',
    flag: '--fail-on-lint',
    input: 'fail-on-lint',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'outside protected environments, refuse the run on error-level safety findings',
  },
  policy: {
    key: 'policy',
    flag: '--policy',
    input: 'policy',
    arg: '<name>',
    default: '' as Policy,
    shown: '',
    parse: (t: string, shownAs: string): Policy => {
      const p = t.trim().toLowerCase() as Policy;
      if (!POLICIES.includes(p)) throw new ConfigError(`${shownAs} must be empty or "additive-only", not "${t}".`);
      return p;
    },
    help: 'additive-only: refuse every destructive statement in every environment',
  },
  config: {
    key: 'config',
    flag: '--config',
    arg: '<file>',
    default: undefined as string | undefined,
    shown: '',
    parse: optionalText,
    help: 'linter settings (default ./pgshift.json when it exists); see docs/rules.md',
    onlyIn: flagOnly('the action reads pgshift.json at the root of the checked-out workspace, where the repository keeps it'),
  },
  exitCode: {
    key: 'exitCode',
    flag: '--exit-code',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'status: exit 1 when anything is pending',
    onlyIn: flagOnly('status is a terminal command; the action reports pending-count as an output'),
  },
  resolveApplied: {
    key: 'resolveApplied',
    flag: '--applied',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: "resolve: the migration's changes are in place",
    onlyIn: flagOnly('resolve settles a failed migration after a person has looked at the database: a terminal command'),
  },
  resolveRolledBack: {
    key: 'resolveRolledBack',
    flag: '--rolled-back',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: "resolve: the migration's changes are not in place",
    onlyIn: flagOnly('resolve settles a failed migration after a person has looked at the database: a terminal command'),
  },
  json: { key: 'json', flag: '--json', default: false, shown: 'false', parse: parseBoolean, help: 'print the result as JSON', onlyIn: flagOnly('the action writes JSON to the plan-file output') },
  verbose: {
    key: 'verbose',
    flag: '--verbose',
    short: 'v',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'say more as it runs',
    onlyIn: flagOnly('the action always logs each migration in a group of its own'),
  },
  githubToken: {
    key: 'githubToken',
    input: 'github-token',
    default: '',
    shown: '${{ github.token }}',
    parse: text,
    help: 'token for PR comments and failure issues',
    onlyIn: inputOnly('only the action talks to GitHub'),
  },
  commentOnPr: {
    key: 'commentOnPr',
    input: 'comment-on-pr',
    default: true,
    shown: 'true',
    parse: parseBoolean,
    help: 'keep one plan comment per environment and directory on pull requests',
    onlyIn: inputOnly('only the action talks to GitHub'),
  },
  openIssueOnFailure: {
    key: 'openIssueOnFailure',
    input: 'open-issue-on-failure',
    default: true,
    shown: 'true',
    parse: parseBoolean,
    help: 'open (or comment on) an issue when a run fails',
    onlyIn: inputOnly('only the action talks to GitHub'),
  },
  issueLabels: {
    key: 'issueLabels',
    input: 'issue-labels',
    default: ['database-migration'],
    shown: 'database-migration',
    parse: parseList,
    help: 'labels of the failure issue',
    onlyIn: inputOnly('only the action talks to GitHub'),
  },
} satisfies Record<string, Setting<unknown>>;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValues = { [K in SettingKey]: (typeof SETTINGS)[K]['default'] | ReturnType<(typeof SETTINGS)[K]['parse']> };

export const SETTING_ROWS: readonly Setting<unknown>[] = Object.values(SETTINGS);

/** How a shell names a setting inside a sentence: "--lock-wait" or "the lock-wait input". */
export function nameOf(key: SettingKey, shell: Shell): string {
  const s: Setting<unknown> = SETTINGS[key];
  if (shell === 'cli') return s.flag ?? `the ${s.input} input`;
  return s.input ? `the ${s.input} input` : (s.flag ?? key);
}

/** How a parse error names the value it refuses: "--steps" or "input steps". */
export function labelOf(key: SettingKey, shell: Shell): string {
  const s: Setting<unknown> = SETTINGS[key];
  if (shell === 'cli') return s.flag ?? key;
  return `input ${s.input ?? key}`;
}

/**
 * Every value, from the text a shell holds for each row (undefined or '' for "not given").
 * The first bad value throws ConfigError naming it the shell's way.
 */
export function readSettings(shell: Shell, textOf: (s: Setting<unknown>) => string | undefined): SettingValues {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [SettingKey, Setting<unknown>][]) {
    const t = textOf(s);
    out[key] = t === undefined || t === '' ? s.default : s.parse(t, labelOf(key, shell));
  }
  return out as SettingValues;
}

/**
 * Engine messages name settings by their CLI flags (the engine knows no shell). The action shows each
 * as its input: every flag in the table is translated, and a test fails when an engine message names a
 * flag the table does not have.
 */
export function forShell(message: string, shell: Shell): string {
  if (shell === 'cli') return message;
  return message.replace(/(?<![\w-])--([a-z][a-z-]*)(?![\w-])/g, (flag) => {
    const key = FLAG_KEYS.get(flag);
    return key ? nameOf(key, 'action') : flag;
  });
}

const FLAG_KEYS = new Map<string, SettingKey>((Object.entries(SETTINGS) as [SettingKey, Setting<unknown>][]).filter(([, s]) => s.flag).map(([k, s]) => [s.flag!, k]));

/** The row whose CLI flag is `flag`, if any. */
export function keyOfFlag(flag: string): SettingKey | undefined {
  return FLAG_KEYS.get(flag);
}

/** The phrase that unlocks a down in a protected environment. */
export function confirmPhrase(environment: string): string {
  return `MIGRATE-${environment.toUpperCase()}`;
}
