// Flyway: `V<version>__<name>.sql`, with an optional undo file `U<version>__<name>.sql`. Versions may
// have parts ("1.2", "1_2"). Repeatable `R__` migrations are not supported.
import { versionId } from '../version';
import type { Form } from './form';
import { NO_TRANSACTION_LINE, separateFiles } from './shared';

const NAME = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;

export const flyway: Form = {
  id: 'flyway',
  claims(fileName) {
    const m = fileName.match(NAME);
    if (!m) return undefined;
    // As in Flyway, an undo file belongs to the versioned file of the same version, whatever its name.
    return { version: m[2], name: m[3], role: m[1] === 'V' ? 'up' : 'down', pairKey: versionId(m[2]) };
  },
  sections: separateFiles,
  noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
  template: (name) => `-- Migration ${name}\n\n`,
  fileNames: 'V<version>__<name>.sql',
  unsupported: (fileName) => (/^R__/.test(fileName) ? 'Flyway repeatable migrations are not supported' : undefined),
};
