// Prisma Migrate: a folder per migration, `<timestamp>_<name>/migration.sql`, next to a
// `migration_lock.toml` (not SQL, never read). Prisma has no down migrations. Discovery looks one level
// into folders for their migration.sql and names the file "<folder>/migration.sql" here.
import { flywayRunsOutsideTransaction } from '../../sql/transaction';
import type { Form } from './form';
import { NO_TRANSACTION_LINE, separateFiles } from './shared';

const NAME = /^(\d+)_([^/]+)\/migration\.sql$/;

export const prisma: Form = {
  id: 'prisma',
  tool: 'Prisma',
  addDown: 'Prisma migrations have no down: roll forward with a new migration instead',
  claims(fileName) {
    const m = fileName.match(NAME);
    return m ? { version: m[1], name: m[2], role: 'up' } : undefined;
  },
  sections: (path, text) => separateFiles(path, text),
  // Prisma sends migration.sql as one query: Postgres runs several statements as one implicit
  // transaction, but a lone statement outside any, so a file that is only CREATE INDEX CONCURRENTLY
  // (or another statement that cannot run in a transaction) works there, and so it does here.
  outsideTransaction: (statements) => (statements.length === 1 && flywayRunsOutsideTransaction(statements[0]) ? statements[0] : undefined),
  noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
  template: (name) => `-- Migration ${name}\n\n`,
  fileNames: '<timestamp>_<name>/migration.sql',
};
