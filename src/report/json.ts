// JSON for --json and the action's plan file: parse trees and bigint version keys stay out.

export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (key, v) => {
      if (key === 'node' || key === 'versionKey') return undefined;
      if (typeof v === 'bigint') return v.toString();
      return v;
    },
    2,
  );
}
