// Plain-text renderings of engine results, for the terminal and the action's log.
import { relative } from 'node:path';
import type { Finding } from '../types';
import type { MigrationError, Plan, PlannedStep, StatusEntry, ValidationProblem } from '../types';

export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** Absolute paths in a message shown relative to the working directory. */
export function displayMessage(message: string): string {
  const cwd = process.cwd() + '/';
  return message.split(cwd).join('');
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
  if (!plan.databaseChecked) out.push('No database given: every migration in the directory is treated as pending.');
  else if (!plan.trackingExists) out.push('The tracking table does not exist yet: the first run that writes will create it.');
  out.push(
    plan.steps.length === 0
      ? plan.blocked // e.g. a pending file that cannot be read: not "up to date"
        ? `No migration can be ${plan.direction === 'up' ? 'applied' : 'rolled back'} until the problems below are fixed.`
        : plan.direction === 'up'
          ? `Up to date${plan.currentVersion ? ` at ${plan.currentVersion}` : ''}: nothing to apply.`
          : 'Nothing to roll back.'
      : `${plan.steps.length} migration${plan.steps.length > 1 ? 's' : ''} to ${verb}${plan.currentVersion ? ` (current version ${plan.currentVersion})` : ''}:`,
  );
  plan.steps.forEach((step, i) => {
    out.push('');
    out.push(
      `${i + 1}. ${plan.direction === 'up' ? '↑' : '↓'} ${stepLabel(step)}  [${step.transactional ? 'transactional' : 'non-transactional'}, ${step.statements.length} statement${step.statements.length === 1 ? '' : 's'}]  ${displayPath(step.section.path)}:${step.section.startLine}`,
    );
    for (const note of step.notes) out.push(`   note: ${note}`);
    out.push(indent(step.section.sql.trim(), '     '));
    if (plan.direction === 'up') out.push(step.rollback ? `   rollback:\n${indent(step.rollback.sql.trim(), '     ')}` : '   rollback: none (this migration has no down section)');
  });
  if (plan.direction === 'up' && plan.steps.length) {
    out.push('');
    out.push(plan.findings.length ? `Safety (${plan.findings.length} finding${plan.findings.length > 1 ? 's' : ''}):` : 'Safety: no findings.');
    out.push(...renderFindings(plan.findings));
  }
  if (plan.problems.length) {
    out.push('');
    out.push(plan.blocked ? 'Problems (the run would be refused):' : 'Warnings:');
    out.push(renderProblems(plan.problems));
  }
  return out.join('\n');
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

export function renderFailure(f: MigrationError): string {
  const out = [
    `✗ ${f.version} ${f.name} failed at ${displayPath(f.path)}:${f.line}:${f.column} (statement ${f.statementNumber}, ${f.direction})`,
    `  ERROR${f.code ? ` ${f.code}` : ''}: ${f.message}`,
  ];
  if (f.excerpt) out.push(indent(f.excerpt, '  '));
  if (f.detail) out.push(`  DETAIL: ${f.detail}`);
  if (f.hint) out.push(`  HINT: ${f.hint}`);
  if (f.invalidIndex) out.push(`  The failed CREATE INDEX CONCURRENTLY left invalid index ${f.invalidIndex}: drop it before retrying.`);
  out.push(
    f.outcome === 'rolled-back'
      ? '  The migration was rolled back: nothing of it remains. Fix the file (or add a new migration) and run again.'
      : `  Statements before this one stayed applied (no transaction). The migration is marked failed; check the database, then run "pgshift resolve ${f.version} --applied" or "--rolled-back".`,
  );
  return out.join('\n');
}
