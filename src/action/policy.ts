// Which linter findings refuse a run. Protected environments refuse error-level findings, and
// destructive ones unless allow-destructive; elsewhere findings only warn, unless fail-on-lint asks
// for error-level ones to refuse; the additive-only policy refuses anything destructive, everywhere.
import type { Finding } from '../lint/types';

export type Policy = '' | 'additive-only';
export const POLICIES: readonly Policy[] = ['', 'additive-only'];

export interface SafetySettings {
  /** The environment is listed in protected-environments. */
  protected: boolean;
  allowDestructive: boolean;
  failOnLint: boolean;
  policy: Policy;
}

export function refusedFindings(findings: Finding[], s: SafetySettings): Finding[] {
  return findings.filter((f) => {
    if (f.destructive && s.policy === 'additive-only') return true;
    if (!s.protected && !s.failOnLint) return false;
    // Destructive rules are error-level because they destroy data; allow-destructive is the reviewed
    // exception to exactly that, so it lifts their refusal too.
    if (f.destructive) return !s.allowDestructive && (s.protected || f.severity === 'error');
    return f.severity === 'error';
  });
}
