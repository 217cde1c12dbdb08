// The error kinds pgshift raises on purpose; anything else is a bug. Kinds only: what each means to a
// shell (an exit code, an action status) is the shell's decision (cli/exit-codes.ts, commands/deploy.ts).
import type { AutoRollback, Finding, LockHolder, MigrationError, ValidationProblem } from './types';

export class PgshiftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgshiftError';
  }
}

/** Bad flags or inputs, a missing directory, a bad URL: nothing was attempted. */
export class ConfigError extends PgshiftError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** The database could not be reached (after retries) or refused the login. */
export class ConnectionError extends PgshiftError {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** The files or the tracking table refuse the run (checksum, missing, order, parse, failed). */
export class ValidationError extends PgshiftError {
  constructor(
    message: string,
    readonly problems: ValidationProblem[],
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** The safety policy or the protected-environment guard refused the run before anything ran. */
export class PolicyError extends PgshiftError {
  constructor(
    message: string,
    readonly findings: Finding[],
  ) {
    super(message);
    this.name = 'PolicyError';
  }
}

/** Another run holds the migration lock. */
export class LockError extends PgshiftError {
  constructor(
    message: string,
    readonly holder?: LockHolder,
  ) {
    super(message);
    this.name = 'LockError';
  }
}

/** A migration's SQL failed; `failure` says where, and what state the database is in. */
export class MigrationFailedError extends PgshiftError {
  constructor(
    message: string,
    readonly failure: MigrationError,
  ) {
    super(message);
    this.name = 'MigrationFailedError';
  }
}

/** The run was interrupted (SIGINT/SIGTERM); the current migration was rolled back. */
export class AbortedError extends PgshiftError {
  constructor(message = 'interrupted: the running migration was cancelled and rolled back') {
    super(message);
    this.name = 'AbortedError';
  }
}

/** Anything pgshift did not raise on purpose: a bug, kept with its stack for the report. */
export class UnexpectedError extends PgshiftError {
  constructor(override readonly cause: unknown) {
    super((cause as Error)?.message ?? String(cause));
    this.name = 'UnexpectedError';
    this.stack = (cause as Error)?.stack ?? this.stack;
  }
}

/** The health check failed after the run (and no automatic rollback was asked for). */
export class HealthCheckError extends PgshiftError {
  constructor(message: string) {
    super(message);
    this.name = 'HealthCheckError';
  }
}

/**
 * A migration or the health check failed, and the automatic rollback ran (--rollback-on-failure):
 * the message says why and what is still applied; `rollback` holds the details.
 */
export class RollbackError extends PgshiftError {
  constructor(
    message: string,
    readonly rollback: AutoRollback,
    readonly failure?: MigrationError,
  ) {
    super(message);
    this.name = 'RollbackError';
  }
}

/** The backup before the run (--backup) could not be written or did not check out: nothing was applied. */
export class BackupError extends PgshiftError {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}
