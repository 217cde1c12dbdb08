// Turns a Postgres error into a MigrationError that points at the file, line and column: the server's
// `position` is a 1-based character offset into the statement sent, and each statement knows its
// offset in the section and the section its first line in the file.
import { formById } from '../files/forms';
import type { Redactor } from '../report/redact';
import { caretExcerpt, codePointIndex, hasAstral, lineStarts, locate } from '../sql/position';
import type { MigrationError, PlannedStep } from '../types';

export interface PgErrorFields {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  position?: string | number;
}

/** pgshift's own hint for errors with a known cure. */
function extraHint(code: string | undefined, step: PlannedStep): string | undefined {
  if (code === '25001' && step.transactional) {
    if (step.direction === 'down') {
      // A rollback cannot be split into a migration of its own: its section runs without a transaction.
      const header = formById(step.migration.form).noTransactionHeader('down');
      return `this statement cannot run inside a transaction: run the down section without one, ${header.isSectionHeader ? 'with the header' : 'starting its file with the line'} "${header.line}"`;
    }
    // A migration of its own: the statement goes in that migration's up section.
    const header = formById(step.migration.form).noTransactionHeader('up');
    return `this statement cannot run inside a transaction: put it in its own migration ${header.isSectionHeader ? 'whose header reads' : 'that starts with'} "${header.line}"`;
  }
  if (code === '55P03') return 'another session held a lock this migration needed; pgshift retried with backoff. Retry off-peak, or raise --lock-timeout / --lock-retries';
  if (code === '57014') return 'the statement ran past --statement-timeout, or the run was interrupted';
  return undefined;
}

export function toMigrationError(step: PlannedStep, statementIndex: number, err: unknown, outcome: MigrationError['outcome'], redactor: Redactor): MigrationError {
  const e = (err ?? {}) as PgErrorFields;
  const stmt = statementIndex >= 0 ? step.statements[statementIndex] : undefined;
  // The server's position counts characters (code points); statement offsets are string indexes.
  const pos = stmt && e.position !== undefined && e.position !== '' ? codePointIndex(stmt.sql, Number(e.position) - 1) : undefined;
  const { sql } = step.section;
  const at =
    stmt && pos !== undefined
      ? locate(lineStarts(sql), step.section.startLine, stmt.offset + pos, hasAstral(sql) ? sql : undefined)
      : stmt
        ? { line: stmt.line, column: stmt.column }
        : { line: step.section.startLine, column: 1 };
  const hints = [e.hint, extraHint(e.code, step)].filter(Boolean).join('; ');
  return {
    version: step.migration.version,
    name: step.migration.name,
    path: step.section.path,
    direction: step.direction,
    line: at.line,
    column: at.column,
    statementNumber: statementIndex + 1,
    statement: redactor.redact(stmt?.sql ?? ''),
    excerpt: redactor.redact(stmt ? caretExcerpt(stmt.sql, stmt.line, pos) : ''),
    code: e.code,
    message: redactor.redact(e.message ?? String(err)),
    detail: e.detail ? redactor.redact(e.detail) : undefined,
    hint: hints ? redactor.redact(hints) : undefined,
    outcome,
  };
}

/** One line for the tracking tables' error_message. */
export function errorSummary(f: MigrationError): string {
  return `statement ${f.statementNumber} at ${f.path.split('/').pop()}:${f.line}:${f.column}: ${f.code ? `${f.code} ` : ''}${f.message}`;
}

/**
 * The connection ended while `step` ran. `statementIndex`: the statement that had not answered yet
 * (-1: before the first one); `committing`: every statement had answered and the COMMIT had not.
 * The outcome is provisional until somebody looks at the database again (commands/migrate.ts).
 */
export function lostConnectionError(step: PlannedStep, statementIndex: number, reason: string, code: string | undefined, committing: boolean, redactor: Redactor): MigrationError {
  const at = committing ? 'after its last statement, while committing' : statementIndex < 0 ? 'before its first statement' : `during statement ${statementIndex + 1}`;
  const error = toMigrationError(step, statementIndex, { code, message: `the connection to Postgres was lost ${at}: ${reason}` }, step.transactional ? 'unknown' : 'failed-needs-resolve', redactor);
  // Without a SQLSTATE of the server's, there is no hint to give about the statement itself.
  if (!code) error.hint = undefined;
  error.connectionLost = redactor.redact(reason);
  return error;
}
