// Command-line flags → typed options. Every bad flag is a usage error (exit 2) naming the fix.
import { parseArgs } from 'node:util';
import { parseDuration } from '../config/duration';
import { ConfigError } from '../errors';

export const COMMANDS = ['up', 'down', 'status', 'plan', 'lint', 'new', 'resolve', 'help', 'version'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  command: Command;
  positionals: string[];
  dir: string;
  databaseUrl?: string;
  schema: string;
  env: string;
  json: boolean;
  verbose: boolean;
  target?: string;
  steps?: number;
  lockWaitMs: number;
  lockTimeout: string;
  statementTimeout?: string;
  lockRetries: number;
  connectTimeoutMs: number;
  singleTransaction: boolean;
  allowMissing: boolean;
  allowOutOfOrder: boolean;
  exitCode: boolean;
  /** Linter settings file (default ./pgshift.json when it exists). */
  config?: string;
  resolveAs?: 'applied' | 'rolled-back';
}

function parseCount(text: string, flag: string, min: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw new ConfigError(`${flag} ${text} must be a whole number${min > 0 ? ` of at least ${min}` : ''}.`);
  return Number(text);
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        dir: { type: 'string', short: 'd' },
        'database-url': { type: 'string' },
        schema: { type: 'string' },
        env: { type: 'string' },
        json: { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
        target: { type: 'string' },
        steps: { type: 'string' },
        'lock-wait': { type: 'string' },
        'lock-timeout': { type: 'string' },
        'statement-timeout': { type: 'string' },
        'lock-retries': { type: 'string' },
        'connect-timeout': { type: 'string' },
        'single-transaction': { type: 'boolean' },
        'allow-missing': { type: 'boolean' },
        'allow-out-of-order': { type: 'boolean' },
        'exit-code': { type: 'boolean' },
        config: { type: 'string' },
        applied: { type: 'boolean' },
        'rolled-back': { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}. See "pgshift --help".`);
  }
  const v = parsed.values;
  const [first, ...positionals] = parsed.positionals;
  const command = (v.help ? 'help' : v.version ? 'version' : (first ?? 'help')) as Command;
  if (!COMMANDS.includes(command)) throw new ConfigError(`unknown command "${first}": use one of up, down, status, plan, lint, new, resolve. See "pgshift --help".`);
  if (v.applied && v['rolled-back']) throw new ConfigError('pass either --applied or --rolled-back to resolve, not both.');
  const ms = (flag: string, value: string | undefined, fallback: number) => (value === undefined ? fallback : parseDuration(value, flag));
  const statementTimeout = v['statement-timeout'];
  return {
    command,
    positionals: v.help || v.version ? parsed.positionals : positionals,
    dir: v.dir ?? './migrations',
    databaseUrl: v['database-url'] ?? (env.DATABASE_URL || undefined),
    schema: v.schema ?? 'public',
    env: v.env ?? 'development',
    json: !!v.json,
    verbose: !!v.verbose,
    target: v.target,
    steps: v.steps === undefined ? undefined : parseCount(v.steps, '--steps', 1),
    lockWaitMs: ms('--lock-wait', v['lock-wait'], 60_000),
    // Postgres gets plain milliseconds: validated here, passed as a parameter there.
    lockTimeout: String(ms('--lock-timeout', v['lock-timeout'], 10_000)),
    statementTimeout: statementTimeout ? String(parseDuration(statementTimeout, '--statement-timeout')) : undefined,
    lockRetries: v['lock-retries'] === undefined ? 3 : parseCount(v['lock-retries'], '--lock-retries', 0),
    connectTimeoutMs: ms('--connect-timeout', v['connect-timeout'], 30_000),
    singleTransaction: !!v['single-transaction'],
    allowMissing: !!v['allow-missing'],
    allowOutOfOrder: !!v['allow-out-of-order'],
    exitCode: !!v['exit-code'],
    config: v.config,
    resolveAs: v.applied ? 'applied' : v['rolled-back'] ? 'rolled-back' : undefined,
  };
}

export const HELP = `pgshift — safe, fast PostgreSQL schema migrations

Usage: pgshift <command> [options]

Commands:
  up                    apply pending migrations (all, or --target / --steps)
  down                  roll back the last applied migration (--steps N, or --target V)
  status                list every migration: applied, pending, failed, modified or missing
  plan [up|down]        dry run: what up/down would run, with its SQL and safety findings (read-only: no table, no lock)
  lint [paths...]       safety findings: of the given files or directories; with no path, of the pending
                        migrations when a database is given, else of every migration in --dir
  new <name>            write <UTC yyyymmddhhmmss>_<name>.sql with -- migrate:up / -- migrate:down
  resolve <version>     settle a failed non-transactional migration: --applied or --rolled-back

Options:
  -d, --dir <path>            migrations directory (default ./migrations)
      --database-url <url>    target database (default $DATABASE_URL)
      --schema <name>         schema of the tracking tables (default public)
      --env <name>            environment recorded in the history (default development)
      --target <version>      up: apply up to this version; down: roll back everything above it (0: all)
      --steps <n>             at most n migrations (down: default 1)
      --lock-wait <dur>       wait this long for another run's lock (default 60s)
      --lock-timeout <dur>    SET LOCAL lock_timeout in each migration (default 10s)
      --lock-retries <n>      retries of a migration that hit the lock timeout (default 3)
      --statement-timeout <dur>  SET LOCAL statement_timeout in each migration (default none)
      --connect-timeout <dur> keep retrying the connection this long (default 30s)
      --single-transaction    run the whole batch all-or-nothing (transactional migrations only)
      --allow-missing         go on when an applied migration's file is gone
      --allow-out-of-order    apply pending migrations older than the newest applied one
      --exit-code             status: exit 1 when anything is pending
      --config <file>         linter settings (default ./pgshift.json); see docs/rules.md
      --json                  print the result as JSON
  -v, --verbose               say more as it runs
  -h, --help                  this help
      --version               print the version

Migration files (decided per file):
  <version>_<name>.sql with -- migrate:up / -- migrate:down sections (dbmate; header may add transaction:false)
  <version>_<name>.up.sql with an optional <version>_<name>.down.sql
  V<version>__<name>.sql with an optional U<version>__<name>.sql (Flyway)
  <version>_<name>.sql with no markers: the whole file is the up migration (no down)

Exit codes:
  0  success
  1  a migration failed (it was rolled back, or is marked failed until resolve); lint: an error-level finding
  2  usage or configuration error (bad flag, missing directory, database unreachable)
  3  validation refused the run (changed or missing applied file, out-of-order, parse error)
  4  the migration lock was not acquired within --lock-wait
`;
