// The read-only dry run: no table created, no lock taken, reads inside a READ ONLY transaction.
import type { Sql } from '../db/connect';
import { Catalog } from '../files/catalog';
import { isVersion, versionId, versionKey } from '../files/version';
import type { Tracking } from '../db/tracking';
import { buildPlan, type Selection } from '../plan/plan';
import { loadParser } from '../sql/split';
import type { AppliedMigration, Baseline, LintConfig, Plan } from '../types';
import { appliedAtBase } from './baseline';
import { adoptionHint } from './adopt';
import { checkInvalidIndexes } from './invalid-indexes';
import { planFacts, withFindings } from './lint';
import { withSession, type SessionOptions } from './session';

export interface PlanOptions extends SessionOptions {
  /** Rule settings for the linter (pgshift.json); false: the plan carries no findings. */
  lint?: LintConfig | false;
  /**
   * What a base commit says is applied: the plan is made from the files and this, and no database is
   * asked (given on purpose, it wins over a database URL from the environment).
   */
  baseline?: Baseline;
  /**
   * What a dry-run adoption (adopt-from) would record: the plan reads as if it were recorded, so a pull
   * request of a team that switches shows what pgshift would really run, not every migration again.
   */
  assumeApplied?: AssumedMigration[];
}

/** A migration another tool applied, as a dry-run adoption would record it. */
export interface AssumedMigration {
  version: string;
  name: string;
  status: 'applied' | 'failed';
}

/**
 * What up/down would run. Without a database: with a baseline, the migrations added or changed since the
 * base are pending and the others count as applied; without one, every migration in the directory is
 * pending (linted as one batch, which hides findings on objects the earlier ones create).
 */
export async function plan(o: PlanOptions, selection: Selection): Promise<Plan> {
  await loadParser();
  if (o.baseline) {
    const catalog = new Catalog(o.dir);
    const atBase = appliedAtBase(catalog, o.baseline);
    const p = buildPlan(catalog, atBase, selection);
    // The base's newest migration is not a database's current version: no database was read.
    return withFindings({ ...p, currentVersion: null, baseline: { label: o.baseline.label, applied: atBase.rows.length } }, o.lint, true);
  }
  if (!o.databaseUrl) {
    return withFindings(buildPlan(new Catalog(o.dir), { exists: false, rows: [], databaseChecked: false }, selection), o.lint, true);
  }
  return withSession(o, async (s) => {
    const read = await s.sql.begin('read only', (tx) => s.tracking.read(tx as unknown as Sql, { adoptionPending: !!o.assumeApplied?.length }));
    const state = o.assumeApplied?.length ? withAssumed(read, o.assumeApplied, s.catalog) : read;
    if (!o.assumeApplied) await adoptionHint(s.sql, s.tracking, state.rows.length, o.onEvent);
    // Invalid indexes left by an interrupted CREATE INDEX CONCURRENTLY: named, and refused on a re-run.
    const p = await checkInvalidIndexes(s.sql, s.catalog, buildPlan(s.catalog, { ...state, databaseChecked: true }, selection));
    // What the database holds sharpens the findings (a DROP ... IF EXISTS of nothing, a retype without a rewrite).
    return withFindings(p, o.lint, true, await planFacts(s.sql, p, o.lint, true));
  });
}

/** The tracking rows as they would be after the adoption: each assumed migration with its file's checksum. */
function withAssumed(state: Awaited<ReturnType<Tracking['read']>>, assumed: AssumedMigration[], catalog: Catalog): Awaited<ReturnType<Tracking['read']>> {
  const known = new Set(state.rows.map((r) => versionId(r.version)));
  const added: AppliedMigration[] = assumed
    .filter((a) => !known.has(versionId(a.version)))
    .map((a) => {
      const file = catalog.find(a.version);
      return { version: a.version, name: a.name, checksum: (file && catalog.checksum(file)) ?? '', status: a.status, appliedAt: null, executionTimeMs: null, errorMessage: null, appliedBy: null };
    });
  return { ...state, exists: true, unadopted: state.unadopted && added.length === 0, rows: [...state.rows, ...added] };
}

/** Whether `target` names a migration of the directory (or, for down, is 0: everything). */
export function knownVersion(dir: string, target: string, direction: 'up' | 'down'): 'known' | 'not-a-version' | 'unknown' {
  if (!isVersion(target)) return 'not-a-version';
  if (direction === 'down' && versionKey(target).every((p) => p === 0n)) return 'known';
  return new Catalog(dir).find(target) ? 'known' : 'unknown';
}
