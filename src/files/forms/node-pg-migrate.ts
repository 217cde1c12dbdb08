// node-pg-migrate SQL migrations: `<timestamp>_<name>.sql` (dbmate's names) split by a "-- Up Migration"
// and a "-- Down Migration" comment, matched as src/sqlMigration.ts matches them: a line that starts,
// after any white space, with "--", then spaces or dashes, then "up"/"down", white space and
// "migration", in any case. No down comment: no down. node-pg-migrate runs each migration in a
// transaction; a SQL file has no way to say otherwise, so "-- pgshift:no-transaction" above the up
// comment does (for both sections).
import { MigrationFileError } from '../errors';
import type { Form, FormSections } from './form';
import { firstLine, LINT_DIRECTIVES, NO_TRANSACTION_LINE, PGSHIFT_DIRECTIVE, sectionOf, splitAtMarkers, type Marker } from './shared';

const UP = /^\s*--[\s-]*up\s+migration/i;
const DOWN = /^\s*--[\s-]*down\s+migration/i;

function sections(path: string, text: string): FormSections | undefined {
  const lines = text.split('\n');
  // node-pg-migrate takes the first match of each (String.search).
  const up = lines.findIndex((l) => UP.test(l));
  const down = lines.findIndex((l) => DOWN.test(l));
  if (up < 0 && down < 0) return undefined;
  if (up < 0)
    throw new MigrationFileError(
      path,
      down + 1,
      `"${lines[down].trim()}" with no "-- Up Migration" before it: node-pg-migrate would run the whole file, this down section included, as the up migration. Add "-- Up Migration" above the up SQL.`,
    );
  if (down >= 0 && down < up) throw new MigrationFileError(path, down + 1, `"${lines[down].trim()}" comes before "${lines[up].trim()}" (line ${up + 1}). Put the up section first.`);
  let transaction = true;
  for (let i = 0; i < up; i++) {
    const trimmed = lines[i].trim();
    const d = trimmed.match(PGSHIFT_DIRECTIVE);
    if (d && d[1] === 'no-transaction' && d[2].trim() === '') transaction = false;
    else if (d && !LINT_DIRECTIVES.has(d[1])) throw new MigrationFileError(path, i + 1, `unknown directive "${trimmed}". pgshift knows "${NO_TRANSACTION_LINE}" and "-- pgshift:ignore <rule>".`);
    else if (trimmed !== '' && !trimmed.startsWith('--'))
      throw new MigrationFileError(path, i + 1, `text before "${lines[up].trim()}" (line ${up + 1}) belongs to no section: node-pg-migrate never runs it. Move it below that line or delete it.`);
  }
  return splitAtMarkers(lines, up, down < 0 ? undefined : down, (from, to) => sectionOf(lines, [], path, from, to, transaction));
}

export const nodePgMigrate: Form = {
  id: 'node-pg-migrate',
  tool: 'node-pg-migrate',
  addDown: 'Add a "-- Down Migration" section (left empty if there is nothing to undo)',
  readsNamesOf: 'dbmate',
  claims: () => undefined,
  marker: (text): Marker | undefined => firstLine(text, (line) => UP.test(line) || DOWN.test(line)),
  sections,
  noTransactionHeader: () => ({ line: NO_TRANSACTION_LINE, isSectionHeader: false }),
  template: () => '-- Up Migration\n\n\n-- Down Migration\n\n',
};
