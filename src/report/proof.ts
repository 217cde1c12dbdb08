// Words for what a shadow database proved: one line per verdict (the CLI prints them as verify goes),
// and the note on a shadow server of another major version than the target's.
import { describeDifference, type Words } from '../schema/compare';
import type { Verdict } from '../schema/proof';
import { displayPath } from './text';

/** Between the schema before the up and after the down: what the down removed too much, or left behind. */
export const DOWN_WORDS: Words = { onlyInA: 'removed by the down but not added by the up', onlyInB: 'left behind by the down' };
/** Between the first up and the up after the down. */
export const REAPPLY_WORDS: Words = { onlyInA: 'missing after the second up', onlyInB: 'only after the second up' };

const ICON: Record<Verdict['verdict'], string> = {
  verified: '✓',
  'up-failed': '✗',
  'down-failed': '✗',
  'down-mismatch': '✗',
  'reapply-failed': '✗',
  'no-down': '–',
  skipped: '·',
};

/** What the verdict means, in a few words, with where it failed. */
export function verdictReason(v: Verdict): string {
  const at = v.error ? ` at ${displayPath(v.error.path)}:${v.error.line}:${v.error.column}: ${v.error.message}` : v.reason ? `: ${v.reason}` : '';
  switch (v.verdict) {
    case 'verified':
      return 'up, down and up again give the same schema';
    case 'up-failed':
      return `its up failed${at}`;
    case 'down-failed':
      return `its down failed${at}`;
    case 'down-mismatch':
      return `its down does not restore the schema${v.differences ? ` (${v.differences.length} difference${v.differences.length === 1 ? '' : 's'})` : ''}`;
    case 'reapply-failed':
      return `it does not run again after its down${at}`;
    case 'no-down':
      return 'it has no down: irreversible by design';
    case 'skipped':
      return `not run${v.reason ? ` (${v.reason})` : ''}`;
  }
}

/** The differences behind a verdict, one per line. */
export function verdictDifferences(v: Verdict): string[] {
  const words = v.verdict === 'down-mismatch' ? DOWN_WORDS : REAPPLY_WORDS;
  return (v.differences ?? []).map((d) => describeDifference(d, words));
}

export function verdictLine(v: Verdict): string {
  return [`${ICON[v.verdict]} ${v.version} ${v.name}: ${v.verdict} — ${verdictReason(v)}`, ...verdictDifferences(v).map((d) => `    - ${d}`)].join('\n');
}

export function majorNote(shadowMajor: number, targetMajor: number): string {
  return `the shadow server runs Postgres ${shadowMajor} and the target Postgres ${targetMajor}: what the migrations do may differ between the two, so the verdicts may too.`;
}
