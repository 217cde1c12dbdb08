// Line patterns every form's reader knows, and the one-direction file (pair, Flyway, plain): the whole
// text is the section, and `-- pgshift:no-transaction` at the top takes it out of a transaction.
import type { Section } from '../../types';
import { MigrationFileError } from '../errors';
import type { DownFile } from './form';

export const DBMATE_MARKER = /^--\s*migrate:(\S*)(.*)$/;
export const PGSHIFT_DIRECTIVE = /^--\s*pgshift:(\S*)(.*)$/;
/** Directives that belong to the linter, accepted anywhere. */
export const LINT_DIRECTIVES = new Set(['ignore']);

export const NO_TRANSACTION_LINE = '-- pgshift:no-transaction';

/** Reads `-- pgshift:no-transaction` from the leading comments of a single-section file. */
export function standaloneSection(path: string, sql: string): Section {
  let transaction = true;
  const lines = sql.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const d = line.match(PGSHIFT_DIRECTIVE);
    if (d) {
      if (d[1] === 'no-transaction' && d[2].trim() === '') transaction = false;
      else if (!LINT_DIRECTIVES.has(d[1])) {
        throw new MigrationFileError(path, i + 1, `unknown directive "${line}". pgshift knows "-- pgshift:no-transaction" and "-- pgshift:ignore <rule>".`);
      }
      continue;
    }
    if (DBMATE_MARKER.test(line)) {
      throw new MigrationFileError(
        path,
        i + 1,
        `"${line}" is a dbmate marker, but this file's name gives it one direction only. Remove the marker, or use a single <version>_<name>.sql file with both sections.`,
      );
    }
  }
  return { sql, path, startLine: 1, transaction };
}

/** The sections of a form whose down (if any) is a file of its own. */
export function separateFiles(path: string, text: string, down?: DownFile): { up: Section; down?: Section } {
  const up = standaloneSection(path, text);
  return { up, down: down ? standaloneSection(down.path, down.text()) : undefined };
}
