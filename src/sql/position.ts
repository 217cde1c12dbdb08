// Maps character offsets in a section to file lines and columns, and draws the caret excerpt that
// error reports show under the failing spot.

/** Offsets at which each line of `text` starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

const SURROGATE = /[\ud800-\udfff]/;

/** True when some character of `text` takes two UTF-16 units (an emoji, say). */
export function hasAstral(text: string): boolean {
  return SURROGATE.test(text);
}

/**
 * The string index `count` characters after `from`. Postgres counts positions in characters (code
 * points) while JS strings index UTF-16 units: they differ after an emoji or other astral character.
 */
export function codePointIndex(text: string, count: number, from = 0): number {
  if (!hasAstral(text)) return Math.min(text.length, from + count);
  let i = from;
  for (let n = 0; n < count && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}

/**
 * 1-based file line and column of a 0-based offset (string index) into a section starting on
 * `startLine`. The column counts characters (code points), as Postgres does, not UTF-16 units: pass
 * the section's text when it has astral characters (`hasAstral`), so a long section is scanned once.
 */
export function locate(starts: number[], startLine: number, offset: number, text?: string): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  const before = text !== undefined ? [...text.slice(starts[lo], offset)].length : offset - starts[lo];
  return { line: startLine + lo, column: before + 1 };
}

/**
 * The statement's lines around `offset` (0-based, within the statement), each prefixed with its file
 * line number, with a caret under the spot. Long statements keep two lines either side.
 */
export function caretExcerpt(statement: string, statementLine: number, offset: number | undefined): string {
  const lines = statement.split('\n');
  const starts = lineStarts(statement);
  const at = offset === undefined ? undefined : locate(starts, 0, Math.max(0, Math.min(offset, statement.length)), hasAstral(statement) ? statement : undefined);
  const focus = at?.line ?? 0;
  const from = Math.max(0, focus - 2);
  const to = Math.min(lines.length, focus + 3);
  const width = String(statementLine + to).length;
  const out: string[] = [];
  for (let i = from; i < to; i++) {
    out.push(`${String(statementLine + i).padStart(width)} | ${lines[i]}`);
    if (at && i === focus) {
      out.push(`${' '.repeat(width)} | ${' '.repeat(Math.max(0, at.column - 1))}^`);
    }
  }
  if (to < lines.length) out.push(`${' '.repeat(width)} | …`);
  return out.join('\n');
}
