// Annotations: each problem, finding and failure shown on its file and line in the pull request.
import * as core from '@actions/core';
import type { Finding, Plan } from '../types';
import { failedVerifications, ruleUrl, verdictLocation, verdictText } from '../report/markdown';
import { displayMessage } from '../report/text';
import type { MigrationError, ValidationProblem } from '../types';
import { docsBase, workspacePath } from './context';

type Redact = (text: string) => string;

/** Errors only for problems that stop this run; the rest are warnings on their file and line. */
export function annotateProblems(problems: ValidationProblem[], blocked: boolean, redact: Redact): void {
  for (const p of problems) {
    const props = p.path ? { file: workspacePath(p.path), startLine: p.line, title: `pgshift: ${p.kind}` } : { title: `pgshift: ${p.kind}` };
    if (p.blocking && blocked) core.error(redact(displayMessage(p.message)), props);
    else core.warning(redact(displayMessage(p.message)), props);
  }
}

/** Each finding on its file and line: an error when the policy refuses it, else a warning. */
export function annotateFindings(findings: Finding[], refused: Finding[], redact: Redact): void {
  const refusedSet = new Set(refused);
  for (const f of findings) {
    const props = { file: workspacePath(f.path), startLine: f.line, startColumn: f.column, title: `pgshift: ${f.rule}${f.destructive ? ' (destructive)' : ''}` };
    const text = redact(`${f.message} (${ruleUrl(f, docsBase())})`);
    if (refusedSet.has(f)) core.error(text, props);
    else core.warning(text, props);
  }
}

export function annotateFailure(f: MigrationError, redact: Redact): void {
  core.error(redact(`${f.code ? `${f.code}: ` : ''}${f.message}${f.hint ? ` (hint: ${f.hint})` : ''}`), {
    file: workspacePath(f.path),
    startLine: f.line,
    startColumn: f.column,
    title: `pgshift: migration ${f.version} failed`,
  });
}

/** Each migration the shadow database could not verify, as an error where it failed (the down section for a mismatch). */
export function annotateVerdicts(plan: Plan, redact: Redact): void {
  for (const v of failedVerifications(plan.proof)) {
    const at = verdictLocation(v, plan);
    const { summary, differences } = verdictText(v);
    const text = [summary, ...differences.slice(0, 20).map((d) => `- ${d}`), ...(differences.length > 20 ? [`… and ${differences.length - 20} more`] : [])].join('\n');
    core.error(redact(displayMessage(text)), {
      file: workspacePath(at.path),
      startLine: at.line,
      ...(at.column ? { startColumn: at.column } : {}),
      title: `pgshift: migration ${v.version} failed verification`,
    });
  }
}
