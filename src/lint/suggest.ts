// "Did you mean" for a mistyped rule id.
import { RULES_BY_ID } from './rules';

/** The rule id nearest to `id`, when near enough to be a typo. */
export function closestRuleId(id: string): string | undefined {
  let best: { id: string; d: number } | undefined;
  for (const known of RULES_BY_ID.keys()) {
    const d = distance(id, known);
    if (!best || d < best.d) best = { id: known, d };
  }
  return best && best.d <= Math.max(2, Math.floor(id.length / 4)) ? best.id : undefined;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
