// JSON for --json and the action's plan file: parse trees and bigint version keys stay out.

/** The engine's working state: parse trees, the full split, bigint keys, a dbmate file's preamble. */
const INTERNAL = new Set(['node', 'versionKey', 'parsed', 'syntaxError', 'preamble']);

export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (key, v) => {
      if (INTERNAL.has(key)) return undefined;
      if (typeof v === 'bigint') return v.toString();
      return v;
    },
    2,
  );
}
