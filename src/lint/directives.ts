// `-- pgshift:ignore <rule>[, <rule>...]` lines: which statement (or the whole file) each silences.
//
// A directive applies to the statement(s) starting on the first line after its comment block, when no
// blank line or other text comes between; inside a statement, to that statement. Elsewhere before the
// first statement (or above a dbmate `-- migrate:up` header) it applies to the whole file. Anywhere
// else it silences nothing and is reported, as is a directive naming no rule or an unknown rule.
import type { Section, Statement } from '../types';
import { RULES_BY_ID } from './rules';
import { closestRuleId } from './suggest';

const DIRECTIVE = /^--\s*pgshift:(\S*)(.*)$/;

export interface DirectiveProblem {
  rule: 'ignore-without-rules' | 'unknown-rule' | 'misplaced-ignore';
  line: number;
  column: number;
  what: string;
}

export interface Directives {
  /** Rules silenced for every statement of the section. */
  file: Set<string>;
  /** Rules silenced per statement, by index in the section's statements. */
  byStatement: Map<number, Set<string>>;
  problems: DirectiveProblem[];
}

interface Ignore {
  /** 0-based line in the scanned text. */
  index: number;
  line: number;
  column: number;
  rules: string[];
  text: string;
}

/** The ignore directives among `lines`; `firstLine` is the file line of lines[0]. */
function ignoresIn(lines: string[], firstLine: number): Ignore[] {
  const out: Ignore[] = [];
  lines.forEach((raw, index) => {
    const text = raw.trim();
    const d = text.match(DIRECTIVE);
    if (!d || d[1] !== 'ignore') return;
    // Text after a further "--" is the reason, for the reader.
    const names = d[2]
      .replace(/(^|\s)--.*$/, '')
      .split(/[\s,]+/)
      .filter(Boolean);
    out.push({ index, line: firstLine + index, column: raw.indexOf('--') + 1, rules: names, text });
  });
  return out;
}

const isComment = (line: string | undefined) => line !== undefined && line.trim().startsWith('--');

/**
 * @param preamble the file's lines above the section, from line 1, when they belong to its top (a
 *   dbmate file's lines above "-- migrate:up"); their directives apply to the whole file.
 */
export function readDirectives(section: Section, statements: readonly Statement[], preamble: string[] = []): Directives {
  const result: Directives = { file: new Set(), byStatement: new Map(), problems: [] };
  const lines = section.sql.split('\n');
  const spans = statements.map((s) => {
    const start = s.line - section.startLine;
    return { start, end: start + (s.sql.match(/\n/g)?.length ?? 0), column: s.column };
  });
  const firstStatement = spans.length ? spans[0].start : lines.length;

  /** Indexes of the statements a directive on line `index` of the section applies to. */
  const targets = (index: number): number[] => {
    const inside = spans.findIndex((sp) => sp.start < index && index <= sp.end);
    if (inside >= 0) return [inside];
    let next = index + 1;
    while (isComment(lines[next])) next++;
    const lead = (lines[next] ?? '').length - (lines[next] ?? '').trimStart().length + 1;
    const starting = spans.flatMap((sp, k) => (sp.start === next ? [k] : []));
    // The line must begin with a statement, not with the tail of one that started above it.
    return starting.length && spans[starting[0]].column === lead ? starting : [];
  };

  const apply = (ig: Ignore, into: Set<string>) => {
    if (ig.rules.length === 0) {
      result.problems.push({ rule: 'ignore-without-rules', line: ig.line, column: ig.column, what: `"${ig.text}" names no rule` });
      return;
    }
    for (const r of ig.rules) {
      if (RULES_BY_ID.has(r)) into.add(r);
      else {
        const near = closestRuleId(r);
        result.problems.push({ rule: 'unknown-rule', line: ig.line, column: ig.column, what: `"${r}" in "${ig.text}"${near ? ` (did you mean "${near}"?)` : ''}` });
      }
    }
  };

  for (const ig of ignoresIn(preamble, 1)) apply(ig, result.file);
  for (const ig of ignoresIn(lines, section.startLine)) {
    const hit = targets(ig.index);
    if (hit.length) {
      const rules = new Set<string>();
      apply(ig, rules);
      for (const k of hit) result.byStatement.set(k, new Set([...(result.byStatement.get(k) ?? []), ...rules]));
    } else if (ig.index < firstStatement) {
      apply(ig, result.file);
    } else {
      result.problems.push({ rule: 'misplaced-ignore', line: ig.line, column: ig.column, what: `"${ig.text}"` });
    }
  }
  return result;
}
