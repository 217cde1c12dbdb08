// `resolve <version> --applied|--rolled-back`: settles a failed or running non-transactional migration
// after a person has looked at the database. Recorded in the history either way.
import { ConfigError } from '../errors';
import { versionId } from '../files/version';
import { SETTINGS } from '../settings';
import type { AppliedMigration } from '../types';
import { defaultActor, withLock, withSession, type SessionOptions } from './session';

export interface ResolveOptions extends SessionOptions {
  environment?: string;
  /** Who settles it, recorded in the history. */
  actor?: string;
}

export async function resolve(o: ResolveOptions, version: string, as: 'applied' | 'rolled-back'): Promise<AppliedMigration> {
  return withSession(o, (s) =>
    withLock(s, o, async (sql) => {
      const { rows } = await s.tracking.read(sql);
      const row = rows.find((r) => versionId(r.version) === versionId(version));
      if (!row) throw new ConfigError(`migration ${version} has no row in ${s.tracking.schema}.schema_migrations: there is nothing to resolve.`);
      if (row.status === 'applied') throw new ConfigError(`migration ${version} is applied, not failed: there is nothing to resolve (use "pgshift down" to roll it back).`);
      await s.tracking.resolve(sql, row, as, o.actor ?? defaultActor(), o.environment ?? SETTINGS.environment.default);
      return { ...row, status: as === 'applied' ? 'applied' : row.status };
    }),
  );
}
