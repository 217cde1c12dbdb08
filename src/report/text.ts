// Plain-text renderings of engine results, for the terminal and the action's log.
import { netPlanLines } from './net';
import { relative } from 'node:path';
import type { Finding } from '../types';
import type { MigrationError, Plan, PlannedStep, RunResult, StatusEntry, ValidationProblem } from '../types';

export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Absolute paths in a message shown relative to the working directory. */
export function displayMessage(message: string): string {
  const cwd = process.cwd() + '/';
  return message.split(cwd).join('');
}

/** 1536 → "1.5 kB"; bytes in powers of 1000, as people read file sizes. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function stepLabel(step: PlannedStep): string {
  return `${step.migration.version} ${step.migration.name}`;
}

export function renderProblems(problems: ValidationProblem[]): string {
  return problems.map((p) => `  ${p.blocking ? '✗' : '!'} ${displayMessage(p.message)}`).join('\n');
}

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

export function renderPlan(plan: Plan): string {
  const out: string[] = [];
  const verb = plan.direction === 'up' ? 'apply' : 'roll back';
  const rollbackFindings = plan.rollbackFindings ?? [];
  const onSection = (step: PlannedStep, path: string) => rollbackFindings.filter((f) => f.version === step.migration.version && f.path === path);
  if (plan.baseline) {
    const { applied: n, label } = plan.baseline;
    const unchanged = n === 1 ? `the 1 migration unchanged since ${label} counts` : `the ${n} migrations unchanged since ${label} count`;
    out.push(`No database asked: ${unchanged} as applied; the ones added or changed since then are pending.`);
  } else if (!plan.databaseChecked) {
    out.push(
      "No database given: every migration in the directory is treated as pending. They are linted as one batch, so a table an earlier one creates counts as new: findings on objects created earlier in the directory are not reported. To see them, compare with a base commit (pgshift plan --since <git-ref>; the action uses the pull request's base) or give a database.",
    );
  } else if (!plan.trackingExists) out.push('The tracking table does not exist yet: the first run that writes will create it.');
  out.push(
    plan.steps.length === 0
      ? plan.blocked // e.g. a pending file that cannot be read: not "up to date"
        ? `No migration can be ${plan.direction === 'up' ? 'applied' : 'rolled back'} until the problems below are fixed.`
        : plan.direction === 'up'
          ? `Up to date${plan.currentVersion ? ` at ${plan.currentVersion}` : ''}: nothing to apply.`
          : 'Nothing to roll back.'
      : `${plan.steps.length} migration${plan.steps.length > 1 ? 's' : ''} to ${verb}${plan.currentVersion && !plan.baseline ? ` (current version ${plan.currentVersion})` : ''}:`,
  );
  plan.steps.forEach((step, i) => {
    out.push('');
    out.push(
      `${i + 1}. ${plan.direction === 'up' ? '↑' : '↓'} ${stepLabel(step)}  [${step.transactional ? 'transactional' : 'non-transactional'}, ${step.statements.length} statement${step.statements.length === 1 ? '' : 's'}]  ${displayPath(step.section.path)}:${step.section.startLine}`,
    );
    for (const note of step.notes) out.push(`   note: ${note}`);
    out.push(indent(step.section.sql.trim(), '     '));
    if (plan.direction === 'up') out.push(rollbackText(step.rollback));
    // What rolling this migration back would destroy, under its rollback SQL.
    const underRollback = plan.direction === 'up' && step.rollback ? onSection(step, step.rollback.path) : [];
    if (underRollback.length) out.push('   rollback findings:', ...renderFindings(underRollback).map((l) => `   ${l}`));
  });
  // The safety net, as the PR comment says it (markdown marks dropped).
  if (plan.net) out.push(...netPlanLines(plan.net, plan.steps.length).map((l) => l.replace(/\*\*|`/g, '').replace(/^### /, '')));
  const s = (n: number) => (n === 1 ? '' : 's');
  if (plan.direction === 'up' && plan.steps.length) {
    out.push('');
    out.push(plan.findings.length ? `Safety (${plan.findings.length} finding${s(plan.findings.length)}):` : 'Safety: no findings.');
    out.push(...renderFindings(plan.findings));
    if (rollbackFindings.length)
      out.push('', `Rolling back: ${rollbackFindings.length} finding${s(rollbackFindings.length)} on the down sections, shown under each rollback above (not part of this run).`);
  }
  if (plan.direction === 'down' && plan.steps.length && plan.rollbackFindings) {
    out.push('');
    out.push(rollbackFindings.length ? `Safety of this rollback (${rollbackFindings.length} finding${s(rollbackFindings.length)}):` : 'Safety of this rollback: no findings.');
    out.push(...renderFindings(rollbackFindings));
  }
  if (plan.problems.length) {
    out.push('');
    out.push(plan.blocked ? 'Problems (the run would be refused):' : 'Warnings:');
    out.push(renderProblems(plan.problems));
  }
  return out.join('\n');
}

/** What rolling a step back runs: its down SQL, nothing (an empty down), or nothing possible (no down). */
function rollbackText(rollback: PlannedStep['rollback']): string {
  if (!rollback) return '   rollback: none (this migration has no down, so it cannot be rolled back)';
  if (rollback.empty) return '   rollback: empty down section (rolling back runs no SQL and removes the migration from the applied set)';
  return `   rollback:\n${indent(rollback.sql.trim(), '     ')}`;
}

export function renderFindings(findings: Finding[]): string[] {
  return findings.map(
    (f) => `  ${f.severity === 'error' ? '✗' : '!'} ${displayPath(f.path)}:${f.line}  ${f.severity}  ${f.rule}${f.destructive ? ' (destructive)' : ''}: ${displayMessage(f.message)} (${f.docs})`,
  );
}

export function renderStatus(entries: StatusEntry[]): string {
  if (entries.length === 0) return 'No migrations found.';
  const rows = entries.map((e) => [e.version, e.name, e.state, e.appliedAt ? e.appliedAt.toISOString().replace('T', ' ').slice(0, 19) : '', formatMs(e.executionTimeMs)]);
  const header = ['VERSION', 'NAME', 'STATUS', 'APPLIED AT (UTC)', 'DURATION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.state, (counts.get(e.state) ?? 0) + 1);
  const summary = [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
  return [line(header), ...rows.map(line), '', summary].join('\n');
}

/** After a failure, what the run came to: what was applied (or rolled back), what failed, what never ran. */
export interface Tally {
  done: string[];
  failed: string[];
  /** Undone with the failed one (a --single-transaction batch). */
  undone: string[];
  notRun: string[];
}

export function tally(result: RunResult): Tally {
  const label = (s: { version: string; name: string }) => `${s.version} ${s.name}`;
  const ran = new Set(result.steps.map((s) => s.version));
  return {
    done: result.steps.filter((s) => s.status === 'applied' || s.status === 'rolled-back').map(label),
    failed: result.steps.filter((s) => s.status === 'failed').map(label),
    undone: result.steps.filter((s) => s.status === 'skipped').map(label),
    notRun: result.plan.steps.filter((st) => !ran.has(st.migration.version)).map((st) => label(st.migration)),
  };
}

/** One line: "1 applied (1 users); failed: 2 orders; not run: 3 items, 4 tags." */
export function renderTally(result: RunResult): string {
  const t = tally(result);
  const list = (xs: string[]) => xs.join(', ');
  const parts = [`${t.done.length} ${result.direction === 'up' ? 'applied' : 'rolled back'}${t.done.length ? ` (${list(t.done)})` : ''}`];
  if (t.failed.length) parts.push(`failed: ${list(t.failed)}`);
  if (t.undone.length) parts.push(`undone with it (one transaction): ${list(t.undone)}`);
  parts.push(t.notRun.length ? `not run: ${list(t.notRun)}` : 'nothing left unrun');
  return `${parts.join('; ')}.`;
}

/** What a failure left behind, in the words of the direction that failed. */
/** After a lost connection: what pgshift found when it looked at the database again, and what to do. */
export function lostState(f: MigrationError): string {
  const found = f.afterLoss ? `Checked again: ${f.afterLoss} ` : '';
  if (f.outcome === 'committed') return `${found}Run ${f.direction} again for the migrations that did not run.`;
  if (f.outcome === 'rolled-back') return `${found}Nothing of this ${f.direction === 'up' ? 'migration' : 'rollback'} took effect; run ${f.direction} again once the server is reachable.`;
  if (f.outcome === 'failed-needs-resolve') {
    return `${found}It runs without a transaction, so statements before the one that was running stayed applied, and it stays marked running until resolved: check the database, then run "pgshift resolve ${f.version} --applied" or "--rolled-back".`;
  }
  return `${found}Whether it committed is not known: the server rolls back a transaction whose connection ends before its COMMIT arrives. Run "pgshift status" once the server is reachable: ${f.version} shows as applied if it committed.`;
}

export function failureState(f: MigrationError): string {
  if (f.connectionLost) return lostState(f);
  if (f.outcome === 'failed-needs-resolve') {
    return `Statements before this one stayed applied (no transaction). The migration is marked failed; check the database, then run "pgshift resolve ${f.version} --applied" or "--rolled-back".`;
  }
  return f.direction === 'up'
    ? 'The migration was rolled back: nothing of it remains. Fix the file (or add a new migration) and run again.'
    : `The failed rollback was undone: migration ${f.version} is still applied, exactly as before this run. Fix its down section (or fix forward with a new migration) and run down again.`;
}

export function renderFailure(f: MigrationError): string {
  const out = [
    `✗ ${f.version} ${f.name} ${f.connectionLost ? 'lost its connection' : 'failed'} at ${displayPath(f.path)}:${f.line}:${f.column} (statement ${f.statementNumber}, ${f.direction})`,
    `  ERROR${f.code ? ` ${f.code}` : ''}: ${f.message}`,
  ];
  if (f.excerpt) out.push(indent(f.excerpt, '  '));
  if (f.detail) out.push(`  DETAIL: ${f.detail}`);
  if (f.hint) out.push(`  HINT: ${f.hint}`);
  if (f.invalidIndex) out.push(`  The failed CREATE INDEX CONCURRENTLY left invalid index ${f.invalidIndex}: drop it before retrying.`);
  out.push(`  ${failureState(f)}`);
  return out.join('\n');
}
