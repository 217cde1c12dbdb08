// `pgshift lint [paths...]` on the terminal: findings one a line (or JSON), then a count.
import { lintPaths, loadLintConfig } from '../commands';
import { displayMessage, displayPath } from '../report/text';
import type { Finding } from '../types';

export interface LintOptions {
  json: boolean;
  /** Config file; default ./pgshift.json when it exists. */
  config?: string;
  out: (s: string) => void;
}

/** Prints the findings of files or directories; 1 when any is an error, else 0. Bad paths or config throw ConfigError. */
export async function runLint(paths: string[], opts: LintOptions): Promise<number> {
  const config = loadLintConfig(opts.config);
  return printFindings(await lintPaths(paths, config), opts);
}

/** Prints findings one a line (or as JSON) with a count; 1 when any is an error, else 0. */
export function printFindings(all: Finding[], opts: { json: boolean; out: (s: string) => void }): number {
  const findings = all.map((f) => ({ ...f, path: displayPath(f.path), message: displayMessage(f.message) }));
  if (opts.json) {
    opts.out(JSON.stringify(findings, null, 2));
  } else {
    for (const f of findings) opts.out(`${f.path}:${f.line}:${f.column}  ${f.severity}  ${f.rule}  ${f.message} (${f.docs})`);
    opts.out(summary(findings));
  }
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

function summary(findings: Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  if (!findings.length) return 'no findings';
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  return `${n(errors, 'error')}, ${n(warnings, 'warning')}`;
}
