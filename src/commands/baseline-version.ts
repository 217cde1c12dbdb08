// `baseline <version>`: a database whose schema came from somewhere pgshift has no record of (built by
// hand, restored from a dump, migrated by a tool that kept no history) starts its history here: every
// migration up to and including <version> is recorded as applied without running it (history action
// `baseline`), in one transaction under the migration lock. Refused once pgshift has recorded anything.
// (Not the PR baseline of ./baseline.ts, which says what a base commit has applied.)
import { ConfigError } from '../errors';
import { compareVersions, isVersion } from '../files/version';
import { SETTINGS } from '../settings';
import { adoptionHint } from './adopt';
import { compare, describeDifference, EXPECTED_ACTUAL, realDifferences } from '../schema';
import { migrationsModel, targetModel } from './verify';
import { defaultActor, withLock, withSession, type SessionOptions } from './session';

export interface BaselineOptions extends SessionOptions {
  /** With a shadow database, the baseline is proven first: the migrations up to <version> must give the live schema. */
  shadowUrl?: string;
  /** Say what would be recorded; write nothing. */
  dryRun?: boolean;
  environment?: string;
  actor?: string;
}

export interface BaselineReport {
  version: string;
  dryRun: boolean;
  /** Recorded as applied (or would be), in version order. */
  recorded: { version: string; name: string; path: string }[];
  /** true when a shadow database showed that the migrations up to <version> give the live schema. */
  proven: boolean;
}

export async function baselineAt(o: BaselineOptions, version: string): Promise<BaselineReport> {
  if (!version) throw new ConfigError('baseline needs the version to start from: pgshift baseline <version> (every migration up to and including it is recorded as applied).');
  if (!isVersion(version)) throw new ConfigError(`baseline: "${version}" is not a version: use the number at the start of a migration file name.`);
  const proven = o.shadowUrl ? await prove(o, version) : false;
  return withSession(o, (s) =>
    withLock(s, o, async (sql) => {
      if (!s.catalog.find(version)) throw new ConfigError(`baseline: version ${version} matches no migration in ${s.catalog.dir}: name the last migration the database already has.`);
      const blocking = s.catalog.nameProblems.filter((p) => p.blocking);
      if (blocking.length) throw new ConfigError(`the migrations directory must be fixed before a baseline:\n${blocking.map((p) => `  - ${p.message}`).join('\n')}`);
      const state = await s.tracking.read(sql);
      if (state.rows.length) {
        throw new ConfigError(
          `${s.tracking.schema}.schema_migrations already records ${state.rows.length} migration${state.rows.length === 1 ? '' : 's'}: baseline is for a database with no history at all. Nothing was written. Run pgshift status to see what is recorded; pgshift up applies what is pending.`,
        );
      }
      // Another tool's history is better taken over than guessed at: say so, but the person decides.
      await adoptionHint(sql, s.tracking, 0, o.onEvent);
      const recorded = s.catalog.files.filter((f) => compareVersions(f.version, version) <= 0);
      const rows = recorded.map((f) => {
        const checksum = s.catalog.checksum(f);
        if (checksum === undefined) throw new ConfigError(`migration ${f.version} cannot be baselined: ${(s.catalog.load(f) as Error).message}`);
        return {
          version: f.version,
          name: f.name,
          checksum,
          status: 'applied' as const,
          errorMessage: null,
          note: `baseline ${version}: recorded as applied without running it`,
        };
      });
      const report = { version, dryRun: !!o.dryRun, proven, recorded: recorded.map((f) => ({ version: f.version, name: f.name, path: f.upPath })) };
      if (o.dryRun) return report;
      await s.tracking.recordWithoutRunning(sql, rows, 'baseline', o.actor ?? defaultActor(), o.environment ?? SETTINGS.environment.default);
      return report;
    }),
  );
}

/** Replays the migrations up to `version` on a shadow database and refuses unless that is the live schema. */
async function prove(o: BaselineOptions, version: string): Promise<true> {
  const expected = await migrationsModel({ ...o, shadowUrl: o.shadowUrl }, version);
  const differences = realDifferences(compare(expected.model, await targetModel(o)));
  if (differences.length) {
    throw new ConfigError(
      `baseline ${version} refused: the live schema is not what the migrations up to ${version} produce on a shadow database (${differences.length} difference${differences.length === 1 ? '' : 's'}):\n${differences
        .map((d) => `  - ${describeDifference(d, EXPECTED_ACTUAL)}`)
        .join('\n')}\nNothing was written. Baseline at the version the database really matches, or bring the database in line first.`,
    );
  }
  return true;
}

/** What a baseline did (or would do), one line each. */
export function describeBaseline(r: BaselineReport): string[] {
  const n = r.recorded.length;
  return [
    `${r.dryRun ? 'dry run: would record' : 'recorded'} ${n} migration${n === 1 ? '' : 's'} up to and including ${r.version} as applied, without running ${n === 1 ? 'it' : 'them'}:`,
    ...r.recorded.map((m) => `  ${m.version}  ${m.name}`),
    r.proven
      ? `Proven: replaying the migrations up to ${r.version} on a shadow database gives the live schema.`
      : `Not proven against the live schema: pass ${SETTINGS.shadowUrl.flag} to replay the migrations on a shadow database and compare first. Check that the database really has these changes.`,
    ...(r.dryRun ? ['Nothing was written (--dry-run).'] : []),
  ];
}
