import type { Finding } from './lint/types';
import type { LockHolder, MigrationError, ValidationProblem } from './types';

/** Exit codes shared by the CLI and documented in its --help and the README. */
export const ExitCode = {
  ok: 0,
  migrationFailed: 1,
  usage: 2,
  validation: 3,
  lock: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Every error the engine raises on purpose; anything else is a bug. */
export class PgshiftError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'PgshiftError';
  }
}

/** Bad flags, a missing directory, an unreachable database: nothing was attempted. */
export class ConfigError extends PgshiftError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'ConfigError';
  }
}

/** The database could not be reached (after retries) or refused the login: a configuration error to
 * the CLI (exit 2), but to a deploy an incident like a failed migration. */
export class ConnectionError extends ConfigError {
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
    super(message, ExitCode.validation);
    this.name = 'ValidationError';
  }
}

/** The safety policy refused the plan's findings (destructive or error-level statements). */
export class PolicyError extends PgshiftError {
  constructor(
    message: string,
    readonly findings: Finding[],
  ) {
    super(message, ExitCode.validation);
    this.name = 'PolicyError';
  }
}

/** Another run holds the migration lock. */
export class LockError extends PgshiftError {
  constructor(
    message: string,
    readonly holder?: LockHolder,
  ) {
    super(message, ExitCode.lock);
    this.name = 'LockError';
  }
}

/** A migration's SQL failed; `failure` says where, and what state the database is in. */
export class MigrationFailedError extends PgshiftError {
  constructor(
    message: string,
    readonly failure: MigrationError,
  ) {
    super(message, ExitCode.migrationFailed);
    this.name = 'MigrationFailedError';
  }
}

/** The run was interrupted (SIGINT/SIGTERM); the current migration was rolled back. */
export class AbortedError extends PgshiftError {
  constructor(message = 'interrupted: the running migration was cancelled and rolled back') {
    super(message, ExitCode.migrationFailed);
    this.name = 'AbortedError';
  }
}
