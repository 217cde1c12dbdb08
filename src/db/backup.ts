// The backup before a deploy: pg_dump in custom format, written under a hidden name and renamed into
// place only once pg_dump succeeded and pg_restore can read it back. pg_dump runs as a child process
// with an argument list (never a shell); the password goes to it through PGPASSWORD only, so that it
// shows in no process list, log or file name.
import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import postgres from 'postgres';
import { AbortedError, BackupError, ConfigError } from '../errors';
import type { Redactor } from '../report/redact';
import { nameOf } from '../settings';
import type { BackupReport } from '../types';
import type { ReservedSql, Sql } from './connect';

export interface PgDumpTool {
  path: string;
  /** The pg_restore beside it (same directory), else the one on PATH: it checks every archive. */
  restorePath: string;
  /** As it names itself: "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)". */
  version: string;
  major: number;
  /**
   * The environment it was found in, and runs with (HOME for ~/.pgpass and TLS certificates, PGSSL…):
   * pgshift's own, as the shell passed it to findPgDump. Absent: pg_dump gets an empty one.
   */
  env?: NodeJS.ProcessEnv;
}

type Queryable = Sql | ReservedSql;

/** The server's major version (15 for 15.18). */
export async function serverMajor(sql: Queryable): Promise<number> {
  const [{ major }] = await sql.unsafe<{ major: number }[]>(`select current_setting('server_version_num')::int / 10000 as major`);
  return Number(major);
}

/** Where Debian and Ubuntu (apt.postgresql.org included) install each major's client side by side. */
const DEBIAN_CLIENTS = '/usr/lib/postgresql';

async function executable(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in the PATH's directories (empty entries, "the current folder", are skipped on purpose). */
async function onPath(name: string, pathVar: string | undefined): Promise<string | undefined> {
  const names = process.platform === 'win32' ? [`${name}.exe`, name] : [name];
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const n of names) if (await executable(join(dir, n))) return resolve(dir, n);
  }
  return undefined;
}

/** The newest pg_dump installed under /usr/lib/postgresql/<major>/bin that can dump this server. */
async function installedFor(serverMajor: number): Promise<{ major: number; path: string } | undefined> {
  let majors: number[];
  try {
    majors = (await readdir(DEBIAN_CLIENTS))
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .sort((a, b) => b - a);
  } catch {
    return undefined;
  }
  for (const major of majors) {
    const path = join(DEBIAN_CLIENTS, String(major), 'bin', 'pg_dump');
    if (major >= serverMajor && (await executable(path))) return { major, path };
  }
  return undefined;
}

/** The way out, for every refusal: install the matching client, or deploy without a backup. */
async function fixFor(serverMajor: number): Promise<string> {
  const flag = nameOf('pgDump', 'cli');
  const installed = await installedFor(serverMajor);
  const already = installed ? ` A pg_dump ${installed.major} is already installed here: pass ${flag} ${installed.path}.` : '';
  return (
    `${already} On GitHub's Ubuntu runners, install the client that matches the server: ` +
    `sudo apt-get install -y postgresql-common && sudo /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y && sudo apt-get install -y postgresql-client-${serverMajor}, ` +
    `then pass ${flag} /usr/lib/postgresql/${serverMajor}/bin/pg_dump. Or pass ${nameOf('backup', 'cli')} none to deploy without a backup.`
  );
}

function versionText(path: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(path, ['--version'], { env, timeout: 15_000, windowsHide: true }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message.trim()}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
      else resolvePromise(stdout.trim());
    });
  });
}

/**
 * The pg_dump a backup runs: `path` when given (--pg-dump), else pg_dump on env.PATH; pg_restore beside
 * it, else on PATH. Refused (ConfigError, with the fix) when there is none, it does not run, or it is
 * older than the server: pg_dump refuses to dump a server of a newer major. A new-enough pg_dump found
 * under /usr/lib/postgresql is named in the message, never picked silently: which client writes a
 * production backup is the user's choice.
 */
export async function findPgDump(o: { path?: string; serverMajor: number; env?: NodeJS.ProcessEnv }): Promise<PgDumpTool> {
  const env = o.env ?? {};
  const flag = nameOf('pgDump', 'cli');
  const need = `a backup needs pg_dump ${o.serverMajor} or newer (the server is Postgres ${o.serverMajor})`;
  let path: string;
  if (o.path) {
    path = resolve(o.path);
    if (!(await executable(path))) {
      const what = await stat(path).then(
        (s) => (s.isFile() ? 'is not executable' : 'is not a file'),
        () => 'does not exist',
      );
      throw new ConfigError(`${flag} ${o.path}: ${path} ${what}; ${need}.${await fixFor(o.serverMajor)}`);
    }
  } else {
    const found = await onPath('pg_dump', env.PATH);
    if (!found) throw new ConfigError(`no pg_dump on PATH (${env.PATH ? env.PATH : 'PATH is empty'}): ${need}.${await fixFor(o.serverMajor)}`);
    path = found;
  }
  let version: string;
  try {
    version = await versionText(path, env);
  } catch (err) {
    throw new ConfigError(`${path} cannot run (${(err as Error).message}): ${need}.${await fixFor(o.serverMajor)}`);
  }
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(version);
  if (!m) throw new ConfigError(`${path} --version printed "${version.slice(0, 200)}", not pg_dump's version: ${need}.${await fixFor(o.serverMajor)}`);
  const major = Number(m[1]);
  if (major < o.serverMajor) {
    throw new ConfigError(
      `${path} is pg_dump ${major} ("${version}"), older than the server (Postgres ${o.serverMajor}): pg_dump refuses to dump a newer server, so ${need}.${await fixFor(o.serverMajor)}`,
    );
  }
  const beside = join(dirname(path), process.platform === 'win32' && path.endsWith('.exe') ? 'pg_restore.exe' : 'pg_restore');
  const restorePath = (await executable(beside)) ? beside : await onPath('pg_restore', env.PATH);
  if (!restorePath) {
    throw new ConfigError(
      `no pg_restore beside ${path} nor on PATH: pgshift checks every backup with pg_restore --list (it comes in the same client package as pg_dump).${await fixFor(o.serverMajor)}`,
    );
  }
  return { path, restorePath, version, major, env: o.env };
}

/** libpq's connection parameters: those a URL may carry for pg_dump (anything else, libpq refuses). */
const LIBPQ = new Set([
  'host',
  'hostaddr',
  'port',
  'dbname',
  'user',
  'passfile',
  'channel_binding',
  'connect_timeout',
  'client_encoding',
  'options',
  'application_name',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'gssencmode',
  'sslmode',
  'requiressl',
  'sslcompression',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslcertmode',
  'sslrootcert',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'requirepeer',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'service',
  'target_session_attrs',
  'load_balance_hosts',
  'require_auth',
]);
/** postgres.js's own options, which it reads from the URL and does not send to the server. */
const POSTGRES_JS = new Set(['ssl', 'sslnegotiation', 'max', 'idle_timeout', 'max_lifetime', 'max_pipeline', 'backoff', 'keep_alive', 'prepare', 'no_prepare', 'debug', 'fetch_types', 'publications']);

/** A value inside libpq's `options` (split on spaces, backslash escapes). */
const optionValue = (s: string) => s.replace(/\\/g, '\\\\').replace(/ /g, '\\ ');

/**
 * The URL pgshift connects with, as pg_dump's --dbname: the same host, port, user, database and libpq
 * parameters, without the password, which comes back separately for PGPASSWORD (from user:password@,
 * else from a `password` parameter). postgres.js's spellings become libpq's: `ssl` becomes sslmode, and
 * the server settings it sends from unknown parameters (search_path, statement_timeout …) go as -c in `options`.
 */
export function pgDumpConnection(databaseUrl: string): { dbname: string; password?: string } {
  let u: URL;
  try {
    u = new URL(databaseUrl);
  } catch {
    throw new ConfigError('the database URL is not a valid URL: use postgres://user:password@host:5432/database.');
  }
  if (!/^postgres(ql)?:$/i.test(u.protocol)) throw new ConfigError('the database URL must start with postgres:// or postgresql://.');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const params = [...u.searchParams];
  // As postgres.js and resolveCredentials read it: the user-info password wins over the parameter.
  const password = (u.password ? decode(u.password) : undefined) || params.find(([k]) => k === 'password')?.[1] || undefined;
  const out: [string, string][] = [];
  const settings: string[] = [];
  for (const [k, v] of params) {
    if (k === 'password') continue;
    if (LIBPQ.has(k)) out.push([k, v]);
    else if (!POSTGRES_JS.has(k)) settings.push(`-c ${optionValue(`${k}=${v}`)}`);
  }
  const ssl = u.searchParams.get('ssl');
  if (ssl !== null && !u.searchParams.has('sslmode')) {
    // postgres.js: disable/false is no TLS, require/allow/prefer encrypt without verifying, anything else verifies.
    const mode = ['disable', 'false'].includes(ssl) ? 'disable' : ['require', 'allow', 'prefer', 'verify-ca', 'verify-full'].includes(ssl) ? ssl : 'verify-full';
    out.push(['sslmode', mode]);
  }
  if (settings.length) {
    const given = out.findIndex(([k]) => k === 'options');
    if (given >= 0) out[given] = ['options', `${out[given][1]} ${settings.join(' ')}`];
    else out.push(['options', settings.join(' ')]);
  }
  // Percent-encoded by hand: URLSearchParams writes a space as "+", which libpq reads as a plus sign.
  const query = out.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const userinfo = u.username ? `${u.username}@` : '';
  return { dbname: `${u.protocol}//${userinfo}${u.host}${u.pathname}${query ? `?${query}` : ''}`, password };
}

/** `"schema"."table"`: a pg_dump pattern in which every character is literal (double quotes doubled). */
export function literalPattern(schema: string, table: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return `${q(schema)}.${q(table)}`;
}

/** 20250102T030405Z. */
function utcStamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** A label fit for a file name: lower-case letters, digits and dashes; never a secret. */
function safeLabel(label: string, redactor: Redactor): string {
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 48)
    .replace(/-$/, '');
  const secret = redactor.redact(label) !== label || redactor.values.some((s) => clean.includes(s.toLowerCase()));
  return clean && !secret ? clean : 'db';
}

/** Quotes a path for a POSIX shell when it needs it. */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * How to bring the archive back, with "$DATABASE_URL" for the URL (it holds the password).
 *
 * full: over the live database, object by object (--clean --if-exists drops each before recreating it).
 *
 * auto: into a new scratch database on the same server, from which the user copies back what the run
 * destroyed (a dropped column's values, a table's rows). Never over the live database with --clean: the
 * archive holds every table's definition but only some tables' rows, so --clean would drop and recreate
 * every table and leave all the others empty. The scratch database's URL is $DATABASE_URL with its path
 * replaced (sed keeps the user, password, host, port and parameters such as sslmode or a socket's host=).
 */
function restoreCommandFor(mode: 'auto' | 'full', file: string, scratch: string): string {
  const f = shellQuote(file);
  if (mode === 'full') return `pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" ${f}`;
  const url = `"$(printf '%s' "$DATABASE_URL" | sed -E 's#^([^:/?]+://[^/?]*)(/[^?]*)?#\\1/${scratch}#')"`;
  return `createdb --maintenance-db "$DATABASE_URL" ${scratch} && pg_restore --no-owner --dbname ${url} ${f}`;
}

interface TableRow {
  schema: string;
  name: string;
  kind: string;
  qualified: string;
  /** Named in dataTables (resolved), not merely a partition or child of one. */
  asked: boolean;
  /** Its rows go in the archive: asked, or a partition or inheritance child of one asked (whose rows the run reaches too). */
  keep: boolean;
  /** Belongs to an extension: pg_dump leaves it to CREATE EXTENSION. */
  extension: boolean;
}

/** Every user table (and materialized view), with which ones the archive must hold the rows of. */
async function listTables(sql: Queryable, dataTables: string[]): Promise<TableRow[]> {
  const rows = await sql.unsafe<TableRow[]>(
    `with recursive asked(oid) as (
        select to_regclass(t.name)::oid from json_array_elements_text($1::text::json) t(name) where to_regclass(t.name) is not null),
      keep(oid) as (
        select oid from asked
        union
        select i.inhrelid from pg_inherits i join keep k on i.inhparent = k.oid)
      select n.nspname as schema, c.relname as name, c.relkind::text as kind,
        quote_ident(n.nspname) || '.' || quote_ident(c.relname) as qualified,
        c.oid in (select oid from asked) as asked,
        c.oid in (select oid from keep) as keep,
        exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e') as extension
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'm') and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
      order by 1, 2`,
    [JSON.stringify(dataTables)],
  );
  return [...rows];
}

/** The catalog, read on `sql` when the caller has a session, else on a short connection of its own. */
async function withCatalog<T>(databaseUrl: string, sql: Queryable | undefined, redactor: Redactor, fn: (sql: Queryable) => Promise<T>): Promise<T> {
  if (sql) return fn(sql);
  const u = new URL(databaseUrl);
  const password = pgDumpConnection(databaseUrl).password;
  // postgres.js would send a `password` parameter to the server as a setting.
  u.searchParams.delete('password');
  const own = postgres(u.toString(), { max: 1, onnotice: () => {}, fetch_types: false, connect_timeout: 30, ...(password ? { password } : {}) }) as unknown as Sql;
  try {
    return await fn(own);
  } catch (err) {
    throw new BackupError(redactor.redact(`the backup could not read the list of tables: ${(err as Error)?.message ?? String(err)}`));
  } finally {
    await own.end({ timeout: 1 }).catch(() => {});
  }
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The tail of an output that may be long: what a message shows. */
const KEEP = 64 * 1024;
const tail = (s: string) => (s.length > KEEP ? `…${s.slice(-KEEP)}` : s);

/** Runs a client program (no shell), killed on abort; resolves once it has exited and closed its files. */
function run(path: string, args: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(path, args, { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = tail(stdout + d.toString())));
    child.stderr.on('data', (d: Buffer) => (stderr = tail(stderr + d.toString())));
    let aborted = false;
    let killer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      aborted = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killer);
    };
    child.on('error', (err) => {
      done();
      reject(err);
    });
    child.on('close', (code, sig) => {
      done();
      if (aborted) reject(new AbortedError('interrupted while taking the backup: pg_dump was stopped and its partial archive removed'));
      else resolvePromise({ code, signal: sig, stdout, stderr });
    });
  });
}

/** The TOC entries of `pg_restore --list` (the lines that are not comments). */
function tocEntries(list: string): string[] {
  return list.split(/\r?\n/).filter((l) => /^\d+;/.test(l));
}

/** Whether the list holds the rows of schema.table: "1234; 0 16390 TABLE DATA public users owner". */
function holdsData(entries: string[], schema: string, table: string): boolean {
  // pg_restore prints names raw, newlines turned into spaces.
  const want = `${schema} ${table}`.replace(/[\r\n]/g, ' ');
  return entries.some((l) => {
    const m = /^\d+; \d+ \d+ TABLE DATA (.*)$/.exec(l);
    return !!m && (m[1] === want || m[1].startsWith(`${want} `));
  });
}

export interface TakeBackupOptions {
  tool: PgDumpTool;
  databaseUrl: string;
  /** auto: the whole schema, and the rows of dataTables only; full: everything. */
  mode: 'auto' | 'full';
  /** For auto: the tables whose rows the archive holds, qualified and quoted as backupTables returns them. */
  dataTables: string[];
  /** The folder the archive is written to (created when missing). */
  dir: string;
  /** Part of the file name, e.g. the environment: sanitized to [a-z0-9-]. */
  label: string;
  redactor: Redactor;
  signal?: AbortSignal;
  now?: Date;
  /** A session on the same database to read the catalog on (a deploy's); absent: a short connection of its own. */
  sql?: Queryable;
}

/**
 * Writes a pg_dump archive (custom format) of the database, checks it with pg_restore --list, and
 * reports it. On any failure nothing is left in `dir` and a BackupError says what pg_dump said
 * (redacted) and the fix; an abort stops pg_dump and removes its partial file.
 */
export async function takeBackup(o: TakeBackupOptions): Promise<BackupReport> {
  const started = Date.now();
  o.redactor.addUrl(o.databaseUrl);
  const aborted = () => new AbortedError('interrupted before the backup was written: nothing was dumped');
  if (o.signal?.aborted) throw aborted();
  const { dbname, password } = pgDumpConnection(o.databaseUrl);
  o.redactor.add(password);
  const env: NodeJS.ProcessEnv = { ...(o.tool.env ?? {}) };
  // The password, and only it, travels outside the URL; without one, libpq's own sources (an inherited
  // PGPASSWORD, ~/.pgpass) still apply, as they did for pgshift's connection.
  if (password) env.PGPASSWORD = password;
  const none = `${nameOf('backup', 'cli')} none`;

  const tables = await withCatalog(o.databaseUrl, o.sql, o.redactor, (sql) => listTables(sql, o.mode === 'auto' ? o.dataTables : []));
  if (o.signal?.aborted) throw aborted();
  const userTables = tables.filter((t) => !t.extension && t.kind !== 'm');
  const dataTables = o.mode === 'full' ? userTables.map((t) => t.qualified) : tables.filter((t) => t.asked).map((t) => t.qualified);
  // The tables whose TABLE DATA entry the archive must show (a partitioned table has none: its partitions do).
  const mustHold = o.mode === 'full' ? userTables.filter((t) => t.kind === 'r') : tables.filter((t) => t.keep && t.kind === 'r');

  const args = ['--format=custom', '--no-password'];
  if (o.mode === 'auto') {
    if (!tables.some((t) => t.keep)) args.push('--schema-only');
    else for (const t of tables) if (!t.keep) args.push(`--exclude-table-data=${literalPattern(t.schema, t.name)}`);
  }

  const dir = resolve(o.dir);
  await mkdir(dir, { recursive: true });
  const stamp = utcStamp(o.now ?? new Date());
  const base = `pgshift-backup-${safeLabel(o.label, o.redactor)}-${stamp}`;
  // Two backups in the same second (another environment, a retry) never share a file.
  let name = `${base}.dump`;
  for (let i = 2; await exists(join(dir, name)); i++) name = `${base}-${i}.dump`;
  const file = join(dir, name);
  const partial = join(dir, `.${name}.partial`);
  args.push('--file', partial, '--dbname', dbname);

  let renamed = false;
  try {
    // Created first, owner-only: the archive holds the database's rows, and pg_dump keeps the mode.
    await rm(partial, { force: true });
    await (await open(partial, 'wx', 0o600)).close();
    const dump = await run(o.tool.path, args, env, o.signal);
    if (dump.code !== 0) {
      const said = dump.stderr.trim() || dump.stdout.trim() || 'nothing on stderr';
      throw new BackupError(
        o.redactor.redact(
          `the backup failed: ${o.tool.path} exited with ${dump.code !== null ? `code ${dump.code}` : `signal ${dump.signal}`}: ${said}\nNothing was written to ${dir}. Fix what pg_dump says (its role needs SELECT on every table it dumps, and on sequences), or pass ${none} to deploy without a backup.`,
        ),
      );
    }
    await rename(partial, file);
    renamed = true;
    const list = await run(o.tool.restorePath, ['--list', file], env, o.signal);
    if (list.code !== 0) {
      throw new BackupError(
        o.redactor.redact(
          `the backup was written but pg_restore cannot read it (${o.tool.restorePath} --list exited with code ${list.code}): ${list.stderr.trim() || 'nothing on stderr'}\nThe archive was removed. Pass ${none} to deploy without a backup.`,
        ),
      );
    }
    const entries = tocEntries(list.stdout);
    const missing = mustHold.filter((t) => !holdsData(entries, t.schema, t.name)).map((t) => t.qualified);
    if (missing.length) {
      throw new BackupError(
        `the backup does not hold the rows of ${missing.join(', ')} (pg_restore --list shows no TABLE DATA entry for ${missing.length === 1 ? 'it' : 'them'}): the archive was removed. Pass ${none} to deploy without a backup.`,
      );
    }
    const { size } = await stat(file);
    const scratch = `pgshift_restore_${stamp.toLowerCase()}`;
    return {
      mode: o.mode,
      file,
      bytes: size,
      dataTables,
      entries: entries.length,
      tool: o.tool.version,
      restoreCommand: restoreCommandFor(o.mode, file, scratch),
      durationMs: Date.now() - started,
    };
  } catch (err) {
    await rm(partial, { force: true }).catch(() => {});
    if (renamed) await rm(file, { force: true }).catch(() => {});
    if (err instanceof BackupError || err instanceof AbortedError) throw err;
    // The program could not start (ENOENT, EACCES) or a file operation failed.
    throw new BackupError(o.redactor.redact(`the backup failed: ${(err as Error)?.message ?? String(err)}. Pass ${none} to deploy without a backup.`));
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
