// Pair: `<version>_<name>.up.sql` with an optional `<version>_<name>.down.sql` next to it.
import { versionId } from '../version';
import type { Form } from './form';
import { NO_TRANSACTION_LINE, separateFiles } from './shared';

const NAME = /^(\d+)_(.+)\.(up|down)\.sql$/i;

export const pair: Form = {
  id: 'pair',
  tool: 'golang-migrate',
  addDown: 'Add a <version>_<name>.down.sql file next to it (an empty one if there is nothing to undo)',
  claims(fileName) {
    const m = fileName.match(NAME);
    if (!m) return undefined;
    // The down file belongs to the up file of the same version and name.
    const pairKey = `${versionId(m[1])}/${m[2]}`;
    return { version: m[1], name: m[2], role: m[3].toLowerCase() === 'up' ? 'up' : 'down', pairKey };
  },
  sections: separateFiles,
  noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
  template: (name) => `-- Migration ${name}\n\n`,
  fileNames: '<version>_<name>.up.sql/.down.sql',
};
