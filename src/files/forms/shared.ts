// Line patterns every form's reader knows, and the one-direction file (pair, Flyway, plain): the whole
// text is the section, and `-- pgshift:no-transaction` at the top takes it out of a transaction.
import type { Direction, Section } from '../../types';
import { MigrationFileError } from '../errors';
import type { DownFile, FormSections } from './form';

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

/**
 * The error for a marker that is indented. Its tool matches markers at the start of the line only, so
 * to it the line is a comment: the file would not be split there and the SQL after it would run as
 * part of the section above.
 */
export function indentedMarkerError(path: string, lineNo: number, line: string, tool: string): MigrationFileError {
  return new MigrationFileError(
    path,
    lineNo,
    `"${line.trim()}" is indented, and ${tool} reads a marker only at the start of the line: to ${tool} this line is a comment, so the file would not be split there and what follows would run as part of the section above. Remove the spaces before "--".`,
  );
}

/** A line that is a marker of its form, where it is (1-based line), as written. */
export interface Marker {
  line: number;
  text: string;
}

/** The first line of `text` that `test` accepts, or undefined. */
export function firstLine(text: string, test: (line: string) => boolean): Marker | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (test(lines[i])) return { line: i + 1, text: lines[i].trim() };
  return undefined;
}

/** True when the text holds nothing but white space and comments (and stray semicolons). */
export function isBlankSql(sql: string): boolean {
  return (
    sql
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/--[^\n]*/g, '')
      .replace(/[\s;]/g, '') === ''
  );
}

/** Character offset of each line's start in `lines.join('\n')`. */
export function lineOffsets(lines: string[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const l of lines) {
    out.push(at);
    at += l.length + 1;
  }
  return out;
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

/** Lines [from, to) of a file that marks statement boundaries (StatementBegin/End): each block as a [start, end) span of the section's text. */
export type LineBlock = { from: number; to: number };

/** A section of lines [from, to), carrying the statement blocks that lie inside it. */
export function sectionOf(lines: string[], blocks: LineBlock[], path: string, from: number, to: number, transaction: boolean): Section {
  const body = lines.slice(from, to);
  const offsets = lineOffsets(body);
  const inside = blocks.filter((b) => b.from >= from && b.to <= to).map((b) => ({ start: offsets[b.from - from], end: offsets[b.to - from] }));
  return { sql: body.join('\n'), path, startLine: from + 1, transaction, ...(inside.length ? { blocks: inside } : {}) };
}

/**
 * A file with an up marker on line `up` and maybe a down marker on line `down` (0-based): the up section
 * between them, the down section from the down marker to the end, the lines above the up marker as the preamble.
 */
export function splitAtMarkers(lines: string[], up: number, down: number | undefined, section: (from: number, to: number, direction: Direction) => Section): FormSections {
  return {
    up: section(up + 1, down ?? lines.length, 'up'),
    down: down === undefined ? undefined : section(down + 1, lines.length, 'down'),
    preamble: up > 0 ? lines.slice(0, up) : undefined,
  };
}
