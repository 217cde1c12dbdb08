// `pgshift lint [paths...]` on the terminal: findings one a line (or JSON), then a count.
import { lintFiles, loadLintConfig, type FactsSource } from '../commands';
import { displayMessage, displayPath } from '../report/text';
import type { Baseline, Finding } from '../types';

export interface LintOptions {
  json: boolean;
  /** Config file; default ./pgshift.json when it exists. */
  config?: string;
  out: (s: string) => void;
  /** Where notes go (what a one-batch lint hides): stderr, so that stdout stays the findings. */
  err?: (s: string) => void;
}

/**
 * Prints the findings of files or directories; 1 when any is an error, else 0. Bad paths or config throw
 * ConfigError. With a baseline (--since), a directory's migrations unchanged since the base count as applied.
 */
export async function runLint(paths: string[], opts: LintOptions, baseline?: Baseline, ignored: string[] = [], facts?: FactsSource): Promise<number> {
  const config = loadLintConfig(opts.config);
  const report = await lintFiles(paths, config, baseline, facts);
  return printFindings(report.findings, opts, report.notes, [...report.ignored, ...ignored]);
}

/**
 * Prints findings one a line (or as JSON) with a count, and the notes to `err`; 1 when any is an error,
 * else 0. The .sql files left out as not migrations come last, so that they are not lost above the findings.
 */
export function printFindings(all: Finding[], opts: { json: boolean; out: (s: string) => void; err?: (s: string) => void }, notes: string[] = [], ignored: string[] = []): number {
  for (const note of notes) opts.err?.(`note: ${displayMessage(note)}`);
  const findings = all.map((f) => ({ ...f, path: displayPath(f.path), message: displayMessage(f.message) }));
  if (opts.json) {
    opts.out(JSON.stringify(findings, null, 2));
  } else {
    for (const f of findings) opts.out(`${f.path}:${f.line}:${f.column}  ${f.severity}  ${f.rule}  ${f.message} (${f.docs})`);
    opts.out(summary(findings));
  }
  for (const warning of ignored) opts.err?.(`warning: ${displayMessage(warning)}`);
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

function summary(findings: Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  if (!findings.length) return 'no findings';
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  return `${n(errors, 'error')}, ${n(warnings, 'warning')}`;
}
