// What a deploy or a dry run came to, for every sink: one value, decided once.
import type { Difference } from '../schema/compare';
import type { PgshiftError } from '../errors';
import type { Finding, Plan, RunResult } from '../types';

/** The linter's findings on a plan, and those the safety policy refuses in this environment. */
export interface Review {
  findings: Finding[];
  refused: Finding[];
}

export type OutcomeStatus = 'applied' | 'up-to-date' | 'planned' | 'rolled-back' | 'failed' | 'refused';

export interface Outcome {
  command: 'plan' | 'up' | 'down';
  status: OutcomeStatus;
  /** Worth an issue / a notification: a deploy that failed or could not run. */
  incident: boolean;
  environment: string;
  /** The environment is protected (guard, safety policy, plan on record first). */
  protected: boolean;
  /** Redacted name of the database, when there are several. */
  target?: string;
  plan?: Plan;
  result?: RunResult;
  review: Review;
  /** Why the command failed or was refused; a migration's own failure is a MigrationFailedError. */
  error?: PgshiftError;
  /** Versions this run applied (or rolled back). */
  applied: string[];
  /** Pending after the run (before it, for a dry run); absent when the database was never read. */
  pendingAfter?: number;
  /** Highest applied version after the run; absent when the database was never read. */
  currentVersion?: string | null;
  /** A deploy that checked drift first: the differences between the live schema and its migrations. */
  drift?: Difference[];
  /** Where the schema was written after the deploy (schema-file). */
  schemaFile?: string;
}
