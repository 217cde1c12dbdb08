// Flyway: `V<version>__<name>.sql`, with an optional undo file `U<version>__<name>.sql`. Versions may
// have parts ("1.2", "1_2"). Repeatable `R__<name>.sql` migrations run after the versioned ones whenever
// they are new or changed, as Flyway runs them; their identity is "R__<name>" (see repeatableVersion).
import { flywayRunsOutsideTransaction } from '../../sql/transaction';
import { versionId } from '../version';
import type { Form } from './form';
import { NO_TRANSACTION_LINE, separateFiles } from './shared';

const NAME = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const REPEATABLE = /^R__(.+)\.sql$/;

export const flyway: Form = {
  id: 'flyway',
  tool: 'Flyway',
  addDown: 'Add an undo file U<version>__<name>.sql of the same version (an empty one if there is nothing to undo)',
  // As Flyway does: a script holding a statement that cannot run in a transaction runs without one.
  outsideTransaction: (statements) => statements.find(flywayRunsOutsideTransaction),
  claims(fileName) {
    const r = fileName.match(REPEATABLE);
    if (r) return { version: repeatableVersion(r[1]), name: r[1], role: 'repeatable' };
    const m = fileName.match(NAME);
    if (!m) return undefined;
    // As in Flyway, an undo file belongs to the versioned file of the same version, whatever its name.
    return { version: m[2], name: m[3], role: m[1] === 'V' ? 'up' : 'down', pairKey: versionId(m[2]) };
  },
  sections: separateFiles,
  noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
  template: (name) => `-- Migration ${name}\n\n`,
  fileNames: 'V<version>__<name>.sql',
};

/** A repeatable migration's identity in the tracking table: Flyway's script name without ".sql". */
export function repeatableVersion(name: string): string {
  return `R__${name}`;
}

/** True for the identity of a repeatable migration (a tracking row's version, a MigrationFile's). */
export function isRepeatableVersion(version: string): boolean {
  return version.startsWith('R__');
}
