// dbmate: `<version>_<name>.sql` holding both sections under `-- migrate:up` / `-- migrate:down`
// headers, each optionally `transaction:false`. A file of that name without markers is plain.
import type { Section } from '../../types';
import { MigrationFileError } from '../errors';
import type { Form, FormSections } from './form';
import { DBMATE_MARKER, firstLine, indentedMarkerError, LINT_DIRECTIVES, nearMissError, nearMissMarker, PGSHIFT_DIRECTIVE } from './shared';

const NAME = /^(\d+)_(.+)\.sql$/i;

function parseOptions(path: string, lineNo: number, rest: string): boolean {
  let transaction = true;
  for (const option of rest.trim().split(/\s+/).filter(Boolean)) {
    const m = option.match(/^transaction:(true|false)$/);
    if (!m) throw new MigrationFileError(path, lineNo, `unknown option "${option}" on the section header. The only option is transaction:false (or transaction:true).`);
    transaction = m[1] === 'true';
  }
  return transaction;
}

/** Splits a dbmate file into its up and down sections; undefined when the file has no markers (plain form). */
function sections(path: string, text: string): FormSections | undefined {
  const lines = text.split('\n');
  let up: { line: number; transaction: boolean } | undefined;
  let down: { line: number; transaction: boolean } | undefined;
  let firstContent: number | undefined;
  // A pgshift directive is wrong only in a file with dbmate markers; without them the file is plain,
  // where "-- pgshift:no-transaction" is how a whole file asks to run without a transaction.
  let badDirective: { line: number; text: string } | undefined;
  let any = false;
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    const right = nearMissMarker(trimmed);
    if (right) throw nearMissError(path, i + 1, trimmed, right);
    // dbmate matches a marker at the start of the line only ("(?m)^--\s*migrate:up"); trailing space is fine.
    const m = lines[i].trimEnd().match(DBMATE_MARKER);
    if (!m && DBMATE_MARKER.test(trimmed)) throw indentedMarkerError(path, i + 1, lines[i], 'dbmate');
    if (!m) {
      const d = trimmed.match(PGSHIFT_DIRECTIVE);
      if (d && !LINT_DIRECTIVES.has(d[1])) badDirective ??= { line: i + 1, text: trimmed };
      if (firstContent === undefined && trimmed !== '' && !trimmed.startsWith('--')) firstContent = i + 1;
      continue;
    }
    any = true;
    const lineNo = i + 1;
    if (m[1] === 'up') {
      if (up) throw new MigrationFileError(path, lineNo, `a second "-- migrate:up" (the first is on line ${up.line}). Keep one up section per file.`);
      if (down) throw new MigrationFileError(path, lineNo, `"-- migrate:up" comes after "-- migrate:down" (line ${down.line}). Put the up section first.`);
      if (firstContent !== undefined) {
        throw new MigrationFileError(path, firstContent, `text before "-- migrate:up" (line ${lineNo}) would belong to no section. Move it below the marker or delete it.`);
      }
      up = { line: lineNo, transaction: parseOptions(path, lineNo, m[2]) };
    } else if (m[1] === 'down') {
      if (!up) throw new MigrationFileError(path, lineNo, `"-- migrate:down" with no "-- migrate:up" before it. Add "-- migrate:up" above the up SQL.`);
      if (down) throw new MigrationFileError(path, lineNo, `a second "-- migrate:down" (the first is on line ${down.line}). Keep one down section per file.`);
      down = { line: lineNo, transaction: parseOptions(path, lineNo, m[2]) };
    } else {
      throw new MigrationFileError(path, lineNo, `unknown directive "${trimmed}". Sections start with "-- migrate:up" and "-- migrate:down".`);
    }
  }
  if (!any) return undefined;
  if (badDirective) {
    throw new MigrationFileError(path, badDirective.line, `unknown directive "${badDirective.text}". In a file with -- migrate:up, use "-- migrate:up transaction:false" instead.`);
  }
  if (!up) throw new MigrationFileError(path, undefined, 'no "-- migrate:up" section. Add one above the up SQL.');
  const upEnd = down ? down.line - 1 : lines.length;
  const section = (from: number, to: number, transaction: boolean): Section => ({
    sql: lines.slice(from, to).join('\n'),
    path,
    startLine: from + 1,
    transaction,
  });
  return {
    up: section(up.line, upEnd, up.transaction),
    down: down ? section(down.line, lines.length, down.transaction) : undefined,
    // Only comments and blank lines can sit above the marker (anything else was refused above).
    preamble: up.line > 1 ? lines.slice(0, up.line - 1) : undefined,
  };
}

/** A dbmate marker as dbmate matches it: "-- migrate:up" or "-- migrate:down" at the start of a line. */
const MARKER = /^--\s*migrate:(up|down)(\s*$|\s+\S)/;

export const dbmate: Form = {
  id: 'dbmate',
  tool: 'dbmate',
  addDown: 'Add a "-- migrate:down" section (left empty if there is nothing to undo)',
  marker: (text) => firstLine(text, (line) => MARKER.test(line)),
  claims(fileName) {
    const m = fileName.match(NAME);
    return m ? { version: m[1], name: m[2], role: 'up' } : undefined;
  },
  sections,
  noTransactionHeader: (direction) => ({ line: `-- migrate:${direction} transaction:false`, isSectionHeader: true }),
  template: () => '-- migrate:up\n\n\n-- migrate:down\n\n',
  fileNames: '<version>_<name>.sql',
};
