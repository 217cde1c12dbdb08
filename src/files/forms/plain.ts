// Plain: a `<version>_<name>.sql` with no dbmate markers; the whole file is the up section and there is
// no down. Its names are dbmate's, so discovery gives such files to dbmate and they become plain when
// read (dbmate's sections() declines a text without markers, and plain comes next in the registry).
import type { Form } from './form';
import { dbmate } from './dbmate';
import { NO_TRANSACTION_LINE, separateFiles } from './shared';

export const plain: Form = {
  id: 'plain',
  tool: 'plain SQL',
  readsNamesOf: 'dbmate',
  addDown: 'A plain file has no down: add "-- migrate:up" above its SQL and a "-- migrate:down" section below it (dbmate form)',
  claims: (fileName) => dbmate.claims(fileName),
  sections: separateFiles,
  noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
  template: (name) => `-- Migration ${name}\n\n`,
};
