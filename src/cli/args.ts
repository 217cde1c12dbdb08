// Command-line flags → settings. The flags, their parsing and the Options part of --help all come from
// the settings table; every bad flag is a usage error (exit 2) naming the fix.
import { parseArgs } from 'node:util';
import { ConfigError } from '../commands';
import { readSettings, SETTING_ROWS, SETTINGS, type SettingValues } from '../settings';

export const COMMANDS = ['up', 'down', 'status', 'plan', 'lint', 'new', 'resolve', 'help', 'version'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  command: Command;
  positionals: string[];
  settings: SettingValues;
}

type FlagOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const FLAGS = SETTING_ROWS.filter((s) => s.flag);

function flagOptions(): FlagOptions {
  const options: FlagOptions = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
  for (const s of FLAGS) options[s.flag!.slice(2)] = { type: s.arg ? 'string' : 'boolean', ...(s.short ? { short: s.short } : {}) };
  return options;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: flagOptions() });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}. See "pgshift --help".`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const [first, ...positionals] = parsed.positionals;
  const command = (v.help ? 'help' : v.version ? 'version' : (first ?? 'help')) as Command;
  if (!COMMANDS.includes(command)) throw new ConfigError(`unknown command "${first}": use one of up, down, status, plan, lint, new, resolve. See "pgshift --help".`);
  if (v.applied && v['rolled-back']) throw new ConfigError('pass either --applied or --rolled-back to resolve, not both.');
  const settings = readSettings('cli', (s) => {
    const value = s.flag ? v[s.flag.slice(2)] : undefined;
    // A given flag is parsed even when empty (`--lock-wait ''` is an error, not the default).
    if (typeof value === 'string') return value === '' ? ' ' : value;
    return value === true ? 'true' : undefined;
  });
  if (!v['database-url']) settings.databaseUrl = env.DATABASE_URL || '';
  if (!v.dir) settings.dir = `./${SETTINGS.dir.default}`;
  return { command, positionals: v.help || v.version ? parsed.positionals : positionals, settings };
}

function options(): string {
  const rows = FLAGS.map((s) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}${s.flag}${s.arg ? ` ${s.arg}` : ''}`;
    const def = s.shown && s.shown !== 'false' && !/default/.test(s.help) ? ` (default ${s.shown})` : '';
    return `  ${left.padEnd(34)} ${s.help}${def}`;
  });
  return [...rows, `  ${'-h, --help'.padEnd(34)} this help`, `  ${'    --version'.padEnd(34)} print the version`].join('\n');
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
${options()}

Protected environments (--env listed in --protected-environments, default production):
  a down needs --confirm MIGRATE-<ENV>; destructive findings refuse up unless --allow-destructive;
  error-level findings refuse it always. --policy additive-only refuses destructive statements anywhere.

Migration files (decided per file):
  <version>_<name>.sql with -- migrate:up / -- migrate:down sections (dbmate; header may add transaction:false)
  <version>_<name>.up.sql with an optional <version>_<name>.down.sql
  V<version>__<name>.sql with an optional U<version>__<name>.sql (Flyway)
  <version>_<name>.sql with no markers: the whole file is the up migration (no down)

Exit codes:
  0  success
  1  a migration failed (it was rolled back, or is marked failed until resolve); lint: an error-level finding
  2  usage or configuration error (bad flag, missing directory, database unreachable)
  3  validation or the safety policy refused the run (changed or missing applied file, out-of-order, parse error, a refused finding)
  4  the migration lock was not acquired within --lock-wait
`;
