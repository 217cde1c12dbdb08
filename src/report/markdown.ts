// Markdown renderings for GitHub: the PR plan comment, the step summary and the failure issue.
import { netPlanLines, netRunLines } from './net';
import { RULES_DOCS } from '../lint/docs';
import { BEFORE_AFTER, describeDifference, type Difference, type ObjectKind, type Words } from '../schema/compare';
import type { SchemaModel } from '../schema/model';
import type { ShadowProof, Verdict } from '../schema/proof';
import type { Finding } from '../types';
import type { MigrationError, Plan, PlannedStep, RunResult, ValidationProblem } from '../types';
import { erDiagram } from './er';
import { displayMessage, displayPath, formatMs, lostState, renderTally } from './text';

export interface MarkdownContext {
  environment: string;
  dir: string;
  /** Findings the safety policy refuses (shown as such in the Safety section). */
  refused?: Finding[];
  /** A repository at a ref ("https://github.com/o/pgshift/blob/v1") whose docs/rules.md to link instead of pgshift's own. */
  docsBase?: string;
  /** Link to this workflow run, where the full plan is. */
  runUrl?: string;
  /** Findings listed at the most (a comment keeps it short; the summary has them all). */
  maxFindings?: number;
  /** The environment is protected: a refusal there says so first. */
  protected?: boolean;
  /** The commit the report describes (a pull request's head), and its page. */
  commit?: { sha: string; url?: string };
  /** When the run made the report; shown in UTC. */
  ranAt?: Date;
  /** The page showing `path` at `line` in that commit; undefined where none can (no repository known, a file outside it). */
  fileUrl?: (path: string, line?: number) => string | undefined;
}

/** A rule's documentation, an absolute URL: pgshift's own, or the docs/rules.md of `docsBase` when given. */
export function ruleUrl(f: Pick<Finding, 'rule' | 'docs'>, docsBase?: string): string {
  return docsBase ? `${docsBase.replace(/\/$/, '')}/docs/rules.md#${f.rule}` : f.docs;
}

/** `file:line` in code style, linked to that line in the commit when the context can. */
function where(path: string, line: number | undefined, ctx?: MarkdownContext, column?: number): string {
  const text = `\`${displayPath(path)}${line ? `:${line}${column ? `:${column}` : ''}` : ''}\``;
  const url = ctx?.fileUrl?.(path, line);
  return url ? `[${text}](${url})` : text;
}

/** Worst first: what the policy refuses, then errors, then warnings; destructive first within each. */
function severityRank(f: Finding, refused: Set<Finding>): number {
  return (refused.has(f) ? 0 : f.severity === 'error' ? 2 : 4) + (f.destructive ? 0 : 1);
}
function bySeverity(findings: Finding[], refused: Set<Finding> = new Set()): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => severityRank(a.f, refused) - severityRank(b.f, refused) || a.i - b.i)
    .map((x) => x.f);
}

/** A fenced block that no backtick run inside `text` can close early. */
export function fence(text: string, lang = 'sql'): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const f = '`'.repeat(longest + 1);
  return `${f}${lang}\n${text}\n${f}`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The problems as a list; past `max` of them, a line says how many more there are and where. */
/** `blocked`: whether the problems stop the run; a blocking kind that stops nothing now is a warning. */
function problemLines(problems: ValidationProblem[], blocked: boolean, max = problems.length, note = '', ctx?: MarkdownContext): string[] {
  if (!problems.length) return [];
  const rest = problems.length - max;
  return [
    '',
    '### Problems',
    '',
    ...problems.slice(0, max).map((p) => `- ${p.blocking && blocked ? '❌' : '⚠️'} ${escapeCell(displayMessage(p.message))}${problemLink(p, ctx)}`),
    ...(rest > 0 ? [`- _… and ${rest} more: ${note}._`] : []),
  ];
}

/** The problem's line in the commit (a file that is gone has none). */
function problemLink(p: ValidationProblem, ctx?: MarkdownContext): string {
  const url = p.path && p.kind !== 'missing' ? ctx?.fileUrl?.(p.path, p.line) : undefined;
  return url ? ` ([${p.line ? `line ${p.line}` : 'file'}](${url}))` : '';
}

/** "1 migration edited after it ran, 1 applied file gone": what refuses the run in the applied history; '' when nothing. */
function historyChange(plan: Plan): string {
  const applied = new Map(plan.applied.map((r) => [r.version, r.status]));
  const count = (kind: ValidationProblem['kind'], status?: string) =>
    plan.problems.filter((p) => p.blocking && p.kind === kind && p.version !== undefined && applied.has(p.version) && (!status || applied.get(p.version) === status)).length;
  const n = (k: number, one: string, many: string) => (k ? [`${k} ${k === 1 ? one : many}`] : []);
  return [
    ...n(count('modified'), 'migration edited after it ran', 'migrations edited after they ran'),
    ...n(count('file', 'applied'), 'applied file that cannot be read', 'applied files that cannot be read'),
    ...n(count('missing', 'applied'), 'applied file gone', 'applied files gone'),
    ...n(count('failed', 'failed'), 'migration marked failed', 'migrations marked failed'),
    ...n(count('failed', 'running'), 'migration still marked running', 'migrations still marked running'),
  ].join(', ');
}

/** The findings on what this plan runs: the up sections, or the down sections of a rollback. */
function runningFindings(plan: Plan): Finding[] {
  return plan.direction === 'up' ? plan.findings : (plan.rollbackFindings ?? []);
}

const FAILED_VERDICTS = new Set<Verdict['verdict']>(['up-failed', 'down-failed', 'down-mismatch', 'reapply-failed']);

/** The verdicts that say a migration does not do what it claims (no-down and skipped are said, not failed). */
export function failedVerifications(proof: ShadowProof | undefined): Verdict[] {
  return (proof?.verdicts ?? []).filter((v) => FAILED_VERDICTS.has(v.verdict));
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * What a reviewer must know first, in this order: a refusal by the safety policy (in a protected
 * environment, said so), destructive changes, a failed verification, a changed applied history; then the count.
 */
function headline(plan: Plan, ctx: MarkdownContext): string {
  const n = plan.steps.length;
  const what = plan.direction === 'up' ? 'pending' : 'to roll back';
  const where = `in \`${ctx.environment}\` (\`${ctx.dir}\`)`;
  const changed = plan.blocked ? historyChange(plan) : '';
  const refused = ctx.refused?.length ?? 0;
  const destructive = runningFindings(plan).filter((f) => f.destructive);
  const failed = failedVerifications(plan.proof).length;
  // Each alarm as the headline says it first, and as it follows another.
  const alarms: { first: string; next: string }[] = [];
  if (refused) {
    const text = `${plural(refused, 'finding')} the safety policy refuses`;
    alarms.push({ first: `Refused${ctx.protected ? ' in a protected environment' : ''}: ${text}`, next: text });
  }
  if (destructive.length) {
    const text = `${plural(destructive.length, 'destructive change')} (${[...new Set(destructive.map((f) => f.rule))].join(', ')})`;
    alarms.push({ first: text, next: text });
  }
  if (failed) alarms.push({ first: `${plural(failed, 'migration')} failed verification`, next: `${plural(failed, 'migration')} failed verification` });
  if (changed) alarms.push({ first: `Applied history changed: ${changed}`, next: `applied history changed (${changed})` });

  if (alarms.length) {
    const icon = refused || failed || plan.blocked ? '❌' : '⚠️';
    const rest = alarms.slice(1).map((a) => a.next);
    const tail = [...(rest.length ? [`also ${rest.join(', ')}`] : []), ...(plan.blocked && !refused ? ['the run would be refused'] : [])];
    const count = n ? `${plural(n, 'migration')} ${what}${changed ? ', none will run until it is settled' : ''}` : '';
    const after = [tail.join(', '), count].filter(Boolean).join('; ');
    return `${icon} **${alarms[0].first}** ${where}${after ? ` — ${after}` : ''}`;
  }
  if (n === 0 && plan.blocked) {
    return `❌ **No migration can ${plan.direction === 'up' ? 'be applied' : 'be rolled back'}** ${where} until the problems below are fixed`;
  }
  const head =
    n === 0
      ? plan.direction === 'up'
        ? `✅ **Up to date**${plan.currentVersion ? ` at \`${plan.currentVersion}\`` : ''}`
        : '✅ **Nothing to roll back**'
      : `📋 **${plural(n, 'migration')} ${what}**`;
  return `${head} ${where}${plan.blocked ? ' — ❌ **the run would be refused**' : ''}`;
}

/** "Commit `abc1234` · 2025-05-01 12:34 UTC · run": what the report describes, when, and where it ran. */
function provenance(ctx: MarkdownContext): string[] {
  const parts = [
    ...(ctx.commit ? [`commit ${ctx.commit.url ? `[\`${ctx.commit.sha.slice(0, 7)}\`](${ctx.commit.url})` : `\`${ctx.commit.sha.slice(0, 7)}\``}`] : []),
    ...(ctx.ranAt ? [`${ctx.ranAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`] : []),
    ...(ctx.runUrl ? [`[workflow run](${ctx.runUrl})`] : []),
  ];
  return parts.length ? ['', `<sub>${parts.join(' · ')}</sub>`] : [];
}

/** The worst finding on what the step runs, its severity and rule, and how many more there are. */
function riskCell(step: PlannedStep, plan: Plan, ctx: MarkdownContext): string {
  const refused = new Set(ctx.refused ?? []);
  const mine = bySeverity(
    runningFindings(plan).filter((f) => f.version === step.migration.version),
    refused,
  );
  if (!mine.length) return '✅ none';
  const worst = mine[0];
  const level = refused.has(worst) ? '❌ refused' : worst.severity === 'error' ? '🛑 error' : '⚠️ warning';
  return `${level}: ${docsLink(worst, ctx)}${worst.destructive ? ' · destructive' : ''}${mine.length > 1 ? ` (+${mine.length - 1})` : ''}`;
}

/** Whether an applied step can be undone: a down, an empty down (a no-op), or none. */
function rollbackCell(step: PlannedStep): string {
  if (!step.rollback) return '⛔ no down';
  return step.rollback.empty ? '↩️ no-op (empty down)' : '↩️ down';
}

const VERDICT_WORDS: Record<Verdict['verdict'], string> = {
  verified: 'verified',
  'up-failed': 'up failed',
  'down-failed': 'down failed',
  'down-mismatch': 'the down does not restore the schema',
  'reapply-failed': 'the up fails after its down',
  'no-down': 'no down',
  skipped: 'skipped',
};

function verifiedCell(v: Verdict | undefined): string {
  if (!v) return '—';
  const clipped = (t: string) => escapeCell(t.length > 80 ? `${t.slice(0, 80)}…` : t);
  switch (v.verdict) {
    case 'verified':
      return '✅ verified';
    case 'no-down':
      return '➖ no down';
    case 'skipped':
      return `⏭️ skipped${v.reason ? ` (${clipped(v.reason)})` : ''}`;
    default: {
      const why = v.error ? `: ${clipped(displayMessage(v.error.message))}` : v.differences?.length ? ` (${plural(v.differences.length, 'difference')})` : '';
      return `❌ ${VERDICT_WORDS[v.verdict]}${why}`;
    }
  }
}

/** The steps as a table; past `max` rows, a line says how many more there are and where. */
function stepTable(plan: Plan, ctx: MarkdownContext, max = plan.steps.length, note = ''): string[] {
  if (!plan.steps.length) return [];
  const rest = plan.steps.length - max;
  const up = plan.direction === 'up';
  const verdicts = new Map((plan.proof?.verdicts ?? []).map((v) => [v.version, v]));
  const proof = !!plan.proof;
  return [
    '',
    `| Version | Name | Statements | Transactional | Risk |${up ? ' Rollback |' : ''}${proof ? ' Verified |' : ''}`,
    `| --- | --- | ---: | --- | --- |${up ? ' --- |' : ''}${proof ? ' --- |' : ''}`,
    ...plan.steps.slice(0, max).map((s) => {
      const cells = [
        `\`${s.migration.version}\``,
        escapeCell(s.migration.name),
        String(s.statements.length),
        s.transactional ? 'yes' : '**no** (runs statement by statement)',
        riskCell(s, plan, ctx),
        ...(up ? [rollbackCell(s)] : []),
        ...(proof ? [verifiedCell(verdicts.get(s.migration.version))] : []),
      ];
      return `| ${cells.join(' | ')} |`;
    }),
    ...(rest > 0 ? ['', `_… and ${rest} more migration${rest > 1 ? 's' : ''}: ${note}._`] : []),
  ];
}

/** How a difference reads under a verdict: what the down left behind or removed too much, what the second up changed. */
const DOWN_WORDS: Words = { onlyInA: 'removed by the down, though the up did not add it', onlyInB: 'left behind by the down' };
const REAPPLY_WORDS: Words = { onlyInA: 'missing after the up ran again', onlyInB: 'only there after the up ran again' };

/** Where a verdict points: the error's line, else the down section (a mismatch), else the migration file. */
export function verdictLocation(v: Verdict, plan: Plan): { path: string; line: number; column?: number } {
  if (v.error) return { path: v.error.path, line: v.error.line, column: v.error.column };
  const step = plan.steps.find((s) => s.migration.version === v.version);
  if (v.verdict === 'down-mismatch' && step?.rollback) return { path: step.rollback.path, line: step.rollback.startLine };
  return { path: step?.section.path ?? v.path, line: step?.section.startLine ?? 1 };
}

/** A failed verdict in one sentence, and its differences in words (the annotation and the comment share them). */
export function verdictText(v: Verdict): { summary: string; differences: string[] } {
  const words = v.verdict === 'reapply-failed' ? REAPPLY_WORDS : v.verdict === 'down-mismatch' ? DOWN_WORDS : BEFORE_AFTER;
  const e = v.error;
  const error = e ? `: ${e.code ? `${e.code} ` : ''}${displayMessage(e.message)}` : '';
  return { summary: `${VERDICT_WORDS[v.verdict]}${error}`, differences: (v.differences ?? []).filter((d) => !d.note).map((d) => describeDifference(d, words)) };
}

/** Under the table: each failed verification with where it failed and what differs; and a note when the servers' majors differ. */
function verificationLines(plan: Plan, ctx: MarkdownContext): string[] {
  const proof = plan.proof;
  if (!proof) return [];
  const failed = failedVerifications(proof);
  const majors =
    proof.targetMajor !== undefined && proof.targetMajor !== proof.shadowMajor
      ? ['', `> The shadow database runs Postgres ${proof.shadowMajor} and the target Postgres ${proof.targetMajor}: a verdict may differ between the two.`]
      : [];
  if (!failed.length) return majors;
  const lines = ['', `**Verification failed** on a shadow database (Postgres ${proof.shadowMajor}):`, ''];
  for (const v of failed) {
    const at = verdictLocation(v, plan);
    const { summary, differences } = verdictText(v);
    lines.push(`- \`${v.version}\` ${escapeCell(v.name)}: ${escapeCell(summary.length > 400 ? `${summary.slice(0, 400)}…` : summary)} — ${where(at.path, at.line, ctx, at.column)}`);
    const shown = differences.slice(0, 20);
    lines.push(...shown.map((d) => `  - ${escapeCell(d)}`));
    if (differences.length > shown.length) lines.push(`  - _… and ${differences.length - shown.length} more_`);
  }
  return [...lines, ...majors];
}

const KIND_PLURAL: Record<ObjectKind, string> = {
  schema: 'schemas',
  extension: 'extensions',
  type: 'types',
  sequence: 'sequences',
  table: 'tables',
  column: 'columns',
  constraint: 'constraints',
  index: 'indexes',
  trigger: 'triggers',
  policy: 'policies',
  view: 'views',
  'materialized view': 'materialized views',
  function: 'functions',
  procedure: 'procedures',
  aggregate: 'aggregates',
};
/** The objects outside tables, in the order a reviewer looks for them. */
const OTHER_GROUPS: [string, ObjectKind[]][] = [
  ['Types', ['type']],
  ['Views', ['view', 'materialized view', 'index']],
  ['Functions', ['function', 'procedure', 'aggregate']],
  ['Sequences', ['sequence']],
  ['Schemas and extensions', ['schema', 'extension']],
];
const SIGN: Record<Difference['change'], string> = { 'only-in-a': '−', 'only-in-b': '+', changed: '~' };

const code = (name: string) => `\`${name.replace(/`/g, "'")}\``;
const clipItem = (t: string) => (t.length > 200 ? `${t.slice(0, 200)}…` : t);
/** "tasks" for "public.tasks": tables are named as the differences name them. */
const shortTable = (qualified: string) => (qualified.startsWith('public.') ? qualified.slice('public.'.length) : qualified);

/** The object's own name within its table: "title" for column "tasks.title", "fk" for "fk on tasks". */
function partName(d: Difference, table: string): string {
  if (d.kind === 'column' && d.object.startsWith(`${table}.`)) return d.object.slice(table.length + 1);
  if (d.object.endsWith(` on ${table}`)) return d.object.slice(0, -` on ${table}`.length);
  return d.object;
}

function columnType(after: SchemaModel, table: string, column: string): string | undefined {
  return after.tables.find((t) => shortTable(`${t.schema}.${t.name}`) === table)?.columns.find((c) => c.name === column)?.type;
}

/** "+ column `tenant_id` integer", "~ index `x`: definition …", "− constraint `fk`". */
function changeItem(d: Difference, name: string, after: SchemaModel, table?: string): string {
  const type = d.kind === 'column' && d.change === 'only-in-b' && table ? columnType(after, table, name) : undefined;
  const details = d.change === 'changed' ? `: ${d.details.join('; ')}` : '';
  return clipItem(`${SIGN[d.change]} ${d.kind} ${code(name)}${type ? ` ${type}` : ''}${details}`);
}

/** "tables +1 ~2 · columns +3 · functions ~1": the whole change in one line. */
function changeCounts(diffs: Difference[]): string {
  const counts = new Map<ObjectKind, Record<Difference['change'], number>>();
  for (const d of diffs) {
    const c = counts.get(d.kind) ?? { 'only-in-b': 0, changed: 0, 'only-in-a': 0 };
    c[d.change]++;
    counts.set(d.kind, c);
  }
  const order = Object.keys(KIND_PLURAL) as ObjectKind[];
  const first: ObjectKind[] = ['table', 'column', 'index', 'constraint', 'trigger', 'policy'];
  return [...first, ...order.filter((k) => !first.includes(k))]
    .filter((k) => counts.has(k))
    .map((k) => {
      const c = counts.get(k)!;
      const parts = (['only-in-b', 'changed', 'only-in-a'] as const).filter((x) => c[x]).map((x) => `${SIGN[x]}${c[x]}`);
      return `${KIND_PLURAL[k]} ${parts.join(' ')}`;
    })
    .join(' · ');
}

/**
 * The "Schema changes" section: what the pending migrations change, from the shadow's models before and
 * after them, one line per table (added, changed, removed) and per kind of other object, then the
 * entity-relationship diagram. At most `budget` characters of lines; past it, a line says how many more.
 */
function schemaChangeLines(proof: ShadowProof, budget: number, note: string): string[] {
  // A sequence a column owns comes and goes with its column: the column's line says it.
  const ownedSequence = (d: Difference) => d.kind === 'sequence' && d.change === 'only-in-b' && proof.after.sequences.some((q) => shortTable(`${q.schema}.${q.name}`) === d.object && q.ownedBy);
  const diffs = proof.changes.filter((d) => !d.note && !ownedSequence(d));
  const head = ['', '### Schema changes', ''];
  if (!diffs.length) return [...head, '✅ No schema changes: the pending migrations leave every table, index, type and function as it was.'];

  const tables = new Map<string, { own?: Difference; parts: Difference[] }>();
  const others: Difference[] = [];
  for (const d of diffs) {
    // Parts of a table name it qualified; a table names itself short. A part of no table is a view's index.
    const table = d.table ? (proof.after.tables.some((t) => `${t.schema}.${t.name}` === d.table) ? shortTable(d.table) : undefined) : d.kind === 'table' ? d.object : undefined;
    if (!table) {
      others.push(d);
      continue;
    }
    const entry = tables.get(table) ?? { parts: [] };
    if (d.kind === 'table' && !d.table) entry.own = d;
    else entry.parts.push(d);
    tables.set(table, entry);
  }

  const items: string[] = [];
  for (const [table, { own, parts }] of tables) {
    if (own?.change === 'only-in-b') {
      const t = proof.after.tables.find((x) => shortTable(`${x.schema}.${x.name}`) === table);
      const cols = t?.columns ?? [];
      const listed = cols.slice(0, 6).map((c) => `${code(c.name)} ${c.type}`);
      items.push(`- ➕ **${code(table)}** new table${cols.length ? `: ${listed.join(', ')}${cols.length > 6 ? `, … (${cols.length} columns)` : ''}` : ''}`);
    } else if (own?.change === 'only-in-a') {
      items.push(`- ➖ **${code(table)}** removed`);
    } else {
      const list = [...(own ? [clipItem(`~ ${own.details.join('; ')}`)] : []), ...parts.map((d) => changeItem(d, partName(d, table), proof.after, table))];
      items.push(`- ✏️ **${code(table)}**: ${escapeCell(list.join(' · '))}`);
    }
  }
  for (const [title, kinds] of OTHER_GROUPS) {
    const group = others.filter((d) => kinds.includes(d.kind));
    if (group.length) items.push(`- **${title}**: ${escapeCell(group.map((d) => changeItem(d, d.object, proof.after)).join(' · '))}`);
  }
  const rest = others.filter((d) => !OTHER_GROUPS.some(([, kinds]) => kinds.includes(d.kind)));
  if (rest.length) items.push(`- **Other**: ${escapeCell(rest.map((d) => changeItem(d, d.object, proof.after)).join(' · '))}`);

  const lines = [...head, `**${changeCounts(diffs)}**`, ''];
  let used = lines.join('\n').length;
  let shown = 0;
  for (const item of items) {
    if (used + item.length + 1 > budget && shown > 0) break;
    lines.push(item.length > budget ? `${item.slice(0, Math.max(0, budget - 10))}…` : item);
    used += item.length + 1;
    shown++;
  }
  if (shown < items.length) lines.push(`- _… and ${items.length - shown} more: ${note}._`);

  const er = erDiagram(proof);
  if (er) {
    const left = er.leftOut ? ` (${er.tables.length} shown, ${er.leftOut} more left out)` : '';
    lines.push('', `**Tables added or changed, with their foreign-key neighbours**${left}`, '', fence(er.mermaid, 'mermaid'));
  }
  return lines;
}

function cut(sql: string, max: number, note: string): string {
  if (sql.length <= max) return sql;
  return `${sql.slice(0, Math.max(0, max)).replace(/\n[^\n]*$/, '')}\n-- … cut here (${sql.length - max} more characters): ${note}`;
}

function docsLink(f: Finding, ctx: MarkdownContext): string {
  return `[${f.rule}](${ruleUrl(f, ctx.docsBase)})`;
}

/** docs/rules.md itself, absolute: how to silence a rule or allow a reviewed exception. */
function rulesPage(docsBase?: string): string {
  return docsBase ? `${docsBase.replace(/\/$/, '')}/docs/rules.md` : RULES_DOCS;
}

/** Findings as list items: icon, rule, file:line, message. */
function findingItems(findings: Finding[], ctx: MarkdownContext): string[] {
  return bySeverity(findings).map((f) => {
    const message = f.message.length > 400 ? `${f.message.slice(0, 400)}…` : f.message;
    return `- ${f.severity === 'error' ? '🛑' : '⚠️'} ${docsLink(f, ctx)}${f.destructive ? ' · destructive' : ''} ${where(f.path, f.line, ctx)}: ${escapeCell(displayMessage(message))}`;
  });
}

/** Findings on a down section, as a list under its SQL: what rolling back destroys. */
function rollbackFindingLines(findings: Finding[], ctx: MarkdownContext): string[] {
  if (!findings.length) return [];
  return ['', `**Rolling back** (${findings.length} finding${findings.length > 1 ? 's' : ''})`, '', ...findingItems(findings, ctx)];
}

/** An empty down and a missing one read differently: the first rolls back as a no-op, the second cannot roll back. */
function rollbackWords(rollback: PlannedStep['rollback']): string | undefined {
  if (!rollback) return '_None: this migration has no down, so it cannot be rolled back._';
  if (rollback.empty) return '_Empty down section: rolling back runs no SQL and only removes the migration from the applied set._';
  return undefined;
}

function stepDetails(step: PlannedStep, maxSql: number, note: string, plan?: Plan, ctx?: MarkdownContext): string {
  const label = step.direction === 'up' ? 'SQL' : 'Rollback SQL (down section)';
  const down = step.direction === 'up' ? step.rollback : step.section;
  const onDown = plan && ctx && down ? (plan.rollbackFindings ?? []).filter((f) => f.version === step.migration.version && f.path === down.path) : [];
  const parts = [
    `<details><summary><code>${step.migration.version}</code> ${escapeCell(step.migration.name)} — ${displayPath(step.section.path)}</summary>`,
    '',
    ...step.notes.map((n) => `> ${n}`),
    ...(ctx?.fileUrl?.(step.section.path, step.section.startLine) ? [`File: ${where(step.section.path, step.section.startLine, ctx)}`, ''] : []),
    `**${label}**`,
    '',
    fence(cut(step.section.sql.trim(), maxSql, note)),
  ];
  if (step.direction === 'up') {
    parts.push('', '**Rollback SQL**', '', rollbackWords(step.rollback) ?? fence(cut(step.rollback!.sql.trim(), maxSql, note)));
  }
  if (ctx) parts.push(...rollbackFindingLines(onDown, ctx));
  parts.push('', '</details>');
  return parts.join('\n');
}

/**
 * The plan as markdown, at most `limit` characters: SQL blocks are cut evenly when the whole would
 * not fit, with a note pointing at the run's summary where the plan is complete.
 */
/**
 * The "Safety" section: each finding with severity, rule, file:line and message; a green line when none.
 * `withDetails`: the migrations' details follow (a plan), where rollback findings sit under each rollback SQL.
 */
export function safetyLines(plan: Plan, ctx: MarkdownContext, max = Number.POSITIVE_INFINITY, note = '', withDetails = false): string[] {
  if (plan.steps.length === 0) return [];
  const rollback = plan.rollbackFindings ?? [];
  const s = (n: number) => (n > 1 ? 's' : '');
  const destructive = rollback.filter((f) => f.destructive).length;
  const rollbackHead = `⚠️ ${rollback.length} finding${s(rollback.length)}${destructive ? `, ${destructive} destroying data written since the migration${destructive > 1 ? 's were' : ' was'} applied` : ''}`;
  if (plan.direction === 'down') {
    if (!plan.rollbackFindings) return []; // not linted (a deploy's own plan)
    if (!rollback.length) return ['', '### Safety of this rollback', '', '✅ No findings on the down sections.'];
    // With the details below, each finding sits under its rollback SQL; here, the count and the worst of it.
    return [
      '',
      '### Safety of this rollback',
      '',
      ...(withDetails ? [`${rollbackHead}: listed under each migration's rollback SQL below.`] : [`${rollbackHead}:`, '', ...findingItems(rollback, ctx)]),
    ];
  }
  const refused = new Set(ctx.refused ?? []);
  // Without a database or a base commit, the whole directory is one batch: say what that hides.
  const blind =
    !plan.databaseChecked && !plan.baseline
      ? [
          '',
          "> ⚠️ With no database and no base commit to compare with, every migration in the directory is one batch, where a table an earlier one creates counts as new: findings on objects created earlier in the directory are not reported. On a pull request, pgshift compares with its base commit when it can list the pull request's files (github-token) or git has the history (fetch-depth: 0).",
        ]
      : [];
  // Not part of this run: a section of its own after Safety, pointing at the details.
  const rollbackLine = rollback.length && withDetails ? ['', '### Rolling back', '', `${rollbackHead} (not part of this run): listed under each migration's rollback SQL below.`] : [];
  if (plan.findings.length === 0) return ['', '### Safety', '', '✅ No findings: nothing destructive, no long locks, nothing that breaks running code.', ...blind, ...rollbackLine];
  const link = (f: Finding) => docsLink(f, ctx);
  const shown = bySeverity(plan.findings, refused).slice(0, max);
  const lines = [
    '',
    '### Safety',
    ...blind,
    '',
    refused.size
      ? `❌ **The safety policy refuses ${refused.size} of these in \`${ctx.environment}\`**: fix ${refused.size > 1 ? 'them' : 'it'}, or see [docs/rules.md](${rulesPage(ctx.docsBase)}) for how to allow a reviewed exception.`
      : `⚠️ ${plan.findings.length} finding${plan.findings.length > 1 ? 's' : ''} to review before this reaches a busy database.`,
    '',
    '| | Rule | Where | Finding |',
    '| --- | --- | --- | --- |',
    ...shown.map((f) => {
      const icon = refused.has(f) ? '❌ refused' : f.severity === 'error' ? '🛑 error' : '⚠️ warning';
      const message = f.message.length > 400 ? `${f.message.slice(0, 400)}…` : f.message;
      return `| ${icon}${f.destructive ? ' · destructive' : ''} | ${link(f)} | ${where(f.path, f.line, ctx)} | ${escapeCell(message)} |`;
    }),
  ];
  if (plan.findings.length > shown.length) lines.push('', `_… and ${plan.findings.length - shown.length} more: ${note}._`);
  lines.push(...rollbackLine);
  return lines;
}

export function planMarkdown(plan: Plan, ctx: MarkdownContext, limit = Number.POSITIVE_INFINITY, extra: string[] = []): string {
  const top = [headline(plan, ctx), ...provenance(ctx)];
  if (plan.baseline) {
    const n = plan.baseline.applied;
    top.push(
      '',
      `> No database was available for this run (no \`database-url\`, as on pull requests from forks): the ${n} migration${n === 1 ? '' : 's'} unchanged since ${plan.baseline.label} ${n === 1 ? 'counts' : 'count'} as applied, and the ones added or changed since then are pending.`,
    );
  } else if (!plan.databaseChecked) top.push('', '> No database was available for this run (no `database-url`, as on pull requests from forks): every migration in the directory is shown as pending.');
  else if (!plan.trackingExists) top.push('', '> The tracking table does not exist yet: the first run that writes creates it.');
  const note = ctx.runUrl ? `the full plan is in the run's summary (${ctx.runUrl})` : "the full plan is in the run's summary";
  const all = { rows: plan.steps.length, problems: plan.problems.length };
  // The schema changes are bounded on their own (a share of the limit), so the cut below only ever shortens SQL and rows.
  const changes = plan.proof ? schemaChangeLines(plan.proof, Number.isFinite(limit) ? Math.min(20_000, Math.floor(limit / 4)) : Number.POSITIVE_INFINITY, note) : [];
  const render = (maxSql: number, shown: number, keep = all) => {
    const safety = safetyLines(plan, ctx, ctx.maxFindings ?? Number.POSITIVE_INFINITY, note, true);
    const head = [
      ...top,
      ...stepTable(plan, ctx, keep.rows, note),
      ...verificationLines(plan, ctx),
      ...problemLines(plan.problems, plan.blocked, keep.problems, note, ctx),
      ...changes,
      ...safety,
      ...(plan.net ? netPlanLines(plan.net, plan.steps.length) : []),
      ...extra,
    ].join('\n');
    const details = plan.steps.slice(0, shown).map((s) => stepDetails(s, maxSql, note, plan, ctx));
    const rest = plan.steps.length - shown;
    // The table already says how many rows it left out, and where they are.
    const more = rest > 0 && keep.rows === plan.steps.length ? [`_… and ${rest} more migration${rest > 1 ? 's' : ''}: ${note}._`] : [];
    return [head, ...(details.length ? ['', '### Migrations', '', ...details] : []), ...more].join('\n');
  };
  let text = render(Number.POSITIVE_INFINITY, plan.steps.length);
  if (text.length <= limit) return text;
  // Share what is left evenly between the SQL blocks (two per step); fewer steps if even that fails.
  for (let shown = plan.steps.length; shown >= 0; shown = shown > 50 ? Math.floor(shown / 2) : shown - 1) {
    const fixed = render(0, shown).length;
    const perBlock = Math.floor((limit - fixed - 200 * shown) / Math.max(1, shown * 2));
    if (perBlock >= 200 || shown === 0) {
      text = render(Math.max(0, perBlock), shown);
      if (text.length <= limit) return text;
    }
  }
  // Even the table and the problem list do not fit (thousands of migrations): keep as many whole
  // rows of each as fit, and say where the rest are.
  const fits = (keep: typeof all) => render(0, 0, keep).length <= limit;
  let keep = { rows: 0, problems: 0 };
  if (fits(keep)) {
    const most = (key: 'rows' | 'problems') => {
      let lo = 0;
      let hi = all[key];
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fits({ ...keep, [key]: mid })) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    };
    keep = { ...keep, problems: Math.min(all.problems, 20) };
    if (!fits(keep)) keep.problems = 0;
    keep.rows = most('rows');
    keep.problems = most('problems');
    return render(0, 0, keep);
  }
  return text.slice(0, limit);
}

/** `safety`: add the Safety section (off when the plan, with its own, is already in the summary). */
export function runMarkdown(result: RunResult, ctx: MarkdownContext, safety = true, net?: Parameters<typeof netRunLines>[0]): string {
  const verb = result.direction === 'up' ? 'Applied' : 'Rolled back';
  const unhealthy = net?.health?.some((h) => !h.passed && !h.afterRollback);
  const lines = [
    net?.rollback
      ? net.rollback.error
        ? `❌ **The automatic rollback did not finish** in \`${ctx.environment}\``
        : `↩️ **Rolled back automatically** in \`${ctx.environment}\`: ${net.rollback.reason}`
      : result.status === 'failed'
        ? `❌ **Migration failed** in \`${ctx.environment}\``
        : unhealthy
          ? `❌ **Health check failed** in \`${ctx.environment}\` after the run`
          : result.steps.length === 0
            ? `✅ **Up to date** in \`${ctx.environment}\`${result.currentVersion ? ` at \`${result.currentVersion}\`` : ''}`
            : `✅ **${verb} ${result.steps.length} migration${result.steps.length > 1 ? 's' : ''}** in \`${ctx.environment}\``,
    ...provenance(ctx),
    '',
    `Current version: \`${result.currentVersion ?? 'none'}\``,
  ];
  // After a failure, the migrations that never ran are listed too: the table is the whole plan.
  const ran = new Set(result.steps.map((s) => s.version));
  const notRun = result.error ? result.plan.steps.filter((st) => !ran.has(st.migration.version)) : [];
  if (result.steps.length) {
    lines.push('', '| Version | Name | Status | Duration |', '| --- | --- | --- | ---: |');
    for (const s of result.steps) {
      const icon = s.status === 'failed' ? '❌' : s.status === 'skipped' ? '⏭️' : '✅';
      lines.push(`| \`${s.version}\` | ${escapeCell(s.name)} | ${icon} ${s.status}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''} | ${formatMs(s.durationMs)} |`);
    }
    for (const st of notRun) lines.push(`| \`${st.migration.version}\` | ${escapeCell(st.migration.name)} | ⏸️ not run | |`);
  }
  if (result.error) lines.push('', `**${renderTally(result)}**`, '', failureDetails(result.error, ctx.fileUrl));
  lines.push(...problemLines(result.plan.problems, false, undefined, '', ctx));
  if (safety) lines.push(...safetyLines(result.plan, ctx));
  if (net) lines.push(...netRunLines(net));
  return lines.join('\n');
}

/** At most `max` characters of `text`, marked where cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/**
 * The excerpt (`12 | statement line`, and a `   | ^` caret line) with each line cut to a window of
 * `width` characters around the caret: a one-line 100 KB INSERT must not make a 200 KB issue.
 */
export function clipExcerpt(excerpt: string, width = 240): string {
  const rows = excerpt.split('\n').map((l) => {
    const bar = l.indexOf(' | ');
    return bar < 0 ? { gutter: '', text: l } : { gutter: l.slice(0, bar + 3), text: l.slice(bar + 3) };
  });
  if (rows.every((r) => r.text.length <= width)) return excerpt;
  const caret = rows.find((r) => /^ *\^$/.test(r.text));
  const at = caret ? caret.text.length - 1 : 0;
  const from = Math.max(0, Math.min(at - Math.floor(width / 2), Math.max(...rows.map((r) => r.text.length)) - width));
  return rows
    .map((r) => {
      if (r === caret) return `${r.gutter}${' '.repeat(at - from + (from > 0 ? 1 : 0))}^`;
      if (r.text.length <= width) return r.gutter + r.text;
      const piece = r.text.slice(from, from + width);
      return `${r.gutter}${from > 0 ? '…' : ''}${piece}${from + width < r.text.length ? '…' : ''}`;
    })
    .join('\n');
}

/** Where and why a migration failed, with the statement; shared by the summary and the issue. */
/** `fileUrl`: links the file's failing line in the commit. */
export function failureDetails(f: MigrationError, fileUrl?: MarkdownContext['fileUrl']): string {
  const lines = [
    '| | |',
    '| --- | --- |',
    `| Migration | \`${f.version}\` ${escapeCell(f.name)} (${f.direction}) |`,
    `| File | ${where(f.path, f.line, { environment: '', dir: '', fileUrl })}, column ${f.column} (statement ${f.statementNumber}) |`,
    `| Error | ${f.code ? `\`${f.code}\` ` : ''}${escapeCell(clip(f.message, 2000))} |`,
  ];
  if (f.detail) lines.push(`| Detail | ${escapeCell(clip(f.detail, 2000))} |`);
  if (f.hint) lines.push(`| Hint | ${escapeCell(clip(f.hint, 2000))} |`);
  if (f.invalidIndex) lines.push(`| Invalid index left | \`${f.invalidIndex}\` (drop it before retrying) |`);
  const state = f.connectionLost
    ? `**connection lost** (${escapeCell(f.connectionLost)}). ${escapeCell(lostState(f))}`
    : f.outcome !== 'rolled-back'
      ? 'marked **failed**: statements before the failing one stayed applied'
      : f.direction === 'up'
        ? 'rolled back: nothing of this migration remains'
        : 'the rollback was undone: the migration is **still applied**';
  lines.push(`| State | ${state} |`);
  if (f.excerpt) lines.push('', '**Failing statement**', '', fence(clipExcerpt(f.excerpt), ''));
  return lines.join('\n');
}

/** `docsBase`: as in MarkdownContext, for the link to docs/rules.md. */
export function recoverySteps(f: MigrationError | undefined, environment: string, docsBase?: string): string {
  const lines = ['### How to recover', ''];
  if (f?.connectionLost) {
    lines.push(
      `1. The connection to the database ended while \`${f.version}\` ran: ${f.connectionLost}. Find out why (a restart, a failover, a terminated session, the network) before running again.`,
      `2. ${lostState(f)}`,
      '3. Re-run the workflow; the next successful run in this environment closes this issue.',
    );
  } else if (f?.outcome === 'failed-needs-resolve') {
    lines.push(
      `1. This migration ran without a transaction and stopped part-way. Inspect \`${environment}\` to see which of its statements took effect${f.invalidIndex ? ` (drop the invalid index \`${f.invalidIndex}\` first)` : ''}.`,
      `2. Then settle it: \`pgshift resolve ${f.version} --rolled-back\` if its changes are not in place (it will run again), or \`pgshift resolve ${f.version} --applied\` if they are.`,
      '3. Fix the file or fix forward with a new migration, and re-run the workflow.',
    );
  } else if (!f) {
    // Refused before anything ran (validation, safety policy, lock, connection).
    lines.push(
      `1. Nothing ran: pgshift stopped before applying anything, and \`${environment}\` is unchanged.`,
      `2. Fix the reason above: restore an applied file that changed and put the change in a new migration; settle a failed migration with \`pgshift resolve\`; make a risky statement safe (or, after review, set \`allow-destructive\` or add \`-- pgshift:ignore <rule>\`, see [docs/rules.md](${rulesPage(docsBase)})); or check the database secret and that the server is reachable.`,
      '3. Re-run the workflow; the next successful run in this environment closes this issue.',
    );
  } else if (f.direction === 'down') {
    lines.push(
      `1. The failed rollback was undone: \`${f.version}\` is still applied, and the database is as it was before this run.`,
      '2. Fix its down section (a down that cannot run may need data or objects removed first), or leave it applied and fix forward with a new migration.',
      '3. Re-run the rollback; the next successful run in this environment closes this issue.',
    );
  } else {
    lines.push(
      '1. The failed migration was rolled back: the database is as it was before it.',
      '2. If the migration has not reached any other environment, fix its file; otherwise **fix forward** with a new migration (`pgshift new <name>`) — never edit a migration that is applied somewhere.',
      '3. Push the fix; the next successful run in this environment closes this issue.',
    );
  }
  return lines.join('\n');
}
