// `status`: every migration's state from the files and the tracking rows, read-only.
import type { Sql } from '../db/connect';
import { buildPlan } from '../plan/plan';
import { migrationStatus } from '../plan/status';
import type { StatusEntry, ValidationProblem } from '../types';
import { checkInvalidIndexes } from './invalid-indexes';
import { withSession, type SessionOptions } from './session';

export interface StatusReport {
  entries: StatusEntry[];
  problems: ValidationProblem[];
  trackingExists: boolean;
}

export async function status(o: SessionOptions): Promise<StatusReport> {
  return withSession(o, async (s) => {
    const state = await s.sql.begin('read only', (tx) => s.tracking.read(tx as unknown as Sql));
    // Status never parses SQL: its problems come from names, rows and checksums alone.
    // Invalid indexes a failed or running migration left are named on its problem (only then is SQL parsed).
    const p = await checkInvalidIndexes(s.sql, s.catalog, buildPlan(s.catalog, { ...state, databaseChecked: true }, { direction: 'up', steps: 0 }));
    return { entries: migrationStatus(s.catalog, state.rows), problems: p.problems, trackingExists: state.exists };
  });
}
