// What a deploy or a dry run came to, for every sink: one value, decided once.
import type { Difference } from '../schema/compare';
import type { PgshiftError } from '../errors';
import type { AutoRollback, BackupReport, Finding, HealthResult, Plan, RunResult, SafetyNet } from '../types';

export type { AutoRollback, BackupReport, HealthResult, SafetyNet };

/** The linter's findings on a plan, and those the safety policy refuses in this environment. */
export interface Review {
  findings: Finding[];
  refused: Finding[];
}

export type OutcomeStatus = 'applied' | 'up-to-date' | 'planned' | 'rolled-back' | 'failed' | 'refused';

export interface Outcome {
  command: 'plan' | 'up' | 'down';
  status: OutcomeStatus;
  /**
   * Worth an issue / a notification: a deploy that failed or could not run (an automatic rollback too:
   * status rolled-back with `rollback` set, whereas a down that succeeded is rolled-back without it).
   */
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
  /** The backup taken before anything was applied (--backup). */
  backup?: BackupReport;
  /** The health checks after the run (--health-check-sql, --health-check-url), in the order they ran. */
  health?: HealthResult[];
  /** The automatic rollback (--rollback-on-failure): what it undid, and what is still applied. */
  rollback?: AutoRollback;
  /** A deploy or dry run with a safety net configured: what it does (a dry run: what it would do). */
  net?: SafetyNet;
  /** How long the command took, start to outcome (ms). */
  durationMs?: number;
}
