// sql-migrate (rubenv/sql-migrate): any `*.sql` name, ordered by its leading number (VersionInt), with
// `-- +migrate Up [notransaction]` / `-- +migrate Down [notransaction]` and StatementBegin/StatementEnd,
// read as sqlparse/sqlparse.go reads them: a command is a line that starts with exactly "-- +migrate ",
// case and spacing as written. A `<version>_<name>.sql` name is dbmate's, so such a file is sql-migrate
// when it holds these markers; any other .sql name is looked at (peek) only when no form claims it.
import { MigrationFileError } from '../errors';
import type { Form, FormSections, NamedFile } from './form';
import { firstLine, LINT_DIRECTIVES, PGSHIFT_DIRECTIVE, sectionOf, splitAtMarkers, type LineBlock, type Marker } from './shared';

const PREFIX = '-- +migrate ';
const COMMANDS = ['Up', 'Down', 'StatementBegin', 'StatementEnd'];
/** A line meant as a command, in any case or spacing ("--+migrate up", "  -- +Migrate Down"). */
const LOOSE = /^\s*--\s*\+migrate\b\s*(\S*)(.*)$/i;

/** The command and its options, for a line sql-migrate reads as one. */
function command(line: string): { name: string; options: string[] } | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  const [name, ...options] = line.slice(PREFIX.length).trim().split(/\s+/);
  return COMMANDS.includes(name) ? { name, options } : undefined;
}

/** The right spelling of a line that is a command in all but case or spacing, or undefined. */
function nearMiss(line: string): string | undefined {
  if (command(line.trimEnd())) return undefined;
  const m = line.match(LOOSE);
  if (!m) return undefined;
  const name = COMMANDS.find((c) => c.toLowerCase() === m[1].toLowerCase());
  // An unknown command is a line sql-migrate skips: name the ones it knows.
  return name ? `${PREFIX}${name}${m[2].trim() ? ` ${m[2].trim()}` : ''}` : `${PREFIX}Up", "${PREFIX}Down", "${PREFIX}StatementBegin" or "${PREFIX}StatementEnd`;
}

function sections(path: string, text: string): FormSections | undefined {
  const lines = text.split('\n');
  let up: { line: number; transaction: boolean } | undefined;
  let down: { line: number; transaction: boolean } | undefined;
  let open: number | undefined;
  let firstContent: number | undefined;
  let any = false;
  let badDirective: number | undefined;
  const blocks: LineBlock[] = [];
  const fail = (i: number, why: string) => new MigrationFileError(path, i + 1, why);
  const options = (i: number, given: string[]): boolean => {
    for (const o of given) if (o !== 'notransaction') throw fail(i, `unknown option "${o}" on "${lines[i].trim()}". The only option is notransaction.`);
    return !given.includes('notransaction');
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    const c = command(line);
    if (!c) {
      const right = nearMiss(line);
      if (right)
        throw fail(
          i,
          `"${line.trim()}" is not a sql-migrate command: sql-migrate reads "-- +migrate " at the start of the line, then Up, Down, StatementBegin or StatementEnd as written. Write "${right}"; as it stands the line is a comment and the file would not be split there.`,
        );
      const trimmed = line.trim();
      // Wrong only in a sql-migrate file: a file without its markers is read by the next form.
      const d = trimmed.match(PGSHIFT_DIRECTIVE);
      if (d && !LINT_DIRECTIVES.has(d[1])) badDirective ??= i;
      if (!up && firstContent === undefined && trimmed !== '' && !trimmed.startsWith('--')) firstContent = i;
      continue;
    }
    any = true;
    switch (c.name) {
      case 'Up':
        if (up) throw fail(i, `a second "-- +migrate Up" (the first is on line ${up.line + 1}). pgshift reads one Up section per file: merge them.`);
        if (down) throw fail(i, `"-- +migrate Up" after "-- +migrate Down" (line ${down.line + 1}). Put the Up section first.`);
        if (firstContent !== undefined)
          throw fail(firstContent, `text before "-- +migrate Up" (line ${i + 1}) belongs to no section: sql-migrate never runs it. Move it below the marker or delete it.`);
        up = { line: i, transaction: options(i, c.options) };
        break;
      case 'Down':
        if (!up) throw fail(i, '"-- +migrate Down" with no "-- +migrate Up" before it. Put the Up section first.');
        if (down) throw fail(i, `a second "-- +migrate Down" (the first is on line ${down.line + 1}). pgshift reads one Down section per file: merge them.`);
        if (open !== undefined) throw fail(open, '"-- +migrate StatementBegin" is not closed before "-- +migrate Down". Add "-- +migrate StatementEnd" after the statement.');
        down = { line: i, transaction: options(i, c.options) };
        break;
      case 'StatementBegin':
        if (!up) throw fail(i, '"-- +migrate StatementBegin" before "-- +migrate Up". Put it inside the Up or Down section.');
        if (open !== undefined) throw fail(i, `"-- +migrate StatementBegin" inside another one (line ${open + 1}). Close the first with "-- +migrate StatementEnd".`);
        open = i;
        break;
      default:
        if (open === undefined) throw fail(i, '"-- +migrate StatementEnd" with no "-- +migrate StatementBegin" before it. Add the StatementBegin above the statement, or delete this line.');
        blocks.push({ from: open + 1, to: i });
        open = undefined;
    }
  }
  if (!any) return undefined;
  if (badDirective !== undefined)
    throw fail(badDirective, `unknown directive "${lines[badDirective].trim()}". In a sql-migrate file, write "-- +migrate Up notransaction" to run it outside a transaction.`);
  if (!up) throw new MigrationFileError(path, undefined, 'sql-migrate markers but no "-- +migrate Up". Add it above the up SQL.');
  if (open !== undefined) throw fail(open, '"-- +migrate StatementBegin" is never closed: sql-migrate refuses such a file. Add "-- +migrate StatementEnd" after the statement.');
  const header = { up, down };
  return splitAtMarkers(lines, up.line, down?.line, (from, to, direction) => sectionOf(lines, blocks, path, from, to, header[direction]!.transaction));
}

const marker = (text: string): Marker | undefined => firstLine(text, (line) => command(line.trimEnd()) !== undefined);

export const sqlMigrate: Form = {
  id: 'sql-migrate',
  tool: 'sql-migrate',
  addDown: 'Add a "-- +migrate Down" section (left empty if there is nothing to undo)',
  readsNamesOf: 'dbmate',
  // Its `<version>_<name>.sql` names are claimed as dbmate's; its other names only by peek().
  claims: () => undefined,
  peek(fileName, text): NamedFile | undefined {
    if (!fileName.endsWith('.sql') || fileName.includes('/')) return undefined;
    const found = marker(text());
    if (!found) return undefined;
    // sql-migrate's version is the leading number of the whole name ("^(\d+).*$", VersionInt).
    const m = fileName.match(/^(\d+)(.*)\.sql$/);
    if (!m)
      throw new MigrationFileError(
        fileName,
        found.line,
        `a sql-migrate migration whose name does not start with a number. sql-migrate runs such files after every numbered one, by name; pgshift orders migrations by version only, so it cannot place this one. Rename it to <number>_<name>.sql.`,
      );
    const name = m[2].replace(/^[-_.\s]+/, '') || m[1];
    return { version: m[1], name, role: 'up' };
  },
  marker,
  sections,
  noTransactionHeader: (direction) => ({ line: `-- +migrate ${direction === 'up' ? 'Up' : 'Down'} notransaction`, isSectionHeader: true }),
  template: () => '-- +migrate Up\n\n\n-- +migrate Down\n\n',
};
