// goose (pressly/goose): `<version>_<name>.sql` — dbmate's names, so a file is goose when it holds goose
// annotations. Read as goose's SQL parser reads them (internal/sqlparser/parser.go): an annotation is a
// line that starts with "--" (no indentation), then "+goose" and the command, in any case; Up comes
// first, Down after it; StatementBegin/StatementEnd enclose text that runs as one statement; NO
// TRANSACTION anywhere takes the whole file out of a transaction.
import { MigrationFileError } from '../errors';
import type { Form, FormSections } from './form';
import { firstLine, indentedMarkerError, LINT_DIRECTIVES, PGSHIFT_DIRECTIVE, sectionOf, splitAtMarkers, type LineBlock, type Marker } from './shared';

const KNOWN = new Set(['up', 'down', 'statementbegin', 'statementend', 'no transaction', 'envsub on', 'envsub off']);

/** The command of a goose annotation line ("up", "no transaction"), lower case; undefined for any other line. */
function annotation(line: string): string | undefined {
  if (!line.startsWith('--')) return undefined;
  const rest = line.slice(2).trim();
  if (!/^\+goose(\s|$)/i.test(rest)) return undefined;
  return rest.slice('+goose'.length).trim().replace(/\s+/g, ' ').toLowerCase();
}

const SPELLED: Record<string, string> = {
  up: '-- +goose Up',
  down: '-- +goose Down',
  statementbegin: '-- +goose StatementBegin',
  statementend: '-- +goose StatementEnd',
};

function sections(path: string, text: string): FormSections | undefined {
  const lines = text.split('\n');
  let up: number | undefined;
  let down: number | undefined;
  let open: number | undefined;
  let transaction = true;
  let firstContent: number | undefined;
  let any = false;
  let badDirective: number | undefined;
  const blocks: LineBlock[] = [];
  const fail = (i: number, why: string) => new MigrationFileError(path, i + 1, why);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    const command = annotation(line);
    if (command === undefined) {
      if (annotation(line.trim()) !== undefined) throw indentedMarkerError(path, i + 1, line, 'goose');
      const trimmed = line.trim();
      // Wrong only in a goose file: a file without annotations is read by the next form (plain takes it).
      const d = trimmed.match(PGSHIFT_DIRECTIVE);
      if (d && !LINT_DIRECTIVES.has(d[1])) badDirective ??= i;
      if (up === undefined && firstContent === undefined && trimmed !== '' && !trimmed.startsWith('--')) firstContent = i;
      continue;
    }
    any = true;
    switch (command) {
      case 'up':
        if (up !== undefined) throw fail(i, `a second "-- +goose Up" (the first is on line ${up + 1}). Keep one Up section per file.`);
        if (firstContent !== undefined) throw fail(firstContent, `text before "-- +goose Up" (line ${i + 1}) belongs to no section, and goose refuses it. Move it below the annotation or delete it.`);
        up = i;
        break;
      case 'down':
        if (up === undefined) throw fail(i, '"-- +goose Down" with no "-- +goose Up" before it. Add "-- +goose Up" above the up SQL.');
        if (down !== undefined) throw fail(i, `a second "-- +goose Down" (the first is on line ${down + 1}). Keep one Down section per file.`);
        if (open !== undefined) throw fail(open, '"-- +goose StatementBegin" is not closed before "-- +goose Down". Add "-- +goose StatementEnd" after the statement.');
        down = i;
        break;
      case 'statementbegin':
        if (up === undefined) throw fail(i, '"-- +goose StatementBegin" before "-- +goose Up". Put it inside the Up or Down section.');
        if (open !== undefined) throw fail(i, `"-- +goose StatementBegin" inside another one (line ${open + 1}). Close the first with "-- +goose StatementEnd".`);
        open = i;
        break;
      case 'statementend':
        if (open === undefined) throw fail(i, '"-- +goose StatementEnd" with no "-- +goose StatementBegin" before it. Add the StatementBegin above the statement, or delete this line.');
        blocks.push({ from: open + 1, to: i });
        open = undefined;
        break;
      case 'no transaction':
        transaction = false;
        break;
      default:
        if (command.startsWith('envsub'))
          throw fail(i, `"${line}": pgshift does not substitute environment variables into SQL (goose's ENVSUB). Write the values into the file, or keep applying this migration with goose.`);
        throw fail(
          i,
          `"${line}" is not a goose annotation${KNOWN.has(command) ? '' : ` (goose knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION)`}. Fix the spelling or make it a plain comment.`,
        );
    }
  }
  if (!any) return undefined;
  if (badDirective !== undefined) throw fail(badDirective, `unknown directive "${lines[badDirective].trim()}". In a goose file, write "-- +goose NO TRANSACTION" to run it outside a transaction.`);
  if (up === undefined) throw new MigrationFileError(path, undefined, 'goose annotations but no "-- +goose Up". Add it above the up SQL.');
  if (open !== undefined) throw fail(open, '"-- +goose StatementBegin" is never closed. Add "-- +goose StatementEnd" after the statement.');
  return splitAtMarkers(lines, up, down, (from, to) => sectionOf(lines, blocks, path, from, to, transaction));
}

export const goose: Form = {
  id: 'goose',
  tool: 'goose',
  addDown: 'Add a "-- +goose Down" section (left empty if there is nothing to undo)',
  readsNamesOf: 'dbmate',
  claims: () => undefined,
  marker: (text): Marker | undefined => firstLine(text, (line) => annotation(line.trimEnd()) !== undefined),
  sections,
  noTransactionHeader: () => ({ line: '-- +goose NO TRANSACTION', isSectionHeader: false }),
  template: () => `${SPELLED.up}\n\n\n${SPELLED.down}\n\n`,
};
