// Versions order numerically, part by part ("2" before "10", Flyway "1.10" after "1.9"), never as strings.

/** Numeric parts of a version; trailing zero parts dropped so "1" and "1.0" are one version. */
export function versionKey(version: string): bigint[] {
  // A row written by another tool may hold a non-numeric version: it sorts first instead of throwing.
  if (!isVersion(version)) return [-1n];
  const parts = version.split(/[._]/).map((p) => BigInt(p));
  while (parts.length > 1 && parts[parts.length - 1] === 0n) parts.pop();
  return parts;
}

export function compareKeys(a: bigint[], b: bigint[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export function compareVersions(a: string, b: string): number {
  return compareKeys(versionKey(a), versionKey(b));
}

/**
 * A stable identity for a version: "001" and "1", "1.0" and "1_0" map to the same string. Plain string
 * work (no BigInt): it runs for every file and every tracking row on every deploy.
 */
export function versionId(version: string): string {
  if (!isVersion(version)) return version;
  const parts = version.split(/[._]/).map((p) => p.replace(/^0+(?=\d)/, ''));
  while (parts.length > 1 && parts[parts.length - 1] === '0') parts.pop();
  return parts.join('.');
}

export function isVersion(text: string): boolean {
  return /^\d+(?:[._]\d+)*$/.test(text);
}
