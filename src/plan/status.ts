// Every migration's state, from the files and the tracking rows together.
import { isRepeatableVersion } from '../files/forms/flyway';
import { MigrationFileError } from '../files/read';
import { compareKeys, versionId, versionKey } from '../files/version';
import type { AppliedMigration, StatusEntry } from '../types';
import type { Catalog } from '../files/catalog';

export function migrationStatus(catalog: Catalog, rows: AppliedMigration[]): StatusEntry[] {
  const out: StatusEntry[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const file = catalog.find(row.version);
    seen.add(versionId(row.version));
    let state: StatusEntry['state'] = row.status;
    if (row.status === 'applied') {
      if (!file) state = 'missing';
      else if (row.checksum || file.repeatable) {
        const loaded = catalog.load(file);
        // A repeatable migration whose file changed is due to run again, not a changed history.
        if (loaded instanceof MigrationFileError || loaded.checksum !== row.checksum) state = file.repeatable ? 'outdated' : 'modified';
      }
    }
    out.push({ version: row.version, name: row.name || file?.name || '', state, path: file?.upPath, appliedAt: row.appliedAt, executionTimeMs: row.executionTimeMs, errorMessage: row.errorMessage });
  }
  for (const file of [...catalog.files, ...catalog.repeatables]) {
    if (seen.has(versionId(file.version))) continue;
    seen.add(versionId(file.version));
    out.push({ version: file.version, name: file.name, state: 'pending', path: file.upPath, appliedAt: null, executionTimeMs: null, errorMessage: null });
  }
  // Versioned migrations by version, then the repeatables in the order they run (by name).
  const order = new Map(catalog.repeatables.map((f, i) => [f.version, i]));
  const rank = (e: StatusEntry) => (isRepeatableVersion(e.version) ? 1 : 0);
  return out.sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (rank(a) ? (order.get(a.version) ?? Infinity) - (order.get(b.version) ?? Infinity) || a.version.localeCompare(b.version) : compareKeys(versionKey(a.version), versionKey(b.version))),
  );
}
