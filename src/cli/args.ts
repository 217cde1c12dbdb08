// Command-line flags → settings. The flags, their parsing and the Options part of --help all come from
// the settings table; every bad flag is a usage error (exit 2) naming the fix.
import { parseArgs } from 'node:util';
import { ConfigError } from '../commands';
import { readSettings, SETTING_ROWS, SETTINGS, type Setting, type SettingKey, type SettingValues } from '../settings';

export const COMMANDS = ['up', 'down', 'status', 'plan', 'lint', 'new', 'resolve', 'repair', 'adopt', 'baseline', 'verify', 'dump', 'drift', 'history', 'help', 'version'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  command: Command;
  positionals: string[];
  settings: SettingValues;
  /** The settings given as flags; the others hold defaults (or, for the database, the environment's). */
  given: Set<SettingKey>;
  /** For help: the command whose help to print (`pgshift up --help`, `pgshift help up`). */
  topic?: Command;
  /** A bare `pgshift`: the help, printed as a usage error. */
  bare?: boolean;
}

/** Commands that take no flags of their own. */
const META: readonly Command[] = ['help', 'version'];

const isCommand = (word: string | undefined): word is Command => (COMMANDS as readonly string[]).includes(word ?? '');

/** What a row's flag applies to; a row that does not say applies to every command. */
const appliesTo = (s: Setting<unknown>, command: Command) => !s.commands || (s.commands as readonly string[]).includes(command);

/** Words people reach for from other tools, and pgshift's command for each. */
const COMMAND_ALIASES: Record<string, Command> = {
  rollback: 'down',
  undo: 'down',
  revert: 'down',
  migrate: 'up',
  apply: 'up',
  deploy: 'up',
  'dry-run': 'plan',
  dryrun: 'plan',
  preview: 'plan',
  create: 'new',
  generate: 'new',
  info: 'status',
  list: 'status',
  check: 'lint',
};

/** Edit distance counting a swap of two neighbours as one edit (--stpes is one edit from --steps). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidate a typo most likely meant: within one edit per three letters, two at most. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(2, Math.max(1, Math.floor(word.replace(/^-+/, '').length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= limit ? best : undefined;
}

/** "up, down and plan". */
function inWords(words: readonly string[]): string {
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}` : (words[0] ?? '');
}

function unknownCommand(word: string): ConfigError {
  const meant = COMMAND_ALIASES[word.toLowerCase()] ?? closest(word, COMMANDS);
  const hint = meant ? `: did you mean "pgshift ${meant}"?` : '.';
  return new ConfigError(`unknown command "${word}"${hint} The commands are ${inWords(COMMANDS.filter((c) => !META.includes(c)))}. See "pgshift --help".`);
}

/** What to say about a flag pgshift does not have. */
function flagHint(flag: string): string | undefined {
  const name = flag.replace(/=.*$/, '');
  if (/^--dry-?run$/i.test(name)) return 'a dry run is a command of its own: "pgshift plan" (or "pgshift plan down")';
  if (['--url', '--db', '--database', '--db-url', '--dsn'].includes(name)) return 'did you mean --database-url?';
  // The GitHub Action's input names, written as flags.
  const input = FLAGS.find((s) => s.input && `--${s.input}` === name);
  if (input) return `did you mean ${input.flag}? (${input.input} is the GitHub Action's name for it)`;
  const near = closest(name, [...FLAGS.map((s) => s.flag!), '--help', '--version']);
  return near ? `did you mean ${near}?` : undefined;
}

/** "See "pgshift up --help"." for the command in argv, else the general help. */
function seeHelp(command: string | undefined): string {
  return `See "pgshift ${command && isCommand(command) && !META.includes(command) ? `${command} ` : ''}--help".`;
}

type FlagOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

const FLAGS = SETTING_ROWS.filter((s) => s.flag);

/** `--version` takes a value only as history's filter; everywhere else it is the switch that prints pgshift's version. */
function flagOptions(versionFilter: boolean): FlagOptions {
  const options: FlagOptions = { help: { type: 'boolean', short: 'h' } };
  for (const s of FLAGS) options[s.flag!.slice(2)] = { type: s.arg ? 'string' : 'boolean', ...(s.short ? { short: s.short } : {}) };
  options.version = { type: versionFilter ? 'string' : 'boolean' };
  return options;
}

/**
 * Whether `--version` is history's filter here: the command is history and --version comes after it
 * (`pgshift history --version 20240101`). `pgshift --version`, `pgshift --version history` and
 * `pgshift up --version` keep printing pgshift's version. A loose first pass finds the command word.
 */
function versionIsFilter(argv: string[]): boolean {
  const { tokens } = parseArgs({ args: argv, allowPositionals: true, strict: false, tokens: true, options: flagOptions(false) });
  const command = tokens.find((t) => t.kind === 'positional');
  const version = tokens.find((t) => t.kind === 'option' && t.name === 'version');
  return command?.kind === 'positional' && command.value === 'history' && (!version || version.index > command.index);
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  let parsed;
  const versionFilter = versionIsFilter(argv);
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: flagOptions(versionFilter) });
  } catch (err) {
    const e = err as Error & { code?: string };
    const see = seeHelp(argv.find(isCommand));
    if (versionFilter && e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /--version/.test(e.message)) {
      throw new ConfigError(`--version after "pgshift history" takes the version whose rows to show: pgshift history --version 20240101 (pgshift --version prints pgshift's version). ${see}`);
    }
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /Unknown option '([^']+)'/.exec(e.message)?.[1] : undefined;
    if (unknown) {
      const hint = flagHint(unknown);
      throw new ConfigError(`unknown option ${unknown}${hint ? `: ${hint}` : ''}${hint?.endsWith('?') ? '' : '.'} ${see}`);
    }
    throw new ConfigError(`${e.message.replace(/\. To specify.*$/s, '')}. ${see}`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const [first, ...positionals] = parsed.positionals;
  if (first !== undefined && !isCommand(first)) throw unknownCommand(first);
  // The switch that prints pgshift's version is no setting: history's filter row must not read it.
  const printVersion = !versionFilter && v.version === true;
  if (!versionFilter) delete v.version;
  const given = new Set(FLAGS.filter((s) => v[s.flag!.slice(2)] !== undefined).map((s) => s.key as SettingKey));
  let command: Command;
  let topic: string | undefined;
  if (v.help) [command, topic] = ['help', first === 'help' ? positionals[0] : first];
  else if (printVersion) command = 'version';
  // --dry-run is adopt's and baseline's; alone, it is still someone looking for pgshift plan.
  else if (first === undefined && v['dry-run']) throw new ConfigError(`unknown option --dry-run: ${flagHint('--dry-run')}. ${seeHelp(undefined)}`);
  else if (first === undefined) return { command: 'help', positionals: [], settings: readSettings('cli', () => undefined), given, bare: true };
  else [command, topic] = [first, first === 'help' ? positionals[0] : undefined];
  if (topic !== undefined && !isCommand(topic)) throw unknownCommand(topic);
  if (!META.includes(command)) {
    // A flag the command does not read is a mistake (a typo'd command, a flag meant for another one).
    for (const s of FLAGS) {
      if (!given.has(s.key as SettingKey) || appliesTo(s, command)) continue;
      const plan = s.key === 'dryRun' ? ` (a dry run of up or down is a command of its own: "pgshift plan")` : '';
      throw new ConfigError(`${s.flag} does not apply to "pgshift ${command}": it is for ${inWords(s.commands!.filter(isCommand))}${plan}. See "pgshift ${command} --help".`);
    }
  }
  if (v.applied && v['rolled-back']) throw new ConfigError('pass either --applied or --rolled-back to resolve, not both.');
  const settings = readSettings('cli', (s) => {
    const value = s.flag ? v[s.flag.slice(2)] : undefined;
    // A given flag is parsed even when empty (`--lock-wait ''` is an error, not the default).
    if (typeof value === 'string') return value === '' ? ' ' : value;
    return value === true ? 'true' : undefined;
  });
  if (!v['database-url']) settings.databaseUrl = env.DATABASE_URL || '';
  if (!v.dir) settings.dir = `./${SETTINGS.dir.default}`;
  return { command, positionals: command === 'help' ? [] : positionals, settings, given, topic: topic && !META.includes(topic as Command) ? (topic as Command) : undefined };
}

function options(flags: readonly Setting<unknown>[] = FLAGS, general = true): string {
  const rows = flags.map((s) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}${s.flag}${s.arg ? ` ${s.arg}` : ''}`;
    const def = s.shown && s.shown !== 'false' && !/default/.test(s.help) ? ` (default ${s.shown})` : '';
    return `  ${left.padEnd(34)} ${s.help}${def}`;
  });
  return [...rows, `  ${'-h, --help'.padEnd(34)} this help`, ...(general ? [`  ${'    --version'.padEnd(34)} print the version`] : [])].join('\n');
}

export const HELP = `pgshift — safe, fast PostgreSQL schema migrations

Usage: pgshift <command> [options]
       pgshift <command> --help      what one command does, and the options it takes

Commands:
  up                    apply pending migrations (all, or --target / --steps)
  down                  roll back the last applied migration (--steps N, or --target V)
  status                list every migration: applied, pending, failed, modified or missing
  history               the audit log: every apply, rollback, resolve, repair, adopt and baseline, newest
                        first (--env, --version, --limit; read-only)
  plan [up|down]        dry run: what up/down would run, with its SQL and safety findings (read-only: no table, no lock)
  lint [paths...]       safety findings: of the given files or directories; with no path, of the pending
                        migrations when a database is given, else of every migration in --dir
  new <name>            write <UTC yyyymmddhhmmss>_<name>.sql with -- migrate:up / -- migrate:down
  resolve <version>     settle a failed non-transactional migration: --applied or --rolled-back
  repair <version>...   accept an applied migration's changed file: record its new checksum (--reason; --all)
  adopt --from <tool>   take over the history of dbmate, golang-migrate, goose, sql-migrate, flyway,
                        node-pg-migrate, prisma or supabase: record what it applied, without running it
  baseline <version>    a database with no history: record every migration up to <version> as applied
  verify                on a shadow database: each pending migration runs, its down restores the schema,
                        and it runs again (--shadow-url)
  dump                  the target's schema as deterministic text (--out); --from-migrations: what the
                        migrations produce on the shadow database
  drift                 the target's live schema against what its applied migrations produce on the shadow

Options:
${options()}

Protected environments (--env listed in --protected-environments, default production):
  a down needs --confirm MIGRATE-<ENV>; destructive findings refuse up unless --allow-destructive;
  error-level findings refuse it always. --policy additive-only refuses destructive statements anywhere.

On a terminal (stdin and stdout TTYs), a destructive up, a down of more than one migration and a down
--target 0 show what they would destroy and ask "Proceed? [y/N]" first; --yes runs without asking.
Without a terminal nothing is ever asked.

Settings from a file: DATABASE_URL (and any other variable) from ./.env, or --env-file <path>; the real
environment wins.

Migration files (decided per file):
  <version>_<name>.sql with -- migrate:up / -- migrate:down sections (dbmate; header may add transaction:false)
  <version>_<name>.up.sql with an optional <version>_<name>.down.sql
  V<version>__<name>.sql with an optional U<version>__<name>.sql (Flyway)
  <version>_<name>.sql with no markers: the whole file is the up migration (no down)

Exit codes:
  0  success
  1  a migration failed or lost its connection (rolled back, or marked failed/running until resolve); lint: an error-level finding
  2  usage or configuration error (bad flag, missing directory, database unreachable)
  3  validation or the safety policy refused the run (changed or missing applied file, out-of-order, parse error, a refused finding)
  4  the migration lock was not acquired within --lock-wait
`;

/** More than the one line of the Commands list, for the commands that need it. */
const DETAILS: Partial<Record<Command, string>> = {
  up: `On a terminal, an up with destructive findings shows the migrations, the findings and the rows the
dropped tables hold, then asks "Proceed? [y/N]" (--yes runs without asking; without a terminal nothing
is asked). It prints the safety findings of what it applied. In a protected environment the plan is
printed first, and destructive findings refuse the run unless --allow-destructive.`,
  down: `On a terminal, a down of more than one migration, or to --target 0, shows what it rolls back and the
rows the dropped tables hold, then asks "Proceed? [y/N]" (--yes runs without asking; without a
terminal nothing is asked). In a protected environment it needs --confirm MIGRATE-<ENV>.`,
  plan: `Exits 3 when the run would be refused. Without a database, every migration in --dir is treated as pending.
It takes the flags of up and down, so one set of flags serves the plan and the run; those about running
(locks, timeouts) change nothing in a plan.`,
  status: 'Needs a database. With --exit-code, exits 3 when an applied migration is modified, missing, failed or running, else 1 when anything is pending.',
  repair: `For an applied migration whose file changed on purpose (whitespace, comments, a fix already applied
by hand): under the migration lock, records the file's current checksum and a migration_history row
(action repair) with --reason, the old and the new checksum, and who ran it. --reason is required. A
version whose file matches says so and writes nothing; a missing file cannot be repaired. --all lists
every changed applied migration first and asks on a terminal; without one it refuses unless --yes.`,
  adopt: `Reads the other tool's history table as that tool reads it, matches each migration it applied to
its file (by version, or by file or folder name where the tool keys by name), and records them in
schema_migrations as applied, with the files' current checksums and a migration_history row (action
adopt): in one transaction, under the migration lock. A migration the tool recorded as failed is recorded
failed (settle it with pgshift resolve); a dirty golang-migrate version or an unfinished Prisma migration
refuses, with how to settle it. A migration with no file refuses unless --allow-missing. The other tool's
rows are left as they are, so you can go back; golang-migrate's schema_migrations is renamed
golang_migrate_schema_migrations. Once done, adopting again does nothing. --dry-run writes nothing.`,
  baseline: `For a database whose schema is already in place but has no history (pgshift's or another tool's):
records every migration up to and including <version> as applied without running it (migration_history
action baseline), under the migration lock. Refused when schema_migrations already has rows. With
--shadow-url it is proven first: the migrations up to <version> are replayed on a shadow database and
must give the live schema, or the baseline is refused with the differences. --dry-run writes nothing.`,
  history: `Reads migration_history, newest first: when (UTC), version, name, action (apply, rollback, resolve,
repair, adopt, baseline), status (success or failed), environment, who ran it, how long it took, and its
note (a failure's error, or why a resolve, repair, adopt or baseline was recorded; first line). Read-only:
it takes no lock and creates nothing; a database where no pgshift run has written yet has no history
(exit 0; --json prints []). --env and --version filter only when given ("001" and "1" are one version).`,
  lint: 'Exits 1 on an error-level finding. Rules and their settings: docs/rules.md.',
  verify: `Makes a fresh database pgshift_shadow_<random> on the --shadow-url server (dropped at the end, also on
SIGINT/SIGTERM), applies the migrations the target already has (none without --database-url), then for
each pending migration: up, down (the schema must be as before the up), up again (as after the first).
One line per migration: verified, up-failed, down-failed, down-mismatch (with what differs),
reapply-failed, no-down or skipped. Exits 0 when every migration is verified (or has no down and
--allow-no-down is given), 1 otherwise.`,
  dump: `Prints the schema as pgshift's model reads it from the catalogs: one object per block, sorted, the
same bytes for the same schema. Owners only with --include-owners; pgshift's tracking tables never.
With --from-migrations, the schema the migrations directory produces on a shadow database (--shadow-url).`,
  drift: `Replays the target's applied migrations on a shadow database (--shadow-url) and compares the result
with the target's live schema. Exits 0 when they match, 1 on drift, listing each difference.`,
  new: 'A file made in the same second as an existing version takes the next free second.',
};

/** Each command's line of the Commands list in HELP: its usage ("plan [up|down]") and what it does. */
function commandLines(): Map<string, { usage: string; about: string }> {
  const section = HELP.slice(HELP.indexOf('Commands:\n') + 'Commands:\n'.length, HELP.indexOf('\n\nOptions:'));
  const lines = new Map<string, { usage: string; about: string }>();
  let last: { usage: string; about: string } | undefined;
  for (const line of section.split('\n')) {
    const m = /^ {2}(\S.*?)\s{2,}(\S.*)$/.exec(line);
    if (m) lines.set(m[1].split(' ')[0], (last = { usage: m[1], about: m[2] }));
    else if (last && line.trim()) last.about += ' ' + line.trim();
  }
  return lines;
}

/** `pgshift <command> --help`: its usage, what it does, and the options that apply to it (from the settings rows). */
export function commandHelp(command: Command): string {
  const line = commandLines().get(command);
  const about = line ? line.about[0].toUpperCase() + line.about.slice(1) + '.' : '';
  const details = DETAILS[command];
  return [
    `Usage: pgshift ${line?.usage ?? command} [options]`,
    '',
    about,
    ...(details ? ['', details] : []),
    '',
    'Options:',
    options(
      FLAGS.filter((s) => appliesTo(s, command)),
      false,
    ),
    '',
    'Every command, the exit codes and the migration file forms: pgshift --help',
  ].join('\n');
}
