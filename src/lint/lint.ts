// Runs the rules over a batch of sections, in order, remembering what the batch created so far. The
// linter reads no file: a section comes with its migration (which keeps a dbmate file's preamble) and,
// from a plan, with the statements the plan already split.
import { SqlSyntaxError, splitStatements } from '../sql/split';
import type { Direction, Migration, PlannedStep, Section, Statement } from '../types';
import { as, fromRangeVar, type NodeKind, type NodeOf } from './ast';
import { Batch } from './batch';
import { readDirectives } from './directives';
import { ruleDocs } from './docs';
import { questionsOf, type DatabaseFacts, type Questions } from './facts';
import type { CmdContext, Hits, Rule, RuleContext } from './rule';
import { FIXED_RULES, RULES, ruleInfo } from './rules';
import type { Finding, LintConfig, Severity } from '../types';

export const DEFAULT_LINT_CONFIG: LintConfig = { rules: {} };

/** A finding before ignores and config: which statement it is about, if any. */
interface Raw {
  rule: string;
  what: string;
  severity?: Severity;
  why?: string;
  safe?: string;
  line: number;
  column: number;
  statement?: number;
}

/** Where and why a section does not parse. */
type SyntaxProblem = NonNullable<PlannedStep['syntaxError']>;

export interface LintItem {
  migration: Migration;
  section: Section;
  /** The section already split (its whole split, BEGIN/COMMIT included), or why it does not parse; split here when absent. */
  parsed?: Statement[] | SyntaxProblem;
  /** A down section (default up): what runs when the migration is rolled back. */
  direction?: Direction;
}

/** The rules that check sections of each direction. */
const RULES_FOR: Record<Direction, Rule[]> = {
  up: RULES.filter((r) => r.direction !== 'down'),
  down: RULES.filter((r) => r.direction !== 'up'),
};

/** Lints sections as one batch, in order; a section without `parsed` is split here. */
export function lintSections(items: LintItem[], config: LintConfig = DEFAULT_LINT_CONFIG, facts?: DatabaseFacts): Finding[] {
  const batch = new Batch();
  const findings: (Finding & { order: number })[] = [];
  items.forEach((item, order) => {
    for (const f of lintSection(item, batch, config, facts)) findings.push({ ...f, order });
  });
  // Stable: findings on one statement keep the order of its subcommands.
  findings.sort((a, b) => a.order - b.order || a.line - b.line || a.column - b.column);
  return findings.map(({ order: _, ...f }) => f);
}

/** Lints a plan's steps (up or down) with the statements the plan split: no section is parsed again. */
export function lintSteps(steps: PlannedStep[], config: LintConfig = DEFAULT_LINT_CONFIG, facts?: DatabaseFacts): Finding[] {
  return lintSections(stepItems(steps), config, facts);
}

function stepItems(steps: PlannedStep[]): LintItem[] {
  return steps.map((step) => ({ migration: step.migration, section: step.section, parsed: step.syntaxError ?? step.parsed ?? step.statements, direction: step.direction }));
}

/** Lints the rollbacks of an up plan's steps, in the order a rollback of them all would run (newest first). */
export function lintRollbacks(steps: PlannedStep[], config: LintConfig = DEFAULT_LINT_CONFIG, facts?: DatabaseFacts): Finding[] {
  return lintSections(rollbackItems(steps), config, facts);
}

function rollbackItems(steps: PlannedStep[]): LintItem[] {
  const items: LintItem[] = [];
  for (const step of [...steps].reverse()) if (step.rollback) items.push({ migration: step.migration, section: step.rollback, direction: 'down' });
  return items;
}

/** What to ask the database before linting these items (see lint/facts.ts). */
export function questionsFor(items: LintItem[]): Questions {
  return questionsOf(items.flatMap((item) => statementsOf(item)));
}

/** What to ask the database before linting a plan: its steps and, with `rollbacks`, their down sections. */
export function planQuestions(steps: PlannedStep[], rollbacks: boolean): Questions {
  return questionsFor([...stepItems(steps), ...(rollbacks ? rollbackItems(steps) : [])]);
}

/** An item's statements, split here when the caller did not; none when it does not parse. */
function statementsOf(item: LintItem): readonly Statement[] {
  const parsed = item.parsed ?? split(item.section);
  return Array.isArray(parsed) ? parsed : [];
}

function split(section: Section): Statement[] | SyntaxProblem {
  try {
    // Every statement the parser found, also inside a StatementBegin/StatementEnd block sent as one; an
    // empty down holds none.
    return section.empty ? [] : splitStatements(section).flatMap((s) => s.parts ?? [s]);
  } catch (err) {
    if (!(err instanceof SqlSyntaxError)) throw err;
    return { line: err.line, column: err.column, reason: err.reason };
  }
}

function lintSection({ migration, section, parsed = split(section), direction = 'up' }: LintItem, batch: Batch, config: LintConfig, facts?: DatabaseFacts): Finding[] {
  if (!Array.isArray(parsed)) {
    // The parser's reason already says what to do.
    return finish(migration, section, [{ rule: 'syntax-error', what: parsed.reason, why: '', safe: '', line: parsed.line, column: parsed.column }], config);
  }
  const statements: readonly Statement[] = parsed;
  const directives = readDirectives(section, statements, preamble(migration, section));
  const raws: Raw[] = directives.problems.map((p) => ({ ...p }));
  const collect = (rule: Rule, hits: Hits, stmt: Statement, index: number) => {
    for (const h of [hits].flat()) {
      if (!h) continue;
      const hit = typeof h === 'string' ? { what: h } : h;
      raws.push({ rule: rule.id, ...hit, line: stmt.line, column: stmt.column, statement: index });
    }
  };

  const rules = RULES_FOR[direction];
  batch.transactionEnded();
  let inBlock = false; // inside the file's own BEGIN ... COMMIT in a transaction:false section
  statements.forEach((stmt, index) => {
    const ctx: RuleContext = { migration, section, stmt, statements, inTransaction: section.transaction || inBlock, batch, direction, facts };
    for (const rule of rules) {
      if (rule.on['*']) collect(rule, rule.on['*'](stmt, ctx), stmt, index);
      const check = rule.on[stmt.kind as NodeKind] as ((n: unknown, c: RuleContext) => Hits) | undefined;
      if (check) collect(rule, check(stmt.node, ctx), stmt, index);
    }
    const alter = stmt.kind === 'AlterTableStmt' ? (stmt.node as NodeOf<'AlterTableStmt'>) : undefined;
    const table = alter?.objtype === 'OBJECT_TABLE' ? fromRangeVar(alter.relation) : undefined;
    if (alter && table) {
      // Subcommands in order, each seeing what the ones before it did (ADD ... NOT VALID, VALIDATE).
      for (const node of alter.cmds ?? []) {
        const cmd = as(node, 'AlterTableCmd');
        if (!cmd) continue;
        const cmdCtx: CmdContext = { ...ctx, table, tableIsNew: batch.isNewTable(table) };
        for (const rule of rules) if (rule.on.AlterTableCmd) collect(rule, rule.on.AlterTableCmd(cmd, cmdCtx), stmt, index);
        batch.observeCmd(table, cmd, stmt);
      }
    } else {
      batch.observe(stmt);
    }
    if (!section.transaction && stmt.kind === 'TransactionStmt') {
      const kind = String(stmt.node.kind);
      if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') inBlock = true;
      else if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE') inBlock = false;
    }
    if (!section.transaction && !inBlock) batch.transactionEnded();
  });

  const silenced = (r: Raw) => directives.file.has(r.rule) || (r.statement !== undefined && directives.byStatement.get(r.statement)?.has(r.rule));
  const isDirectiveProblem = (r: Raw) => r.statement === undefined;
  return finish(
    migration,
    section,
    raws.filter((r) => isDirectiveProblem(r) || !silenced(r)),
    config,
  );
}

/** Applies the config and writes the messages. */
function finish(migration: Migration, section: Section, raws: Raw[], config: LintConfig): Finding[] {
  const out: Finding[] = [];
  for (const r of raws) {
    const rule = ruleInfo(r.rule);
    const setting = FIXED_RULES.has(r.rule) ? undefined : config.rules[r.rule];
    if (setting === 'off') continue;
    const tail = [r.why ?? rule.why, r.safe ?? rule.safe].filter(Boolean).join(' ');
    out.push({
      rule: r.rule,
      severity: setting ?? r.severity ?? rule.severity,
      message: tail ? `${r.what}: ${tail}` : r.what,
      path: section.path,
      line: r.line,
      column: r.column,
      version: migration.version,
      destructive: rule.destructive,
      docs: ruleDocs(r.rule),
    });
  }
  return out;
}

/** A dbmate file's lines above "-- migrate:up", kept when the file was read: directives there apply to the whole file. */
function preamble(migration: Migration, section: Section): string[] {
  if (section.path !== migration.upPath || section.startLine !== migration.up.startLine) return [];
  return migration.preamble ?? [];
}

/** A file pgshift cannot use as a migration, as a finding (for linting a directory or a file). */
export function fileFinding(path: string, line: number, version: string, reason: string): Finding {
  return { rule: 'invalid-file', severity: 'error', message: reason, path, line, column: 1, version, destructive: false, docs: ruleDocs('invalid-file') };
}
