// Markdown renderings for GitHub: the PR plan comment, the step summary and the failure issue.
import type { MigrationError, Plan, PlannedStep, RunResult, ValidationProblem } from '../types';
import { displayMessage, displayPath, formatMs } from './text';

/** GitHub refuses comment and issue bodies over 65,536 characters; keep a margin for the marker. */
export const GITHUB_BODY_LIMIT = 65_536;

export interface MarkdownContext {
  environment: string;
  dir: string;
  /** Link to this workflow run, where the full plan is. */
  runUrl?: string;
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

function problemLines(problems: ValidationProblem[]): string[] {
  if (!problems.length) return [];
  return ['', '### Problems', '', ...problems.map((p) => `- ${p.blocking ? '❌' : '⚠️'} ${escapeCell(displayMessage(p.message))}`)];
}

function headline(plan: Plan, ctx: MarkdownContext): string {
  const n = plan.steps.length;
  const what = plan.direction === 'up' ? 'pending' : 'to roll back';
  const head = n === 0 ? (plan.direction === 'up' ? `✅ **Up to date**${plan.currentVersion ? ` at \`${plan.currentVersion}\`` : ''}` : '✅ **Nothing to roll back**') : `📋 **${n} migration${n > 1 ? 's' : ''} ${what}**`;
  return `${head} in \`${ctx.environment}\` (\`${ctx.dir}\`)${plan.blocked ? ' — ❌ **the run would be refused**' : ''}`;
}

function stepTable(plan: Plan): string[] {
  if (!plan.steps.length) return [];
  return [
    '',
    '| Version | Name | Statements | Transactional |',
    '| --- | --- | ---: | --- |',
    ...plan.steps.map((s) => `| \`${s.migration.version}\` | ${escapeCell(s.migration.name)} | ${s.statements.length} | ${s.transactional ? 'yes' : '**no** (runs statement by statement)'} |`),
  ];
}

function cut(sql: string, max: number, note: string): string {
  if (sql.length <= max) return sql;
  return `${sql.slice(0, Math.max(0, max)).replace(/\n[^\n]*$/, '')}\n-- … cut here (${sql.length - max} more characters): ${note}`;
}

function stepDetails(step: PlannedStep, maxSql: number, note: string): string {
  const label = step.direction === 'up' ? 'SQL' : 'Rollback SQL (down section)';
  const parts = [
    `<details><summary><code>${step.migration.version}</code> ${escapeCell(step.migration.name)} — ${displayPath(step.section.path)}</summary>`,
    '',
    ...step.notes.map((n) => `> ${n}`),
    `**${label}**`,
    '',
    fence(cut(step.section.sql.trim(), maxSql, note)),
  ];
  if (step.direction === 'up') {
    parts.push('', '**Rollback SQL**', '', step.rollback ? fence(cut(step.rollback.sql.trim(), maxSql, note)) : '_None: this migration has no down section._');
  }
  parts.push('', '</details>');
  return parts.join('\n');
}

/**
 * The plan as markdown, at most `limit` characters: SQL blocks are cut evenly when the whole would
 * not fit, with a note pointing at the run's summary where the plan is complete.
 */
export function planMarkdown(plan: Plan, ctx: MarkdownContext, limit = Number.POSITIVE_INFINITY, extra: string[] = []): string {
  const top = [headline(plan, ctx)];
  if (!plan.databaseChecked) top.push('', '> No database was available for this run (no `database-url`, as on pull requests from forks): every migration in the directory is shown as pending.');
  else if (!plan.trackingExists) top.push('', '> The tracking table does not exist yet: the first run that writes creates it.');
  top.push(...stepTable(plan), ...problemLines(plan.problems), ...extra);
  const head = top.join('\n');
  const note = ctx.runUrl ? `the full plan is in the run's summary (${ctx.runUrl})` : "the full plan is in the run's summary";
  const render = (maxSql: number, shown: number) => {
    const details = plan.steps.slice(0, shown).map((s) => stepDetails(s, maxSql, note));
    const rest = plan.steps.length - shown;
    const more = rest > 0 ? [`_… and ${rest} more migration${rest > 1 ? 's' : ''}: ${note}._`] : [];
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
  return text.slice(0, limit);
}

export function runMarkdown(result: RunResult, ctx: MarkdownContext): string {
  const verb = result.direction === 'up' ? 'Applied' : 'Rolled back';
  const lines = [
    result.status === 'failed'
      ? `❌ **Migration failed** in \`${ctx.environment}\``
      : result.steps.length === 0
        ? `✅ **Up to date** in \`${ctx.environment}\`${result.currentVersion ? ` at \`${result.currentVersion}\`` : ''}`
        : `✅ **${verb} ${result.steps.length} migration${result.steps.length > 1 ? 's' : ''}** in \`${ctx.environment}\``,
    '',
    `Current version: \`${result.currentVersion ?? 'none'}\``,
  ];
  if (result.steps.length) {
    lines.push('', '| Version | Name | Status | Duration |', '| --- | --- | --- | ---: |');
    for (const s of result.steps) {
      const icon = s.status === 'failed' ? '❌' : s.status === 'skipped' ? '⏭️' : '✅';
      lines.push(`| \`${s.version}\` | ${escapeCell(s.name)} | ${icon} ${s.status}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''} | ${formatMs(s.durationMs)} |`);
    }
  }
  if (result.error) lines.push('', failureDetails(result.error));
  lines.push(...problemLines(result.plan.problems.filter((p) => !p.blocking)));
  return lines.join('\n');
}

/** Where and why a migration failed, with the statement; shared by the summary and the issue. */
export function failureDetails(f: MigrationError): string {
  const lines = [
    '| | |',
    '| --- | --- |',
    `| Migration | \`${f.version}\` ${escapeCell(f.name)} (${f.direction}) |`,
    `| File | \`${displayPath(f.path)}\` line ${f.line}, column ${f.column} (statement ${f.statementNumber}) |`,
    `| Error | ${f.code ? `\`${f.code}\` ` : ''}${escapeCell(f.message)} |`,
  ];
  if (f.detail) lines.push(`| Detail | ${escapeCell(f.detail)} |`);
  if (f.hint) lines.push(`| Hint | ${escapeCell(f.hint)} |`);
  if (f.invalidIndex) lines.push(`| Invalid index left | \`${f.invalidIndex}\` (drop it before retrying) |`);
  lines.push(
    `| State | ${f.outcome === 'rolled-back' ? 'rolled back: nothing of this migration remains' : 'marked **failed**: statements before the failing one stayed applied'} |`,
  );
  if (f.excerpt) lines.push('', '**Failing statement**', '', fence(f.excerpt, ''));
  return lines.join('\n');
}

export function recoverySteps(f: MigrationError | undefined, environment: string): string {
  const lines = ['### How to recover', ''];
  if (f?.outcome === 'failed-needs-resolve') {
    lines.push(
      `1. This migration ran without a transaction and stopped part-way. Inspect \`${environment}\` to see which of its statements took effect${f.invalidIndex ? ` (drop the invalid index \`${f.invalidIndex}\` first)` : ''}.`,
      `2. Then settle it: \`pgshift resolve ${f.version} --rolled-back\` if its changes are not in place (it will run again), or \`pgshift resolve ${f.version} --applied\` if they are.`,
      '3. Fix the file or fix forward with a new migration, and re-run the workflow.',
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
