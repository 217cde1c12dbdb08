// Line patterns every form's reader knows, and the one-direction file (pair, Flyway, plain): the whole
// text is the section, and `-- pgshift:no-transaction` at the top takes it out of a transaction.
import type { Section } from '../../types';
import { MigrationFileError } from '../errors';
import type { DownFile } from './form';

export const DBMATE_MARKER = /^--\s*migrate:(\S*)(.*)$/;
/** A marker in all but case or spacing: "-- Migrate:Up", "-- migrate: up", "-- migrate : down". */
const LOOSE_MARKER = /^--\s*migrate\s*:\s*(up|down)(?![\w-])(.*)$/i;

/**
 * The right spelling of a line that is a dbmate marker in all but case or spacing, or undefined. Such
 * a line is not a marker to dbmate (it matches `-- migrate:up` exactly, at the start of the line), so
 * the file would be read as one plain section and its down SQL would run as part of up.
 */
export function nearMissMarker(trimmedLine: string): string | undefined {
  const m = trimmedLine.match(LOOSE_MARKER);
  if (!m) return undefined;
  const direction = m[1].toLowerCase();
  if (trimmedLine.match(DBMATE_MARKER)?.[1] === direction) return undefined;
  // Options stay as written ("transaction:false"); anything glued to the word is dropped.
  return /^\s+\S/.test(m[2]) ? `-- migrate:${direction} ${m[2].trim()}` : `-- migrate:${direction}`;
}

/** The error for a near-miss marker: what to write instead, and what happens if it stays. */
export function nearMissError(path: string, lineNo: number, line: string, right: string): MigrationFileError {
  return new MigrationFileError(
    path,
    lineNo,
    `"${line}" is not a section marker: markers are lower case with no space around the colon. Write "${right}": as it stands the line is only a comment, so the file would not be split there and its down SQL would run as part of up.`,
  );
}

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
    if (DBMATE_MARKER.test(line) || nearMissMarker(line) !== undefined) {
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
