// Splits SQL into statements with the real Postgres parser (libpg-query): dollar quotes, nested
// comments, E'' strings and BEGIN ATOMIC bodies are the server's own business, never a `;` search.
import type { Section, Statement } from '../types';
import { codePointIndex, hasAstral, lineStarts, locate } from './position';

interface RawStmt {
  stmt: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}
interface Parser {
  parseSync(sql: string): { stmts?: RawStmt[] };
}
interface ParserError extends Error {
  sqlDetails?: { cursorPosition?: number };
}

let parser: Parser | undefined;

/** Loads the parser's WebAssembly once, on first use: commands that parse nothing never pay for it. */
export async function loadParser(): Promise<void> {
  if (parser) return;
  const mod = (await import('libpg-query')) as unknown as Parser & { loadModule(): Promise<void> };
  await mod.loadModule();
  parser = mod;
}

/** A section the parser rejects; `line`/`column` point into the file. */
export class SqlSyntaxError extends Error {
  constructor(
    readonly path: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${path}:${line}:${column}: ${reason}`);
    this.name = 'SqlSyntaxError';
  }
}

/** Character offsets for the parser's UTF-8 byte offsets. */
function byteToCharMapper(sql: string): (byte: number) => number {
  if (Buffer.byteLength(sql) === sql.length) return (b) => b;
  const map: number[] = [];
  for (let i = 0; i < sql.length; i++) {
    const cp = sql.codePointAt(i)!;
    const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < bytes; k++) map.push(i);
    if (cp >= 0x10000) i++;
  }
  map.push(sql.length);
  return (b) => map[b] ?? sql.length;
}

/** Where the statement's own text begins, past white space and comments the parser may include. */
function skipLeadingTrivia(sql: string, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const c = sql[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') i++;
    else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? to : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < to && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
    } else break;
  }
  return i;
}

/**
 * The most SQL one section may hold. The WebAssembly parser needs 55–85 times a section's size in
 * memory (measured: 10 MB of DDL took 5.6 s and 1.0 GB, 20 MB 1.8 GB, and at 40 MB it runs out of
 * memory), so a bigger section is refused before parsing, with the reason, instead of failing as bad SQL.
 */
export const MAX_SECTION_BYTES = 10 * 1024 * 1024;

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function splitStatements(section: Section): Statement[] {
  if (!parser) throw new Error('internal: loadParser() must be awaited before splitStatements()');
  const { sql } = section;
  // Characters first: a string can only hold more bytes than characters when it is long anyway.
  const bytes = sql.length * 3 > MAX_SECTION_BYTES ? Buffer.byteLength(sql) : 0;
  if (bytes > MAX_SECTION_BYTES) {
    throw new SqlSyntaxError(
      section.path,
      section.startLine,
      1,
      `this section is ${megabytes(bytes)} of SQL; pgshift reads at most ${megabytes(MAX_SECTION_BYTES)} per section, because checking it takes about 80 times its size in memory. The SQL is not wrong: split it into several migrations, and load data with COPY (psql \\copy) outside the migrations.`,
    );
  }
  const starts = lineStarts(sql);
  const astral = hasAstral(sql) ? sql : undefined;
  let parsed: { stmts?: RawStmt[] };
  try {
    parsed = parser.parseSync(sql);
  } catch (err) {
    const e = err as ParserError;
    // The parser's cursor is a 0-based count of characters (code points), not bytes nor UTF-16 units.
    const cursor = e.sqlDetails?.cursorPosition;
    // "at end of input" points past trailing blank lines, at a line that may not exist: use the end of the SQL.
    const offset = cursor !== undefined && cursor >= 0 ? Math.min(codePointIndex(sql, cursor), sql.trimEnd().length) : 0;
    const at = locate(starts, section.startLine, offset, astral);
    throw new SqlSyntaxError(section.path, at.line, at.column, `${e.message.replace(/\n/g, '\\n')} — fix the SQL there.`);
  }
  const toChar = byteToCharMapper(sql);
  const out: Statement[] = [];
  for (const raw of parsed.stmts ?? []) {
    const byteStart = raw.stmt_location ?? 0;
    const byteEnd = raw.stmt_len ? byteStart + raw.stmt_len : Buffer.byteLength(sql);
    const end = toChar(byteEnd);
    const start = skipLeadingTrivia(sql, toChar(byteStart), end);
    const text = sql.slice(start, end).replace(/\s+$/, '');
    if (!text) continue;
    const at = locate(starts, section.startLine, start, astral);
    const kind = Object.keys(raw.stmt)[0];
    out.push({ sql: text, offset: start, line: at.line, column: at.column, kind, node: (raw.stmt as Record<string, Record<string, unknown>>)[kind] ?? {} });
  }
  return section.blocks?.length ? joinBlocks(sql, out, section.blocks) : out;
}

/**
 * Explicit boundaries win: the statements inside a StatementBegin/StatementEnd block become one, sent as
 * one query as goose and sql-migrate send it (Postgres then runs a block of several in one implicit
 * transaction, as it does for them). The parser's statements stay in `parts` for the linter.
 */
function joinBlocks(sql: string, statements: Statement[], blocks: { start: number; end: number }[]): Statement[] {
  const out: Statement[] = [];
  for (let i = 0; i < statements.length;) {
    const s = statements[i];
    const block = blocks.find((b) => s.offset >= b.start && s.offset < b.end);
    let j = i + 1;
    while (block && j < statements.length && statements[j].offset < block.end) j++;
    if (j - i > 1) {
      const last = statements[j - 1];
      out.push({ ...s, sql: sql.slice(s.offset, last.offset + last.sql.length), parts: statements.slice(i, j) });
    } else out.push(s);
    i = j;
  }
  return out;
}
