// Maps character offsets in a section to file lines and columns, and draws the caret excerpt that
// error reports show under the failing spot.

/** Offsets at which each line of `text` starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based file line and column of a 0-based offset into a section starting on `startLine`. */
export function locate(starts: number[], startLine: number, offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: startLine + lo, column: offset - starts[lo] + 1 };
}

/**
 * The statement's lines around `offset` (0-based, within the statement), each prefixed with its file
 * line number, with a caret under the spot. Long statements keep two lines either side.
 */
export function caretExcerpt(statement: string, statementLine: number, offset: number | undefined): string {
  const lines = statement.split('\n');
  const starts = lineStarts(statement);
  const at = offset === undefined ? undefined : locate(starts, 0, Math.max(0, Math.min(offset, statement.length)));
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
