// Statements that Flyway's PostgreSQL parser marks as unable to run in a transaction
// (PostgreSQLParser.detectCanExecuteInTransaction): a Flyway V script holding one runs without one.
// Read from the parse tree instead of Flyway's keyword patterns, which they mirror one for one.
import type { Statement } from '../types';

/** REINDEX of these objects only: Flyway's pattern is "^REINDEX( VERBOSE)? (SCHEMA|DATABASE|SYSTEM)". */
const REINDEX_KINDS = new Set(['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_DATABASE', 'REINDEX_OBJECT_SYSTEM']);

/** CREATE/DROP DATABASE, TABLESPACE and SUBSCRIPTION ("^(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)") and ALTER SYSTEM. */
const ALWAYS = new Set(['CreatedbStmt', 'DropdbStmt', 'CreateTableSpaceStmt', 'DropTableSpaceStmt', 'CreateSubscriptionStmt', 'DropSubscriptionStmt', 'AlterSystemStmt']);

/**
 * True when Flyway would run the script holding this statement outside a transaction. Flyway also
 * counts ALTER TYPE … ADD VALUE, but only on servers older than 12, where Postgres refuses it in a
 * transaction; on 12 and later it runs in one, and so it does here.
 */
export function flywayRunsOutsideTransaction(s: Statement): boolean {
  const node = s.node;
  if (ALWAYS.has(s.kind)) return true;
  switch (s.kind) {
    case 'IndexStmt':
      return node.concurrent === true;
    case 'DropStmt':
      return node.concurrent === true && node.removeType === 'OBJECT_INDEX';
    case 'ReindexStmt':
      return REINDEX_KINDS.has(String(node.kind));
    case 'VacuumStmt':
      // ANALYZE parses as a VacuumStmt too; Flyway's pattern is "^VACUUM".
      return node.is_vacuumcmd === true;
    case 'DiscardStmt':
      return node.target === 'DISCARD_ALL';
    default:
      return false;
  }
}

/** The statement's first words, for a note ("CREATE INDEX CONCURRENTLY users_email_idx …"). */
export function statementWords(s: Statement): string {
  const words = s.sql.replace(/\s+/g, ' ').split(' ');
  return words.length > 4 ? `${words.slice(0, 4).join(' ')} …` : words.join(' ');
}
