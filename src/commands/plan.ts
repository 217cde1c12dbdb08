// The read-only dry run: no table created, no lock taken, reads inside a READ ONLY transaction.
import type { Sql } from '../db/connect';
import { Catalog } from '../files/catalog';
import { isVersion, versionKey } from '../files/version';
import { buildPlan, type Selection } from '../plan/plan';
import { loadParser } from '../sql/split';
import type { Baseline, LintConfig, Plan } from '../types';
import { appliedAtBase } from './baseline';
import { checkInvalidIndexes } from './invalid-indexes';
import { withFindings } from './lint';
import { withSession, type SessionOptions } from './session';

export interface PlanOptions extends SessionOptions {
  /** Rule settings for the linter (pgshift.json); false: the plan carries no findings. */
  lint?: LintConfig | false;
  /**
   * What a base commit says is applied: the plan is made from the files and this, and no database is
   * asked (given on purpose, it wins over a database URL from the environment).
   */
  baseline?: Baseline;
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
    const state = await s.sql.begin('read only', (tx) => s.tracking.read(tx as unknown as Sql));
    // Invalid indexes left by an interrupted CREATE INDEX CONCURRENTLY: named, and refused on a re-run.
    const p = await checkInvalidIndexes(s.sql, s.catalog, buildPlan(s.catalog, { ...state, databaseChecked: true }, selection));
    return withFindings(p, o.lint, true);
  });
}

/** Whether `target` names a migration of the directory (or, for down, is 0: everything). */
export function knownVersion(dir: string, target: string, direction: 'up' | 'down'): 'known' | 'not-a-version' | 'unknown' {
  if (!isVersion(target)) return 'not-a-version';
  if (direction === 'down' && versionKey(target).every((p) => p === 0n)) return 'known';
  return new Catalog(dir).find(target) ? 'known' : 'unknown';
}
