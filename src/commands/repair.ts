// `repair <version>... --reason "<text>"` (or `--all`): accepts the current file of an applied migration
// whose checksum no longer matches (whitespace or comments changed, a fix that was applied by hand), so
// the history stops refusing every run. Under the migration lock; each repair is recorded in
// migration_history with the reason, the old and the new checksum, and the actor. Never implicit: a
// shell runs it only when a person (or a workflow input) names it.
import type { ReservedSql } from '../db/connect';
import type { RepairChange } from '../db/tracking';
import { ConfigError, PolicyError } from '../errors';
import { MigrationFileError } from '../files/read';
import { compareVersions, isVersion, versionId } from '../files/version';
import { SETTINGS } from '../settings';
import type { AppliedMigration, StatusEntry } from '../types';
import type { Sink } from '../report/sink';
import { deploy, stoppedDeploy, type DeployRequest } from './deploy';
import type { Outcome } from './outcome';
import { defaultActor, withLock, withSession, type Session, type SessionOptions } from './session';

/** A changed applied migration, as listed before it is repaired. */
export interface RepairCandidate extends RepairChange {
  /** The file as it is now. */
  path: string;
}

export interface RepairOptions extends SessionOptions {
  /** Why the new checksum is right: required, recorded in the history. */
  reason: string;
  environment?: string;
  /** Who repairs, recorded in the history. */
  actor?: string;
  /** `--all` without asking (`--yes`; the action's `repair-versions: all` is itself the yes). */
  yes?: boolean;
  /**
   * Asks a person to confirm the list `--all` found; only a shell with an interactive terminal passes
   * it. Without it (and without `yes`), `--all` is refused after listing what it would repair.
   */
  ask?: (candidates: RepairCandidate[]) => Promise<boolean>;
}

export interface RepairReport {
  /** Written: each one's row now holds the current checksum, and the history says why. */
  repaired: RepairCandidate[];
  /** Named, but their files match the stored checksum: nothing written. */
  unchanged: string[];
  /** `--all` only: applied migrations it could not repair, and what to do instead. */
  skipped: { version: string; why: string }[];
}

/** Status states that mean the applied history differs from the record: any of them turns a check red. */
export const CHANGED_STATES: readonly StatusEntry['state'][] = ['modified', 'missing', 'failed', 'running'];

/** The entries of a status whose history is changed, missing or unsettled (`status --exit-code` exits 3). */
export function changedHistory(entries: StatusEntry[]): StatusEntry[] {
  return entries.filter((e) => CHANGED_STATES.includes(e.state));
}

/** The list shown before `--all` repairs (and in its refusal): version, file, stored and current checksum. */
export function listCandidates(candidates: RepairCandidate[]): string {
  return candidates.map((c) => `  ${c.version}  ${c.path}\n      stored:  ${c.storedChecksum || 'none'}\n      current: ${c.currentChecksum}`).join('\n');
}

/** What a repair did, one sentence per migration. */
export function describeRepair(r: RepairReport, reason: string): string[] {
  const lines = r.repaired.map((c) => `repaired ${c.version} ${c.name}: checksum ${c.storedChecksum || 'none'} -> ${c.currentChecksum} (reason recorded: ${reason}).`);
  for (const v of r.unchanged) lines.push(`migration ${v} is not modified: its file matches the stored checksum. Nothing was written.`);
  for (const s of r.skipped) lines.push(`not repaired: ${s.why}`);
  if (!lines.length) lines.push('no applied migration has a changed file: there is nothing to repair.');
  return lines;
}

/** Checks the request before connecting: a reason, and versions or all. */
function checkRequest(o: RepairOptions, versions: string[] | 'all'): void {
  if (!o.reason.trim()) {
    throw new ConfigError(
      'repair needs a reason (--reason): why the changed file is right (whitespace only, a fix applied by hand, …). It is recorded in the history with the old and the new checksum.',
    );
  }
  if (versions !== 'all') {
    if (!versions.length) throw new ConfigError('repair needs the versions to repair, or --all: pgshift repair <version>... --reason "<why>".');
    const bad = versions.find((v) => !isVersion(v));
    if (bad !== undefined) throw new ConfigError(`repair: "${bad}" is not a version: use the number at the start of a migration file name.`);
  }
}

/** Why an applied row's file cannot be repaired, or the change to make; undefined when it matches. */
function examine(s: Session, row: AppliedMigration): RepairCandidate | { why: string } | undefined {
  const v = row.version;
  if (row.status !== 'applied') {
    return {
      why: `migration ${v} is marked ${row.status}, so it cannot be repaired (repair accepts a changed file of an applied migration): settle it with "pgshift resolve ${v} --applied" or "--rolled-back" after checking the database.`,
    };
  }
  const file = s.catalog.find(v);
  if (!file) {
    return {
      why: `migration ${v}${row.name ? ` (${row.name})` : ''} is applied but its file is gone from ${s.catalog.dir}, so it cannot be repaired: there is no new checksum to record. Restore the file as it was applied (from version control), or pass --allow-missing to up and plan to go on without it.`,
    };
  }
  const loaded = s.catalog.load(file);
  if (loaded instanceof MigrationFileError) return { why: `migration ${v} cannot be repaired: ${loaded.message}` };
  // A NULL checksum comes back as null from the driver, whatever the row's type says.
  const stored = (row.checksum as string | null) ?? null;
  if (stored === loaded.checksum) return undefined;
  return { version: v, name: row.name || file.name, path: file.upPath, storedChecksum: stored, currentChecksum: loaded.checksum };
}

const isCandidate = (x: RepairCandidate | { why: string } | undefined): x is RepairCandidate => !!x && 'currentChecksum' in x;

/**
 * Repairs `versions` (or every changed applied migration), under the migration lock. A version whose
 * file matches is reported unchanged; one that cannot be repaired (not applied, file gone, unreadable)
 * refuses the request with what to do, before anything is written.
 */
export async function repair(o: RepairOptions, versions: string[] | 'all'): Promise<RepairReport> {
  checkRequest(o, versions);
  const reason = o.reason.trim();
  return withSession(o, (s) =>
    withLock(s, o, async (sql: ReservedSql) => {
      const state = await s.tracking.read(sql);
      if (state.unadopted) {
        throw new ConfigError(
          `${s.tracking.schema}.schema_migrations is still dbmate's table: it records no checksums, so there is nothing to repair. The first pgshift up that has something to run adopts it and records each file's checksum.`,
        );
      }
      const report: RepairReport = { repaired: [], unchanged: [], skipped: [] };
      const candidates: RepairCandidate[] = [];
      if (versions === 'all') {
        for (const row of [...state.rows].sort((a, b) => compareVersions(a.version, b.version))) {
          const found = examine(s, row);
          if (isCandidate(found)) candidates.push(found);
          else if (found) report.skipped.push({ version: row.version, why: found.why });
        }
        if (!candidates.length) return report;
        if (!o.yes) {
          const n = candidates.length;
          const list = `${n} applied migration${n === 1 ? '' : 's'} changed after ${n === 1 ? 'it' : 'they'} ran:\n${listCandidates(candidates)}`;
          if (!o.ask) {
            throw new PolicyError(
              `repair --all found ${list}\nNothing was written: without a terminal to ask, pass --yes to repair ${n === 1 ? 'it' : 'them all'}, or name the versions to repair.`,
              [],
            );
          }
          if (!(await o.ask(candidates))) throw new PolicyError('not confirmed: nothing was written (pass --yes to repair without asking).', []);
        }
      } else {
        if (!state.exists) throw new ConfigError(`no migration is applied in this database (there is no ${s.tracking.schema}.schema_migrations): there is nothing to repair.`);
        const seen = new Set<string>();
        for (const v of versions) {
          if (seen.has(versionId(v))) continue;
          seen.add(versionId(v));
          const row = state.rows.find((r) => versionId(r.version) === versionId(v));
          if (!row) {
            throw new ConfigError(
              `migration ${v} has no row in ${s.tracking.schema}.schema_migrations${s.catalog.find(v) ? ': it is pending, not applied, and a pending file may change freely' : ''}. There is nothing to repair.`,
            );
          }
          const found = examine(s, row);
          if (isCandidate(found)) candidates.push(found);
          else if (found) throw new ConfigError(found.why);
          else report.unchanged.push(row.version);
        }
      }
      if (candidates.length) await s.tracking.repair(sql, candidates, reason, o.actor ?? defaultActor(), o.environment ?? SETTINGS.environment.default);
      report.repaired = candidates;
      return report;
    }),
  );
}

/**
 * The action's repair-versions: the named repair, deliberately, then the deploy in the same run. A
 * repair that fails is the deploy's outcome and nothing is deployed; `onRepaired` hears what was done.
 */
export async function repairThenDeploy(req: DeployRequest, versions: string[] | 'all', reason: string, sink: Sink, onRepaired: (r: RepairReport) => void | Promise<void>): Promise<Outcome> {
  let report: RepairReport;
  try {
    // Naming "all" in a workflow input is itself the yes: there is no one to ask.
    report = await repair(
      {
        ...req,
        reason,
        yes: true,
        onEvent: (e) => {
          req.onEvent?.(e);
          sink.event?.(e);
        },
      },
      versions,
    );
  } catch (err) {
    return stoppedDeploy(req, err, sink);
  }
  await onRepaired(report);
  return deploy(req, sink);
}
