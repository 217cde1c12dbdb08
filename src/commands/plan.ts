// The read-only dry run: no table created, no lock taken, reads inside a READ ONLY transaction.
import type { Sql } from '../db/connect';
import { Catalog } from '../files/catalog';
import { isVersion, versionKey } from '../files/version';
import { buildPlan, type Selection } from '../plan/plan';
import { loadParser } from '../sql/split';
import type { LintConfig, Plan } from '../types';
import { withFindings } from './lint';
import { withSession, type SessionOptions } from './session';

export interface PlanOptions extends SessionOptions {
  /** Rule settings for the linter (pgshift.json); false: the plan carries no findings. */
  lint?: LintConfig | false;
}

/** What up/down would run; without a database, every migration in the directory is pending. */
export async function plan(o: PlanOptions, selection: Selection): Promise<Plan> {
  await loadParser();
  if (!o.databaseUrl) {
    return withFindings(buildPlan(new Catalog(o.dir), { exists: false, rows: [], databaseChecked: false }, selection), o.lint);
  }
  return withSession(o, async (s) => {
    const state = await s.sql.begin('read only', (tx) => s.tracking.read(tx as unknown as Sql));
    return withFindings(buildPlan(s.catalog, { ...state, databaseChecked: true }, selection), o.lint);
  });
}

/** Whether `target` names a migration of the directory (or, for down, is 0: everything). */
export function knownVersion(dir: string, target: string, direction: 'up' | 'down'): 'known' | 'not-a-version' | 'unknown' {
  if (!isVersion(target)) return 'not-a-version';
  if (direction === 'down' && versionKey(target).every((p) => p === 0n)) return 'known';
  return new Catalog(dir).find(target) ? 'known' : 'unknown';
}
