// Which migrations are already applied when no database is asked: a base commit says so (a pull
// request's base, `pgshift plan --since main`). The shells read the changed files from git or the
// GitHub API and hand them over as a Baseline; the decision — a migration whose up file was added or
// changed since the base is pending, every other one counts as applied — is made here, once.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Catalog } from '../files/catalog';
import type { TrackingState } from '../plan/plan';
import type { AppliedMigration, Baseline, MigrationFile } from '../types';

/** The same file whatever the path says (a symlinked checkout, /tmp and /private/tmp). */
function canonical(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return resolve(path);
  }
}

/** Whether each migration file was added or changed since the base. */
export function changedSince(baseline: Baseline): (file: Pick<MigrationFile, 'upPath'>) => boolean {
  const changed = new Set(baseline.changed.map(canonical));
  return (file) => changed.has(canonical(file.upPath));
}

/**
 * The tracking rows a base commit stands for: one `applied` row per migration unchanged since it. They
 * carry no checksum: an unchanged file is by definition the one the base has, so there is nothing to compare.
 */
export function appliedAtBase(catalog: Catalog, baseline: Baseline): TrackingState {
  const isChanged = changedSince(baseline);
  const rows: AppliedMigration[] = catalog.files
    .filter((f) => !isChanged(f))
    .map((f) => ({ version: f.version, name: f.name, checksum: '', status: 'applied', appliedAt: null, executionTimeMs: null, errorMessage: null, appliedBy: null }));
  // `unadopted`: rows without a checksum to compare, which is what these are.
  return { exists: rows.length > 0, rows, databaseChecked: false, unadopted: true };
}

/** What git diff lists with name-status and -z (or ls-files with -z: every entry added) → absolute paths of files added or changed. */
export function parseNameStatus(output: string, root: string, allAdded = false): string[] {
  const fields = output.split('\0').filter((f) => f !== '');
  const out: string[] = [];
  if (allAdded) return fields.map((f) => resolve(root, f));
  for (let i = 0; i < fields.length; i++) {
    const status = fields[i];
    // Renames and copies name two paths, the new one last; a deleted file is not in the directory.
    if (/^[RC]/.test(status)) {
      out.push(resolve(root, fields[i + 2]));
      i += 2;
    } else {
      if (status !== 'D') out.push(resolve(root, fields[i + 1]));
      i += 1;
    }
  }
  return out;
}
