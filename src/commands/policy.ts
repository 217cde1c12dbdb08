// The deploy decisions that come before any SQL: the protected-environment guard, and which linter
// findings refuse a run. Protected environments refuse error-level findings, and destructive ones
// unless allow-destructive; elsewhere findings only warn, unless fail-on-lint asks for error-level
// ones to refuse; the additive-only policy refuses anything destructive, everywhere.
import { PolicyError } from '../errors';
import { confirmPhrase, type Policy } from '../settings';
import type { Direction, Finding } from '../types';

export interface SafetySettings {
  /** Environments (lower case) where a down needs the confirm phrase and findings refuse. */
  protectedEnvironments: string[];
  allowDestructive: boolean;
  failOnLint: boolean;
  policy: Policy;
}

export function isProtected(environment: string, s: Pick<SafetySettings, 'protectedEnvironments'>): boolean {
  return s.protectedEnvironments.map((e) => e.toLowerCase()).includes(environment.toLowerCase());
}

export function refusedFindings(findings: Finding[], s: SafetySettings & { protected: boolean }): Finding[] {
  return findings.filter((f) => {
    if (f.destructive && s.policy === 'additive-only') return true;
    if (!s.protected && !s.failOnLint) return false;
    // Destructive rules are error-level because they destroy data; allow-destructive is the reviewed
    // exception to exactly that, so it lifts their refusal too.
    if (f.destructive) return !s.allowDestructive && (s.protected || f.severity === 'error');
    return f.severity === 'error';
  });
}

/** A down in a protected environment needs MIGRATE-<ENV>; refused before any connection is made. */
export function checkGuard(environment: string, direction: Direction, confirm: string | undefined, s: Pick<SafetySettings, 'protectedEnvironments'>): void {
  if (direction !== 'down' || !isProtected(environment, s) || confirm === confirmPhrase(environment)) return;
  throw new PolicyError(
    `refused: rolling back migrations in protected environment "${environment}" needs --confirm set to ${confirmPhrase(environment)}${confirm ? ` (got "${confirm}")` : ''}. Nothing was run.`,
    [],
  );
}

/** The PolicyError for findings a policy refuses, listing each on its line. */
export function policyRefusal(refused: Finding[], lead = 'the run was refused before anything ran'): PolicyError {
  return new PolicyError(
    `${lead}: ${refused.length} finding${refused.length > 1 ? 's' : ''} the safety policy does not allow:\n${refused
      .map((f) => `  - ${f.path}:${f.line}: ${f.rule} (${f.severity}${f.destructive ? ', destructive' : ''}): ${f.message}`)
      .join('\n')}`,
    refused,
  );
}
