// One row per setting: its key, its CLI flag, its action input, its default, how its text is parsed
// and its help. CLI parsing and --help, the action's input defaults (and action.yml, by a test), and
// the words a message uses to name a setting all derive from this table.
import { ConfigError } from './errors';
import { TOOLS, type ToolId } from './db/adopt/types';
import { isVersion } from './files/version';
import type { Direction } from './types';

export type Shell = 'cli' | 'action';
export type Policy = '' | 'additive-only';
export const POLICIES: readonly Policy[] = ['', 'additive-only'];
/** --backup: '' is "auto in a protected environment, none elsewhere". */
export const BACKUP_MODES = ['', 'none', 'auto', 'full'] as const;
export type BackupSetting = (typeof BACKUP_MODES)[number];
export const NOTIFY_FORMATS = ['slack', 'teams', 'discord', 'json'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];
/** The outcomes of a deploy a notification can be sent for. */
export const NOTIFY_OUTCOMES = ['applied', 'up-to-date', 'failed', 'refused', 'rolled-back'] as const;
export type NotifyOutcome = (typeof NOTIFY_OUTCOMES)[number];

/** The CLI's commands that take flags (help and version take none). */
export type CommandName = 'up' | 'down' | 'status' | 'plan' | 'lint' | 'new' | 'resolve' | 'repair' | 'adopt' | 'baseline' | 'verify' | 'dump' | 'drift' | 'history';

export interface Setting<T> {
  key: string;
  /** The CLI commands the flag applies to: each one's --help lists it, and any other command refuses it. */
  commands?: readonly CommandName[];
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

/** Postgres keeps lock_timeout and statement_timeout in an int of milliseconds: INT_MAX is its limit. */
export const PG_MAX_TIMEOUT_MS = 2_147_483_647;

/** What a duration may be; a value outside is refused with the bounds and what they protect. */
export interface DurationBounds {
  /** 0 accepted, with what it means ("do not wait"); absent: 0 is refused with `zeroMeans`. */
  zeroAllowed?: boolean;
  /** Why 0 is refused: what it would mean. */
  zeroMeans?: string;
  max: number;
  /** The max as a user writes it, and why it is the max. */
  maxShown: string;
}

/** Durations with no bounds of their own: anything up to Postgres's limit. */
const ANY_DURATION: DurationBounds = { zeroAllowed: true, max: PG_MAX_TIMEOUT_MS, maxShown: '2147483647ms' };

/** "10s", "500ms", "2min", "1h", or a bare number of seconds → milliseconds, within `bounds`. */
export function parseDuration(text: string, shownAs: string, bounds: DurationBounds = ANY_DURATION): number {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?$/i);
  if (!m) throw new ConfigError(`${shownAs} ${text} is not a duration: use a number with a unit, like 10s, 500ms or 2min.`);
  const exact = Number(m[1]) * UNITS[(m[2] ?? 's').toLowerCase()];
  const ms = Math.round(exact);
  // Postgres and the timers count whole milliseconds: 0.1ms would become 0, which means something else.
  if (exact > 0 && ms === 0)
    throw new ConfigError(`${shownAs} ${text.trim()} is less than a millisecond, which would round to 0${bounds.zeroMeans ? ` (${bounds.zeroMeans})` : ''}: give at least 1ms.`);
  if (ms === 0 && !bounds.zeroAllowed) throw new ConfigError(`${shownAs} cannot be 0: ${bounds.zeroMeans ?? 'give a positive duration'}. Give at least 1ms.`);
  if (ms > bounds.max) throw new ConfigError(`${shownAs} ${text.trim()} is more than ${bounds.maxShown}. Give a shorter duration.`);
  return ms;
}

/** The longest a run waits for another run's lock: the longest job GitHub-hosted runners allow. */
const LOCK_WAIT: DurationBounds = { zeroAllowed: true, max: 6 * 3_600_000, maxShown: '6h, the longest a GitHub-hosted job may run' };
/** Health checks are retried for at most an hour: a deploy that waits longer for its app is stuck. */
const HEALTH_TIMEOUT: DurationBounds = { zeroAllowed: true, max: 3_600_000, maxShown: '1h' };
/** A database that does not answer within an hour is not starting up: a bare number is seconds, so 3600 is the most. */
const CONNECT_TIMEOUT: DurationBounds = { zeroMeans: 'pgshift would give up before trying to connect', max: 3_600_000, maxShown: '1h (a bare number means seconds)' };
const LOCK_TIMEOUT: DurationBounds = {
  zeroMeans: 'lock_timeout = 0 means no lock timeout, so a blocked ALTER would queue every query on its table behind it',
  max: PG_MAX_TIMEOUT_MS,
  maxShown: "2147483647ms (about 24 days), Postgres's limit for lock_timeout",
};
const STATEMENT_TIMEOUT: DurationBounds = {
  zeroMeans: 'statement_timeout = 0 means no timeout; leave the setting out for none',
  max: PG_MAX_TIMEOUT_MS,
  maxShown: "2147483647ms (about 24 days), Postgres's limit for statement_timeout",
};

/** Postgres keeps NAMEDATALEN - 1 bytes of an identifier and silently cuts the rest. */
export const PG_MAX_IDENTIFIER_BYTES = 63;

/**
 * The tracking schema's name as Postgres will keep it. A longer name would be cut by the server while
 * the lock key is made from the whole name: two runs could then take different locks on one table.
 */
export function parseSchemaName(t: string, shownAs: string): string {
  const name = t.trim();
  if (!name) throw new ConfigError(`${shownAs} is empty: give the schema of the tracking tables, or leave it out for public.`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > PG_MAX_IDENTIFIER_BYTES) {
    throw new ConfigError(
      `${shownAs} "${name}" is ${bytes} bytes long; Postgres keeps only the first ${PG_MAX_IDENTIFIER_BYTES} bytes of a name and would cut it. Give a schema name of at most ${PG_MAX_IDENTIFIER_BYTES} bytes.`,
    );
  }
  if (name.includes('\0')) throw new ConfigError(`${shownAs} contains a NUL character, which Postgres names cannot hold.`);
  if (name.startsWith('pg_') || name === 'information_schema') {
    throw new ConfigError(
      `${shownAs} ${name} is a system schema (names starting with pg_ and information_schema belong to Postgres): keep the tracking tables in a schema of your own, or leave it out for public.`,
    );
  }
  return name;
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

/** The action's repair-versions: versions, or "all" alone; [] when empty. */
function parseRepairVersions(t: string, shownAs: string): string[] {
  const list = parseList(t);
  if (list.some((v) => v.toLowerCase() === 'all')) {
    if (list.length > 1) throw new ConfigError(`${shownAs} is "all" or a list of versions, not both.`);
    return ['all'];
  }
  const bad = list.find((v) => !isVersion(v));
  if (bad !== undefined) throw new ConfigError(`${shownAs}: "${bad}" is not a version: use the number at the start of a migration file name, or all.`);
  return list;
}

/** A tool adopt can take over from, by the name its users know it by. */
function parseTool(t: string, shownAs: string): ToolId | '' {
  const tool = t.trim().toLowerCase();
  if (!tool) return '';
  if ((TOOLS as readonly string[]).includes(tool)) return tool as ToolId;
  throw new ConfigError(`${shownAs} must be one of ${TOOLS.join(', ')}, not "${t.trim()}".`);
}

/** --notify-on: outcomes, "failure" (failed and refused) or "always" (every outcome). */
function parseNotifyOn(t: string, shownAs: string): NotifyOutcome[] {
  const out = new Set<NotifyOutcome>();
  for (const word of parseList(t.toLowerCase())) {
    if (word === 'always') NOTIFY_OUTCOMES.forEach((o) => out.add(o));
    else if (word === 'failure') ['failed', 'refused'].forEach((o) => out.add(o as NotifyOutcome));
    else if ((NOTIFY_OUTCOMES as readonly string[]).includes(word)) out.add(word as NotifyOutcome);
    else throw new ConfigError(`${shownAs}: "${word}" is not an outcome: use ${NOTIFY_OUTCOMES.join(', ')}, failure or always.`);
  }
  return [...out];
}

const text = (t: string) => t.trim();
const optionalText = (t: string) => t.trim() || undefined;
const duration = (bounds: DurationBounds) => (t: string, shownAs: string) => parseDuration(t, shownAs, bounds);
const optionalDuration = (bounds: DurationBounds) => (t: string, shownAs: string) => (t.trim() ? parseDuration(t, shownAs, bounds) : undefined);
const flagOnly = (why: string) => ({ shell: 'cli' as const, why });
// Which commands a flag applies to, by what the command does. plan is the dry run of up and down, and
// takes their flags (those about running change nothing in a plan): one set of flags serves both.
const CONNECTING: readonly CommandName[] = ['up', 'down', 'status', 'plan', 'lint', 'resolve', 'repair', 'adopt', 'baseline', 'verify', 'dump', 'drift', 'history'];
/** Commands that replay migrations on a shadow database. */
const SHADOWING: readonly CommandName[] = ['verify', 'dump', 'drift'];
const EVERY: readonly CommandName[] = [...CONNECTING, 'new'];
const SELECTING: readonly CommandName[] = ['up', 'down', 'plan', 'lint'];
const DEPLOYING: readonly CommandName[] = ['up', 'down', 'plan'];
const REVIEWING: readonly CommandName[] = ['up', 'down', 'plan'];
const LOCKING: readonly CommandName[] = ['up', 'down', 'plan', 'resolve', 'repair', 'adopt', 'baseline'];
const inputOnly = (why: string) => ({ shell: 'action' as const, why });

/** The settings table. Order is the order of --help. */
export const SETTINGS = {
  dir: { key: 'dir', commands: EVERY, flag: '--dir', short: 'd', input: 'migrations-dir', arg: '<path>', default: 'migrations', shown: 'migrations', parse: text, help: 'migrations directory' },
  databaseUrl: {
    key: 'databaseUrl',
    commands: CONNECTING,
    flag: '--database-url',
    input: 'database-url',
    arg: '<url>',
    default: '',
    shown: '',
    parse: text,
    help: 'target database (CLI default $DATABASE_URL); must start with postgres:// or postgresql://',
  },
  shadowUrl: {
    key: 'shadowUrl',
    commands: [...SHADOWING, 'up', 'down', 'baseline'],
    flag: '--shadow-url',
    input: 'shadow-database-url',
    arg: '<url>',
    default: '',
    shown: '',
    parse: text,
    help: 'a scratch server where the role may CREATE DATABASE (CLI default $PGSHIFT_SHADOW_URL): migrations are proven on a fresh database there, dropped afterwards',
  },
  includeOwners: {
    key: 'includeOwners',
    commands: SHADOWING,
    flag: '--include-owners',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'verify, dump, drift: compare and print owners too (left out by default: a shadow database has other owners)',
    onlyIn: flagOnly('the action compares schemas for a review, where owners of a shadow database mean nothing'),
  },
  allowNoDown: {
    key: 'allowNoDown',
    commands: ['verify'],
    flag: '--allow-no-down',
    input: 'allow-no-down',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'verify: a migration with no down (irreversible by design) does not fail the check',
  },
  out: {
    key: 'out',
    commands: ['dump'],
    flag: '--out',
    short: 'o',
    arg: '<file>',
    default: undefined as string | undefined,
    shown: '',
    parse: optionalText,
    help: 'dump: write the schema to this file instead of standard output',
    onlyIn: flagOnly('the action writes the dump to its schema-file input'),
  },
  fromMigrations: {
    key: 'fromMigrations',
    commands: ['dump'],
    flag: '--from-migrations',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: "dump: the schema the migration directory produces on the shadow database, not the target's",
    onlyIn: flagOnly('the action compares its schema-file with the migrations on a dry run, and dumps the target after an apply'),
  },
  checkDrift: {
    key: 'checkDrift',
    commands: ['up', 'down'],
    flag: '--check-drift',
    input: 'check-drift',
    default: undefined as boolean | undefined,
    // Empty: true when a shadow database is given.
    shown: '',
    parse: (t: string, shownAs: string) => (t.trim() ? parseBoolean(t, shownAs) : undefined),
    help: 'in a protected environment, compare the live schema with what its applied migrations produce on the shadow database before applying, and print the drift',
  },
  failOnDrift: {
    key: 'failOnDrift',
    commands: ['up', 'down'],
    flag: '--fail-on-drift',
    input: 'fail-on-drift',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'refuse the deploy when the drift check finds differences',
  },
  schemaFile: {
    key: 'schemaFile',
    commands: ['up', 'down'],
    flag: '--schema-file',
    input: 'schema-file',
    arg: '<path>',
    default: undefined as string | undefined,
    shown: '',
    parse: optionalText,
    help: 'after a successful deploy, write the schema there as pgshift dump does; on a dry run with a shadow database, a committed file that differs from the migrations is a finding',
  },
  driftOnly: {
    key: 'driftOnly',
    input: 'drift-only',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'only check drift (with shadow-database-url): nothing is applied; on drift an issue "Schema drift in <environment>" is opened (or commented on), and closed once the drift is gone',
    onlyIn: inputOnly('the CLI has pgshift drift, a command of its own'),
  },
  verify: {
    key: 'verify',
    input: 'verify',
    default: undefined as boolean | undefined,
    // Empty: true when a shadow database is given.
    shown: '',
    parse: (t: string, shownAs: string) => (t.trim() ? parseBoolean(t, shownAs) : undefined),
    help: 'on a dry run with a shadow database, verify each pending migration (up, down, up again); a failed verification fails the check',
    onlyIn: inputOnly('the CLI has pgshift verify, a command of its own'),
  },
  schema: {
    key: 'schema',
    commands: CONNECTING,
    flag: '--schema',
    input: 'tracking-schema',
    arg: '<name>',
    default: 'public',
    shown: 'public',
    parse: parseSchemaName,
    help: 'schema of the tracking tables',
  },
  environment: {
    key: 'environment',
    commands: ['up', 'down', 'plan', 'resolve', 'repair', 'adopt', 'baseline', 'history'],
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
    // The CLI's dry run of up and down is a command of its own (pgshift plan); adopt and baseline take the flag.
    commands: ['adopt', 'baseline'],
    flag: '--dry-run',
    input: 'dry-run',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'adopt, baseline: say what would be recorded and write nothing (the action: plan only: read-only, no table, no lock)',
  },
  target: {
    key: 'target',
    commands: SELECTING,
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
    commands: SELECTING,
    flag: '--steps',
    input: 'steps',
    arg: '<n>',
    default: undefined as number | undefined,
    shown: '',
    parse: (t: string, shownAs: string) => (t.trim() ? count(1)(t, shownAs) : undefined),
    help: 'at most n migrations (down: default 1)',
  },
  lockWait: {
    key: 'lockWait',
    commands: LOCKING,
    flag: '--lock-wait',
    input: 'lock-wait',
    arg: '<dur>',
    default: 60_000,
    shown: '60s',
    parse: duration(LOCK_WAIT),
    help: "wait this long for another run's lock",
  },
  lockTimeout: {
    key: 'lockTimeout',
    commands: DEPLOYING,
    flag: '--lock-timeout',
    input: 'lock-timeout',
    arg: '<dur>',
    default: 10_000,
    shown: '10s',
    parse: duration(LOCK_TIMEOUT),
    help: 'SET LOCAL lock_timeout in each migration',
  },
  lockRetries: {
    key: 'lockRetries',
    commands: DEPLOYING,
    flag: '--lock-retries',
    input: 'lock-retries',
    arg: '<n>',
    default: 3,
    shown: '3',
    parse: count(0),
    help: 'retries of a migration that hit the lock timeout',
  },
  statementTimeout: {
    key: 'statementTimeout',
    commands: DEPLOYING,
    flag: '--statement-timeout',
    input: 'statement-timeout',
    arg: '<dur>',
    default: undefined as number | undefined,
    shown: '',
    parse: optionalDuration(STATEMENT_TIMEOUT),
    help: 'SET LOCAL statement_timeout in each migration (default none)',
  },
  connectTimeout: {
    key: 'connectTimeout',
    commands: CONNECTING,
    flag: '--connect-timeout',
    input: 'connect-timeout',
    arg: '<dur>',
    default: 30_000,
    shown: '30s',
    parse: duration(CONNECT_TIMEOUT),
    help: 'bounds connecting (TCP, TLS, login, first query), retried this long; a refused connection (nothing listening) is retried 5s unless this is given',
  },
  singleTransaction: {
    key: 'singleTransaction',
    commands: DEPLOYING,
    flag: '--single-transaction',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'run the whole batch all-or-nothing (transactional migrations only)',
    onlyIn: flagOnly('a deploy applies each migration in its own transaction, so that a failure keeps what came before it recorded; all-or-nothing batches are for a developer at a terminal'),
  },
  allowMissing: {
    key: 'allowMissing',
    commands: [...SELECTING, 'adopt'],
    flag: '--allow-missing',
    input: 'allow-missing',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: "go on when an applied migration's file is gone",
  },
  allowOutOfOrder: {
    key: 'allowOutOfOrder',
    commands: SELECTING,
    flag: '--allow-out-of-order',
    input: 'allow-out-of-order',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'apply pending migrations older than the newest applied one',
  },
  backup: {
    key: 'backup',
    commands: DEPLOYING,
    flag: '--backup',
    input: 'backup',
    arg: '<mode>',
    default: '' as BackupSetting,
    // Empty: auto in a protected environment, none elsewhere.
    shown: '',
    parse: (t: string, shownAs: string): BackupSetting => {
      const m = t.trim().toLowerCase();
      if (!(BACKUP_MODES as readonly string[]).includes(m)) throw new ConfigError(`${shownAs} must be none, auto or full, not "${t.trim()}".`);
      return m as BackupSetting;
    },
    help: 'a pg_dump before anything is applied: none, auto (the schema plus the data of the tables the run drops, empties or rewrites) or full (default auto in protected environments, none elsewhere)',
  },
  pgDump: {
    key: 'pgDump',
    commands: DEPLOYING,
    flag: '--pg-dump',
    input: 'pg-dump-path',
    arg: '<path>',
    default: '',
    shown: '',
    parse: text,
    help: "the pg_dump to back up with (default: pg_dump on PATH); its major version must be at least the server's",
  },
  backupDir: {
    key: 'backupDir',
    commands: DEPLOYING,
    flag: '--backup-dir',
    input: 'backup-dir',
    arg: '<path>',
    default: '',
    shown: '',
    parse: text,
    help: 'where the backup is written (default $RUNNER_TEMP on a runner, else the system temporary folder)',
  },
  healthCheckSql: {
    key: 'healthCheckSql',
    commands: DEPLOYING,
    flag: '--health-check-sql',
    input: 'health-check-sql',
    arg: '<query>',
    default: '',
    shown: '',
    parse: text,
    help: "after the run (also when nothing was pending): passes when the query's first row's first column is true",
  },
  healthCheckUrl: {
    key: 'healthCheckUrl',
    commands: DEPLOYING,
    flag: '--health-check-url',
    input: 'health-check-url',
    arg: '<url>',
    default: '',
    shown: '',
    parse: (t: string, shownAs: string) => {
      const u = t.trim();
      if (u && !/^https?:\/\//i.test(u)) throw new ConfigError(`${shownAs} must be an http:// or https:// URL, not "${u}".`);
      return u;
    },
    help: 'after the run (also when nothing was pending): passes on a 2xx answer to a GET',
  },
  healthCheckTimeout: {
    key: 'healthCheckTimeout',
    commands: DEPLOYING,
    flag: '--health-check-timeout',
    input: 'health-check-timeout',
    arg: '<dur>',
    default: 60_000,
    shown: '60s',
    parse: duration(HEALTH_TIMEOUT),
    help: 'how long the health checks are retried (with backoff) before they fail',
  },
  rollbackOnFailure: {
    key: 'rollbackOnFailure',
    commands: DEPLOYING,
    flag: '--rollback-on-failure',
    input: 'rollback-on-failure',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'when a migration or the health check fails, roll back (newest first, with their downs) every migration this run applied; refused beforehand when one cannot be rolled back',
  },
  allowIrreversible: {
    key: 'allowIrreversible',
    commands: DEPLOYING,
    flag: '--allow-irreversible',
    input: 'allow-irreversible',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'with --rollback-on-failure: run even though some pending migrations cannot be rolled back automatically',
  },
  notifyUrl: {
    key: 'notifyUrl',
    commands: ['up', 'down'],
    flag: '--notify-url',
    input: 'notify-url',
    arg: '<url>',
    default: '',
    shown: '',
    parse: (t: string, shownAs: string) => {
      const u = t.trim();
      if (u && !/^https?:\/\//i.test(u)) throw new ConfigError(`${shownAs} must be an http:// or https:// URL (a webhook), not a value of another kind.`);
      return u;
    },
    help: 'a webhook (Slack, Microsoft Teams, Discord, or any JSON endpoint) told the outcome of the deploy (CLI default $PGSHIFT_NOTIFY_URL)',
  },
  notifyFormat: {
    key: 'notifyFormat',
    commands: ['up', 'down'],
    flag: '--notify-format',
    input: 'notify-format',
    arg: '<format>',
    default: 'slack' as NotifyFormat,
    shown: 'slack',
    parse: (t: string, shownAs: string): NotifyFormat => {
      const f = t.trim().toLowerCase();
      if (!(NOTIFY_FORMATS as readonly string[]).includes(f)) throw new ConfigError(`${shownAs} must be one of ${NOTIFY_FORMATS.join(', ')}, not "${t.trim()}".`);
      return f as NotifyFormat;
    },
    help: `the webhook's body: ${NOTIFY_FORMATS.join(', ')} (json: documented in docs/notifications.md)`,
  },
  notifyOn: {
    key: 'notifyOn',
    commands: ['up', 'down'],
    flag: '--notify-on',
    input: 'notify-on',
    arg: '<list>',
    default: ['failed', 'refused', 'rolled-back'] as NotifyOutcome[],
    shown: 'failure,rolled-back',
    parse: parseNotifyOn,
    help: 'comma-separated outcomes that send a notification: applied, up-to-date, failed, refused, rolled-back; failure (failed and refused); always',
  },
  protectedEnvironments: {
    key: 'protectedEnvironments',
    commands: REVIEWING,
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
    commands: ['down', 'plan'],
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
    commands: REVIEWING,
    flag: '--allow-destructive',
    input: 'allow-destructive',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'allow destructive statements (DROP TABLE, DROP COLUMN, TRUNCATE, …) in a protected environment',
  },
  failOnLint: {
    key: 'failOnLint',
    commands: REVIEWING,
    flag: '--fail-on-lint',
    input: 'fail-on-lint',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'outside protected environments, refuse the run on error-level safety findings',
  },
  policy: {
    key: 'policy',
    commands: REVIEWING,
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
    commands: ['up', 'down', 'plan', 'lint'],
    flag: '--config',
    arg: '<file>',
    default: undefined as string | undefined,
    shown: '',
    parse: optionalText,
    help: 'linter settings (default ./pgshift.json when it exists); see docs/rules.md',
    onlyIn: flagOnly('the action reads pgshift.json at the root of the checked-out workspace, where the repository keeps it'),
  },
  since: {
    key: 'since',
    commands: ['plan', 'lint'],
    flag: '--since',
    arg: '<git-ref>',
    default: undefined as string | undefined,
    shown: '',
    parse: optionalText,
    help: 'plan and lint from git instead of a database: the migrations added or changed since this ref (branch, tag or commit) are pending; the others count as applied, so findings on what they created are reported',
    onlyIn: flagOnly("the action reads the pull request's base commit from the event, and the files the pull request changes from the GitHub API or git"),
  },
  exitCode: {
    key: 'exitCode',
    commands: ['status'],
    flag: '--exit-code',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'status: exit 1 when anything is pending',
    onlyIn: flagOnly('status is a terminal command; the action reports pending-count as an output'),
  },
  resolveApplied: {
    key: 'resolveApplied',
    commands: ['resolve'],
    flag: '--applied',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: "resolve: the migration's changes are in place",
    onlyIn: flagOnly('resolve settles a failed migration after a person has looked at the database: a terminal command'),
  },
  resolveRolledBack: {
    key: 'resolveRolledBack',
    commands: ['resolve'],
    flag: '--rolled-back',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: "resolve: the migration's changes are not in place",
    onlyIn: flagOnly('resolve settles a failed migration after a person has looked at the database: a terminal command'),
  },
  adoptFrom: {
    key: 'adoptFrom',
    commands: ['adopt'],
    flag: '--from',
    input: 'adopt-from',
    arg: '<tool>',
    default: '' as ToolId | '',
    shown: '',
    parse: parseTool,
    help: `adopt: the tool whose history table to take over (${TOOLS.join(', ')}); the action adopts once, before the plan`,
  },
  repairVersions: {
    key: 'repairVersions',
    input: 'repair-versions',
    default: [] as string[],
    shown: '',
    parse: parseRepairVersions,
    help: 'comma-separated applied versions (or all) whose changed files to accept before the deploy, recording each new checksum with repair-reason',
    onlyIn: inputOnly('the CLI names the versions as arguments of its repair command: pgshift repair <version>... (or --all)'),
  },
  repairReason: {
    key: 'repairReason',
    commands: ['repair'],
    flag: '--reason',
    input: 'repair-reason',
    arg: '<text>',
    default: '',
    shown: '',
    parse: text,
    help: 'repair: why the changed file is right, recorded in the history (required)',
  },
  repairAll: {
    key: 'repairAll',
    commands: ['repair'],
    flag: '--all',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'repair: every changed applied migration, listed first (asks on a terminal; without one, needs --yes)',
    onlyIn: flagOnly('the action takes "all" in the repair-versions input, which is itself the deliberate yes'),
  },
  historyVersion: {
    key: 'historyVersion',
    commands: ['history'],
    // pgshift --version (any other command too) prints pgshift's version; after history it filters (cli/args.ts).
    flag: '--version',
    arg: '<version>',
    default: undefined as string | undefined,
    shown: '',
    parse: optionalText,
    help: 'history: only the rows of this version ("001" and "1" are one version)',
    onlyIn: flagOnly('the history is read at a terminal; the action reports its own run in the summary'),
  },
  historyLimit: {
    key: 'historyLimit',
    commands: ['history'],
    flag: '--limit',
    arg: '<n>',
    default: 50,
    shown: '50',
    parse: count(1),
    help: 'history: show at most n rows, newest first',
    onlyIn: flagOnly('the history is read at a terminal; the action reports its own run in the summary'),
  },
  json: {
    key: 'json',
    commands: EVERY,
    flag: '--json',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'print the result as JSON',
    onlyIn: flagOnly('the action writes JSON to the plan-file output'),
  },
  verbose: {
    key: 'verbose',
    commands: CONNECTING,
    flag: '--verbose',
    short: 'v',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'say more as it runs',
    onlyIn: flagOnly('the action always logs each migration in a group of its own'),
  },
  yes: {
    key: 'yes',
    commands: ['up', 'down', 'repair'],
    flag: '--yes',
    short: 'y',
    default: false,
    shown: 'false',
    parse: parseBoolean,
    help: 'on a terminal, run without asking (a destructive up, a down of several migrations or to 0)',
    onlyIn: flagOnly('only a terminal asks before destroying; the action has no one to ask and never does'),
  },
  envFile: {
    key: 'envFile',
    commands: CONNECTING,
    flag: '--env-file',
    arg: '<path>',
    default: undefined as string | undefined,
    shown: '',
    parse: optionalText,
    help: 'read variables such as DATABASE_URL from this file (default ./.env when it exists); the real environment wins',
    onlyIn: flagOnly("the action reads the workflow's env and secrets, where a deploy's settings belong"),
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
