// Markdown renderings for GitHub: the PR plan comment, the step summary and the failure issue.
import type { Finding } from '../types';
import type { MigrationError, Plan, PlannedStep, RunResult, ValidationProblem } from '../types';
import { displayMessage, displayPath, formatMs, lostState, renderTally } from './text';

export interface MarkdownContext {
  environment: string;
  dir: string;
  /** Findings the safety policy refuses (shown as such in the Safety section). */
  refused?: Finding[];
  /** Where docs/rules.md lives, for links (default: the relative path). */
  docsBase?: string;
  /** Link to this workflow run, where the full plan is. */
  runUrl?: string;
  /** Findings listed at the most (a comment keeps it short; the summary has them all). */
  maxFindings?: number;
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
function problemLines(problems: ValidationProblem[], blocked: boolean, max = problems.length, note = ''): string[] {
  if (!problems.length) return [];
  const rest = problems.length - max;
  return [
    '',
    '### Problems',
    '',
    ...problems.slice(0, max).map((p) => `- ${p.blocking && blocked ? '❌' : '⚠️'} ${escapeCell(displayMessage(p.message))}`),
    ...(rest > 0 ? [`- _… and ${rest} more: ${note}._`] : []),
  ];
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

function headline(plan: Plan, ctx: MarkdownContext): string {
  const n = plan.steps.length;
  const what = plan.direction === 'up' ? 'pending' : 'to roll back';
  // A changed history comes first: it is why the check is red, whatever else the plan holds.
  const changed = plan.blocked ? historyChange(plan) : '';
  if (changed) {
    const rest = n ? `; ${n} migration${n > 1 ? 's' : ''} ${what}, none will run until it is settled` : '';
    return `❌ **Applied history changed: ${changed}** in \`${ctx.environment}\` (\`${ctx.dir}\`) — the run would be refused${rest}`;
  }
  if (n === 0 && plan.blocked) {
    return `❌ **No migration can ${plan.direction === 'up' ? 'be applied' : 'be rolled back'}** in \`${ctx.environment}\` (\`${ctx.dir}\`) until the problems below are fixed`;
  }
  const head =
    n === 0
      ? plan.direction === 'up'
        ? `✅ **Up to date**${plan.currentVersion ? ` at \`${plan.currentVersion}\`` : ''}`
        : '✅ **Nothing to roll back**'
      : `📋 **${n} migration${n > 1 ? 's' : ''} ${what}**`;
  return `${head} in \`${ctx.environment}\` (\`${ctx.dir}\`)${plan.blocked ? ' — ❌ **the run would be refused**' : ''}`;
}

/** The steps as a table; past `max` rows, a line says how many more there are and where. */
function stepTable(plan: Plan, max = plan.steps.length, note = ''): string[] {
  if (!plan.steps.length) return [];
  const rest = plan.steps.length - max;
  return [
    '',
    '| Version | Name | Statements | Transactional |',
    '| --- | --- | ---: | --- |',
    ...plan.steps
      .slice(0, max)
      .map((s) => `| \`${s.migration.version}\` | ${escapeCell(s.migration.name)} | ${s.statements.length} | ${s.transactional ? 'yes' : '**no** (runs statement by statement)'} |`),
    ...(rest > 0 ? ['', `_… and ${rest} more migration${rest > 1 ? 's' : ''}: ${note}._`] : []),
  ];
}

function cut(sql: string, max: number, note: string): string {
  if (sql.length <= max) return sql;
  return `${sql.slice(0, Math.max(0, max)).replace(/\n[^\n]*$/, '')}\n-- … cut here (${sql.length - max} more characters): ${note}`;
}

function docsLink(f: Finding, ctx: MarkdownContext): string {
  return `[${f.rule}](${ctx.docsBase ? `${ctx.docsBase.replace(/\/$/, '')}/${f.docs}` : f.docs})`;
}

/** Findings as list items: icon, rule, file:line, message. */
function findingItems(findings: Finding[], ctx: MarkdownContext): string[] {
  return findings.map((f) => {
    const message = f.message.length > 400 ? `${f.message.slice(0, 400)}…` : f.message;
    return `- ${f.severity === 'error' ? '🛑' : '⚠️'} ${docsLink(f, ctx)}${f.destructive ? ' · destructive' : ''} \`${displayPath(f.path)}:${f.line}\`: ${escapeCell(displayMessage(message))}`;
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
  const shown = plan.findings.slice(0, max);
  const lines = [
    '',
    '### Safety',
    ...blind,
    '',
    refused.size
      ? `❌ **The safety policy refuses ${refused.size} of these in \`${ctx.environment}\`**: fix ${refused.size > 1 ? 'them' : 'it'}, or see [docs/rules.md](${ctx.docsBase ? `${ctx.docsBase.replace(/\/$/, '')}/docs/rules.md` : 'docs/rules.md'}) for how to allow a reviewed exception.`
      : `⚠️ ${plan.findings.length} finding${plan.findings.length > 1 ? 's' : ''} to review before this reaches a busy database.`,
    '',
    '| | Rule | Where | Finding |',
    '| --- | --- | --- | --- |',
    ...shown.map((f) => {
      const icon = refused.has(f) ? '❌ refused' : f.severity === 'error' ? '🛑 error' : '⚠️ warning';
      const message = f.message.length > 400 ? `${f.message.slice(0, 400)}…` : f.message;
      return `| ${icon}${f.destructive ? ' · destructive' : ''} | ${link(f)} | \`${displayPath(f.path)}:${f.line}\` | ${escapeCell(message)} |`;
    }),
  ];
  if (plan.findings.length > shown.length) lines.push('', `_… and ${plan.findings.length - shown.length} more: ${note}._`);
  lines.push(...rollbackLine);
  return lines;
}

export function planMarkdown(plan: Plan, ctx: MarkdownContext, limit = Number.POSITIVE_INFINITY, extra: string[] = []): string {
  const top = [headline(plan, ctx)];
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
  const render = (maxSql: number, shown: number, keep = all) => {
    const safety = safetyLines(plan, ctx, ctx.maxFindings ?? Number.POSITIVE_INFINITY, note, true);
    const head = [...top, ...stepTable(plan, keep.rows, note), ...problemLines(plan.problems, plan.blocked, keep.problems, note), ...safety, ...extra].join('\n');
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
export function runMarkdown(result: RunResult, ctx: MarkdownContext, safety = true): string {
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
  if (result.error) lines.push('', `**${renderTally(result)}**`, '', failureDetails(result.error));
  lines.push(...problemLines(result.plan.problems, false));
  if (safety) lines.push(...safetyLines(result.plan, ctx));
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
export function failureDetails(f: MigrationError): string {
  const lines = [
    '| | |',
    '| --- | --- |',
    `| Migration | \`${f.version}\` ${escapeCell(f.name)} (${f.direction}) |`,
    `| File | \`${displayPath(f.path)}\` line ${f.line}, column ${f.column} (statement ${f.statementNumber}) |`,
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

export function recoverySteps(f: MigrationError | undefined, environment: string): string {
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
      '2. Fix the reason above: restore an applied file that changed and put the change in a new migration; settle a failed migration with `pgshift resolve`; make a risky statement safe (or, after review, set `allow-destructive` or add `-- pgshift:ignore <rule>`, see docs/rules.md); or check the database secret and that the server is reachable.',
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
