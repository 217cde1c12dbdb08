// The CLI's exit codes, documented in --help and the README. The engine's errors are kinds; the
// number each kind leaves the process with is decided here, once.
import { AbortedError, ConfigError, ConnectionError, LockError, MigrationFailedError, PolicyError, ValidationError } from '../commands';

export const ExitCode = {
  ok: 0,
  migrationFailed: 1,
  usage: 2,
  validation: 3,
  lock: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof ConfigError || err instanceof ConnectionError) return ExitCode.usage;
  if (err instanceof ValidationError || err instanceof PolicyError) return ExitCode.validation;
  if (err instanceof LockError) return ExitCode.lock;
  if (err instanceof MigrationFailedError || err instanceof AbortedError) return ExitCode.migrationFailed;
  return ExitCode.migrationFailed;
}
