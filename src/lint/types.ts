// The linter's vocabulary: what a rule reports (Finding) and how a project tunes the rules (LintConfig).

export type Severity = 'error' | 'warning';

/** One risky statement (or directive) in a migration file. */
export interface Finding {
  rule: string;
  severity: Severity;
  /** Names the object, says why it is risky and what to do instead. */
  message: string;
  path: string;
  /** 1-based line and column in the file. */
  line: number;
  column: number;
  /** The migration's version ("" for a file that is not named as a migration). */
  version: string;
  /** true when the statement deletes data or objects. */
  destructive: boolean;
  /** "docs/rules.md#<rule>" */
  docs: string;
}

/** Per-rule overrides; a rule not listed keeps its default severity. */
export interface LintConfig {
  rules: Record<string, Severity | 'off'>;
}
