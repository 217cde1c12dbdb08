// Invalid indexes in the plan: named on the problem of a failed or running migration that left them,
// and a blocking problem for a pending migration that would run into one (its IF NOT EXISTS would
// skip the invalid index and the migration would be recorded applied).
import type { ReservedSql, Sql } from '../db/connect';
import { dropStatements, invalidIndexesOf, type InvalidIndex } from '../db/invalid-indexes';
import type { Catalog } from '../files/catalog';
import { MigrationFileError } from '../files/read';
import { versionId } from '../files/version';
import { planStep } from '../plan/plan';
import { loadParser } from '../sql/split';
import type { Plan, PlannedStep } from '../types';

function list(indexes: InvalidIndex[]): string {
  return `${indexes.length > 1 ? 'indexes' : 'index'} ${indexes.map((i) => i.qualified).join(', ')}`;
}

/** The non-transactional sections of a failed or running migration, as steps (parsed only here). */
async function sectionsOf(catalog: Catalog, version: string): Promise<PlannedStep[]> {
  const file = catalog.find(version);
  const loaded = file ? catalog.load(file) : undefined;
  if (!loaded || loaded instanceof MigrationFileError) return [];
  const sections = [!loaded.up.transaction ? ('up' as const) : undefined, loaded.down && !loaded.down.transaction ? ('down' as const) : undefined].filter((d) => d !== undefined);
  if (!sections.length) return [];
  await loadParser();
  return sections.map((d) => planStep(loaded, d, []));
}

/** Adds what invalid indexes mean to `plan`'s problems; read-only. Returns the plan. */
export async function checkInvalidIndexes(sql: Sql | ReservedSql, catalog: Catalog, plan: Plan): Promise<Plan> {
  for (const problem of plan.problems) {
    if (problem.kind !== 'failed' || !problem.version) continue;
    const found = await invalidIndexesOf(sql, await sectionsOf(catalog, problem.version));
    if (!found.length) continue;
    problem.message += ` It left invalid ${list(found)} (an interrupted CREATE INDEX CONCURRENTLY): drop ${found.length > 1 ? 'them' : 'it'} first with ${dropStatements(found)} — otherwise the re-run's IF NOT EXISTS skips ${found.length > 1 ? 'them' : 'it'} and the migration is recorded applied without a usable index.`;
  }
  const pending = plan.steps.filter((s) => !s.transactional);
  for (const found of groupByVersion(await invalidIndexesOf(sql, pending))) {
    const step = pending.find((s) => versionId(s.migration.version) === versionId(found[0].version))!;
    plan.problems.push({
      kind: 'failed',
      version: step.migration.version,
      path: step.section.path,
      message: `${step.section.path}: migration ${step.migration.version} creates ${list(found)}, which already ${found.length > 1 ? 'exist' : 'exists'} and ${found.length > 1 ? 'are' : 'is'} INVALID (left by an interrupted CREATE INDEX CONCURRENTLY). Run ${dropStatements(found)} and then run it again: as it is, IF NOT EXISTS would skip ${found.length > 1 ? 'them' : 'it'} and record the migration applied.`,
      blocking: true,
    });
    plan.blocked = true;
  }
  return plan;
}

function groupByVersion(indexes: InvalidIndex[]): InvalidIndex[][] {
  const groups = new Map<string, InvalidIndex[]>();
  for (const i of indexes) groups.set(versionId(i.version), [...(groups.get(versionId(i.version)) ?? []), i]);
  return [...groups.values()];
}
