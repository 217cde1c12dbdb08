// `adopt --from <tool>`: takes over a database another migration tool has been migrating. Its history
// table is read as that tool reads it, each applied migration is matched to its file (by version where
// the tool keys by version, by file or folder name where it keys by name), and recorded in pgshift's
// tables as applied without running it, with the file's current checksum and a history row `adopt`:
// one transaction, under the migration lock. The other tool's rows are left as they are, so a team can
// go back; golang-migrate's table, which has pgshift's name, is renamed in that transaction.
import { basename, dirname } from 'node:path';
import type { ReservedSql, Sql } from '../db/connect';
import { GOLANG_RENAMED, flywayChecksum, locate, otherTools, qualified, READERS, shownTable, whereLooked, type ForeignEntry, type FoundTable, type ToolId } from '../db/adopt';
import type { RecordedMigration, Tracking } from '../db/tracking';
import { ConfigError } from '../errors';
import { readFileSync } from 'node:fs';
import type { Catalog } from '../files/catalog';
import { compareVersions, versionId } from '../files/version';
import { SETTINGS } from '../settings';
import type { EngineEvent, MigrationFile } from '../types';
import type { Sink } from '../report/sink';
import { stoppedDeploy, type DeployRequest } from './deploy';
import type { Outcome } from './outcome';
import type { AssumedMigration } from './plan';
import { defaultActor, withLock, withSession, type SessionOptions } from './session';

export { TOOLS, type ToolId } from '../db/adopt';

export interface AdoptOptions extends SessionOptions {
  from: ToolId;
  /** Say what would be recorded; write nothing. */
  dryRun?: boolean;
  /** Record the other tool's migrations whose files are gone, instead of refusing. */
  allowMissing?: boolean;
  environment?: string;
  actor?: string;
}

/** One migration adoption records (or, in a dry run, would record). */
export interface AdoptedMigration {
  version: string;
  name: string;
  status: 'applied' | 'failed';
  /** The file it was matched to; absent for a missing one (--allow-missing). */
  path?: string;
  /** For a failed one: what the other tool recorded. */
  note?: string;
}

export interface AdoptReport {
  tool: ToolId;
  /** The other tool's table, as found (golang-migrate's: its name after adoption). */
  table: string;
  dryRun: boolean;
  /** An earlier adoption from this tool is on record: nothing was read or written. */
  alreadyAdopted: boolean;
  /** Recorded (or would be), in version order. */
  adopted: AdoptedMigration[];
  /** Keys in the other tool's table with no file (recorded only with --allow-missing). */
  missing: string[];
  /** Flyway repeatables whose file changed since Flyway ran them: left pending, so up runs them again. */
  rerun: string[];
  /** Versions pgshift had already recorded: left as they were. */
  kept: string[];
  /** What else was done, and how to go back. */
  notes: string[];
}

/** The note on each history row adoption writes; also how a later run knows it was done. */
const adoptedNote = (tool: ToolId, table: string) => `adopted from ${tool} ${table}`;

/** The names a tool keying by name may know a file by: its file name, without `.sql`, and a Prisma folder's name. */
function nameKeys(file: MigrationFile): string[] {
  const base = basename(file.upPath);
  const keys = [base, base.replace(/\.sql$/i, '')];
  if (base === 'migration.sql') keys.push(basename(dirname(file.upPath)));
  return keys;
}

/** What a person reads first when an adoption is refused or recorded: the table and the tool. */
function tableOf(t: FoundTable, tool: ToolId): string {
  return tool === 'golang-migrate' && t.name === 'schema_migrations' ? `${t.schema}.${GOLANG_RENAMED}` : shownTable(t);
}

/** How to go back to the other tool, and what became of its table. */
function wayBack(tool: ToolId, t: FoundTable, schema: string): string[] {
  if (tool === 'golang-migrate') {
    const renamed = `${t.schema}.${GOLANG_RENAMED}`;
    return [
      `golang-migrate's table is now ${renamed} (its row untouched): pgshift's own tables take the name ${schema}.schema_migrations. golang-migrate keeps working against it with ?x-migrations-table=${GOLANG_RENAMED} in its database URL.`,
      `To go back: drop pgshift's ${schema}.schema_migrations and ${schema}.migration_history, then ALTER TABLE ${renamed} RENAME TO schema_migrations; ALTER TABLE ${t.schema}.schema_migrations RENAME CONSTRAINT ${GOLANG_RENAMED}_pkey TO schema_migrations_pkey;`,
    ];
  }
  if (tool === 'dbmate') {
    return [
      `dbmate's ${shownTable(t)} is now pgshift's: its rows are kept, with pgshift's columns added. dbmate still reads it, but cannot insert into it (the new columns are NOT NULL).`,
      `To go back: ALTER TABLE ${shownTable(t)} DROP COLUMN name, DROP COLUMN checksum, DROP COLUMN status, DROP COLUMN applied_at, DROP COLUMN execution_time_ms, DROP COLUMN error_message, DROP COLUMN applied_by; and drop ${schema}.migration_history.`,
    ];
  }
  return [
    `${shownTable(t)} is left as it was, so ${tool} can take over again: drop pgshift's ${schema}.schema_migrations and ${schema}.migration_history to go back. pgshift does not read ${shownTable(t)} again: a migration ${tool} applies from now on is not seen by pgshift.`,
  ];
}

/** Renames golang-migrate's table (and its primary key) out of the way of pgshift's schema_migrations. */
async function moveGolangTable(tx: ReservedSql, t: FoundTable): Promise<void> {
  await tx.unsafe(`alter table ${qualified(t)} rename to ${GOLANG_RENAMED}`);
  const moved = qualified({ schema: t.schema, name: GOLANG_RENAMED });
  const [pk] = await tx.unsafe<{ name: string }[]>(`select conname::text as name from pg_constraint where conrelid = $1::regclass and contype = 'p'`, [moved]);
  // Its primary key's index would take the name pgshift's table needs for its own.
  if (pk?.name === 'schema_migrations_pkey') await tx.unsafe(`alter table ${moved} rename constraint schema_migrations_pkey to ${GOLANG_RENAMED}_pkey`);
}

interface Matched {
  entry: ForeignEntry;
  file?: MigrationFile;
}

/** Each entry of the other tool with its file, by version or by name. */
function match(catalog: Catalog, entries: ForeignEntry[]): Matched[] {
  const byName = new Map<string, MigrationFile>();
  for (const f of catalog.files) for (const k of nameKeys(f)) if (!byName.has(k)) byName.set(k, f);
  return entries.map((entry) => ({ entry, file: entry.by === 'version' ? catalog.find(entry.key) : byName.get(entry.key) }));
}

/** The version a file-less entry is recorded under (--allow-missing): its key, or a name's leading number. */
function missingVersion(entry: ForeignEntry): { version: string; name: string } | undefined {
  if (entry.by === 'version') return { version: entry.key, name: '' };
  const m = /^(\d+)(?:_(.*?))?(?:\.sql)?$/i.exec(entry.key);
  return m ? { version: m[1], name: m[2] ?? '' } : undefined;
}

function describeList(keys: string[]): string {
  return keys.length > 10 ? `${keys.slice(0, 10).join(', ')} and ${keys.length - 10} more` : keys.join(', ');
}

/** Reads the other tool's history and decides, under the lock, what to record; writes unless a dry run. */
async function adoptLocked(o: AdoptOptions, catalog: Catalog, tracking: Tracking, sql: ReservedSql): Promise<AdoptReport> {
  const tool = o.from;
  const schema = tracking.schema;
  const table = await locate(sql, tool, schema);
  const base = { tool, dryRun: !!o.dryRun, adopted: [], missing: [], rerun: [], kept: [], notes: [] };
  if (!table) {
    // dbmate's table, once adopted, is pgshift's own: there is nothing left to take over.
    const columns = await tracking.columns(sql);
    if (tool === 'dbmate' && columns?.includes('checksum')) {
      return { ...base, table: `${schema}.schema_migrations`, alreadyAdopted: true, notes: [`${schema}.schema_migrations is already pgshift's (adopted from dbmate earlier).`] };
    }
    throw new ConfigError(
      `no ${tool} history table was found: pgshift looked for ${whereLooked(tool, schema)}. Check that --database-url is the database ${tool} migrated${READERS[tool].schema ? '' : ', and --schema the schema its table is in'}.`,
    );
  }
  const shown = tableOf(table, tool);
  if (await tracking.hasHistory(sql, 'adopt', `${adoptedNote(tool, '')}`)) {
    return { ...base, table: shown, alreadyAdopted: true, notes: [`${tool}'s history was adopted before (see migration_history, action adopt): nothing to do.`] };
  }
  const blocking = catalog.nameProblems.filter((p) => p.blocking);
  if (blocking.length) throw new ConfigError(`the migrations directory must be fixed before adopting:\n${blocking.map((p) => `  - ${p.message}`).join('\n')}`);

  const history = await READERS[tool].read(sql, table, { versions: catalog.files.map((f) => f.version) });
  if (history.refusal) throw new ConfigError(history.refusal);

  // dbmate's table and golang-migrate's (before its rename) are where pgshift's rows would be: none yet.
  const shared = tool === 'dbmate' || (tool === 'golang-migrate' && table.name === 'schema_migrations');
  const ours = shared ? [] : (await tracking.read(sql)).rows;
  const known = new Set(ours.map((r) => versionId(r.version)));

  const matched = match(catalog, history.entries);
  if (history.upTo) {
    const upTo = history.upTo;
    const listed = new Set(matched.filter((m) => m.file).map((m) => m.file!));
    for (const f of catalog.files) {
      if (compareVersions(f.version, upTo.version) <= 0 && !listed.has(f)) matched.push({ entry: { key: f.version, by: 'version', state: 'applied', note: upTo.why }, file: f });
    }
    // golang-migrate's current version is a migration it ran: its file must be there.
    if (tool === 'golang-migrate' && !catalog.find(upTo.version)) matched.push({ entry: { key: upTo.version, by: 'version', state: 'applied' } });
  }

  const report: AdoptReport = { ...base, table: shown, alreadyAdopted: false };
  const rows: RecordedMigration[] = [];
  const modified: string[] = [];
  const note = adoptedNote(tool, shown);
  for (const { entry, file } of matched) {
    if (!file) {
      report.missing.push(entry.key);
      continue;
    }
    if (known.has(versionId(file.version))) {
      report.kept.push(file.version);
      continue;
    }
    const checksum = catalog.checksum(file);
    if (checksum === undefined) {
      const err = catalog.load(file);
      throw new ConfigError(`migration ${file.version} cannot be adopted: ${(err as Error).message}`);
    }
    if (entry.flywayChecksum !== undefined && entry.flywayChecksum !== null && entry.state === 'applied') {
      const now = flywayChecksum(readFileSync(file.upPath, 'utf8'));
      if (now !== entry.flywayChecksum) {
        // Flyway runs a changed repeatable again; a changed versioned script fails Flyway's validate.
        if (entry.repeatable) report.rerun.push(entry.key);
        else modified.push(`${file.version} (${basename(file.upPath)}: Flyway checksum ${entry.flywayChecksum}, the file's now ${now})`);
        continue;
      }
    }
    rows.push({ version: file.version, name: file.name, checksum, status: entry.state, errorMessage: entry.state === 'failed' ? (entry.note ?? null) : null, note });
    report.adopted.push({ version: file.version, name: file.name, status: entry.state, path: file.upPath, note: entry.state === 'failed' ? entry.note : undefined });
  }
  if (modified.length) {
    throw new ConfigError(
      `${modified.length === 1 ? 'a migration' : `${modified.length} migrations`} changed after Flyway applied ${modified.length === 1 ? 'it' : 'them'}: ${modified.join(', ')}. Flyway's validate would refuse this too. Restore the file${modified.length === 1 ? '' : 's'} as applied (from version control), or, if the change alters nothing that ran, accept the current file${modified.length === 1 ? '' : 's'} with "flyway repair"; then adopt again. Nothing was written.`,
    );
  }
  if (report.missing.length) {
    if (!o.allowMissing) {
      throw new ConfigError(
        `${report.missing.length === 1 ? 'a migration' : `${report.missing.length} migrations`} that ${tool} applied ${report.missing.length === 1 ? 'has' : 'have'} no file in ${catalog.dir}: ${describeList(report.missing)}. Restore ${report.missing.length === 1 ? 'it' : 'them'} (from version control, or check --dir), or pass --allow-missing to record ${report.missing.length === 1 ? 'it' : 'them'} as applied without a file (pgshift then reports ${report.missing.length === 1 ? 'it' : 'them'} missing, as it does any applied migration whose file is gone). Nothing was written.`,
      );
    }
    for (const key of report.missing) {
      const at = missingVersion({ key, by: matched.find((m) => m.entry.key === key)!.entry.by, state: 'applied' });
      if (!at || known.has(versionId(at.version)) || rows.some((r) => versionId(r.version) === versionId(at.version))) continue;
      rows.push({ version: at.version, name: at.name, checksum: '', status: 'applied', errorMessage: null, note: `${note} (no file)` });
      report.adopted.push({ version: at.version, name: at.name, status: 'applied' });
    }
  }
  rows.sort((a, b) => compareVersions(a.version, b.version));
  report.adopted.sort((a, b) => compareVersions(a.version, b.version));
  const renames = tool === 'golang-migrate' && table.name === 'schema_migrations';
  report.notes.push(...wayBack(tool, table, schema));
  if (o.dryRun) return report;
  if (rows.length || renames) {
    await tracking.recordWithoutRunning(sql, rows, 'adopt', o.actor ?? defaultActor(), o.environment ?? SETTINGS.environment.default, renames ? (tx) => moveGolangTable(tx, table) : undefined);
  }
  return report;
}

/** Takes over another tool's history: see the file's head. */
export async function adopt(o: AdoptOptions): Promise<AdoptReport> {
  if (!READERS[o.from]) throw new ConfigError(`adopt: "${o.from}" is not a tool pgshift can adopt from.`);
  return withSession(o, (s) => withLock(s, o, (sql) => adoptLocked(o, s.catalog, s.tracking, sql)));
}

/** What an adoption did (or would do), one line each. */
export function describeAdopt(r: AdoptReport): string[] {
  if (r.alreadyAdopted) return r.notes;
  const would = r.dryRun ? 'would record' : 'recorded';
  const lines: string[] = [];
  const applied = r.adopted.filter((a) => a.status === 'applied');
  const failed = r.adopted.filter((a) => a.status === 'failed');
  if (!r.adopted.length) lines.push(`${r.table} records no migration to adopt${r.kept.length ? ' that pgshift does not have already' : ''}: nothing ${r.dryRun ? 'would be' : 'was'} recorded.`);
  else lines.push(`${r.dryRun ? 'dry run: ' : ''}${would} ${applied.length} migration${applied.length === 1 ? '' : 's'} as applied from ${r.tool}'s ${r.table}, without running them:`);
  for (const a of applied) lines.push(`  ${a.version}  ${a.name}${a.path ? '' : '  (no file: recorded as missing)'}`);
  for (const f of failed) {
    lines.push(
      `${would} ${f.version} ${f.name} as failed: ${f.note ?? ''}. Check the database, then "pgshift resolve ${f.version} --applied" if its changes are in place, or "--rolled-back" if not (up then runs it again).`,
    );
  }
  for (const k of r.rerun) lines.push(`${k}: its file changed since ${r.tool} last ran it, so it stays pending and the next pgshift up runs it again.`);
  if (r.kept.length) lines.push(`already recorded by pgshift, left as they were: ${describeList(r.kept)}.`);
  lines.push(...r.notes);
  if (r.dryRun) lines.push('Nothing was written (--dry-run).');
  return lines;
}

/**
 * The warning `plan` and `up` give when pgshift has recorded nothing while another tool's history table
 * holds rows: run as it is, pgshift would run every migration again. Best effort: a table the role may
 * not read is not worth failing a plan for.
 */
export async function adoptionHint(sql: Sql | ReservedSql, tracking: Tracking, ourRows: number, onEvent?: (e: EngineEvent) => void): Promise<void> {
  if (ourRows > 0 || !onEvent) return;
  let found: { tool: ToolId; table: string }[];
  try {
    found = await otherTools(sql, tracking.schema);
  } catch {
    return;
  }
  for (const f of found) {
    onEvent({
      type: 'warning',
      message: `${f.table} is ${f.tool}'s history and pgshift has recorded no migration yet: run "pgshift adopt --from ${f.tool}" first, or every migration ${f.tool} applied is run again.`,
    });
  }
}

/**
 * The action's adopt-from: the adoption (on a dry run, what it would record), then `next` (the deploy or
 * the plan) in the same run. An adoption that fails is the run's outcome and nothing is deployed;
 * `onAdopted` hears what was done. Done once: a later run finds it on record and does nothing. On a dry
 * run `next` is given what the adoption would record, so the plan reads as if it were done.
 */
export async function adoptThen(
  req: DeployRequest,
  from: ToolId,
  dryRun: boolean,
  sink: Sink,
  onAdopted: (r: AdoptReport) => void | Promise<void>,
  next: (assumed?: AssumedMigration[]) => Promise<Outcome>,
): Promise<Outcome> {
  let report: AdoptReport;
  try {
    report = await adopt({
      ...req,
      from,
      dryRun,
      allowMissing: req.selection.allowMissing,
      onEvent: (e) => {
        req.onEvent?.(e);
        sink.event?.(e);
      },
    });
  } catch (err) {
    return stoppedDeploy(req, err, sink);
  }
  await onAdopted(report);
  return next(report.dryRun && !report.alreadyAdopted ? report.adopted.map((a) => ({ version: a.version, name: a.name, status: a.status })) : undefined);
}
