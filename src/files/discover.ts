// Finds migrations by file name alone: nothing is read here, so a directory of thousands of applied
// migrations costs one readdir. Which names are migrations is up to the file forms (./forms).
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors';
import type { MigrationFile, ValidationProblem } from '../types';
import { claimName, DEFAULT_FORM, FORMS } from './forms';
import { compareKeys, versionKey } from './version';

export interface Discovery {
  dir: string;
  /** Sorted by version, lowest first. */
  files: MigrationFile[];
  problems: ValidationProblem[];
}

interface Named {
  version: string;
  name: string;
  path: string;
}

/** "Rename it to <version>_<name>.sql, ... or V<version>__<name>.sql", from the forms' own names. */
function unmatchedHint(fileName: string): string {
  const forms = [...FORMS].sort((a, b) => Number(b.id === DEFAULT_FORM) - Number(a.id === DEFAULT_FORM));
  const names = forms.flatMap((f) => (f.fileNames ? [f.fileNames] : []));
  const listed = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names.join('');
  const notes = forms.flatMap((f) => f.unsupported?.(fileName) ?? []);
  return `Rename it to ${listed}${notes.map((n) => ` (${n})`).join('')}.`;
}

export function discoverMigrations(directory: string): Discovery {
  const dir = resolve(directory);
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ConfigError(`${directory} is not a directory: pass the migrations directory with --dir.`);
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() || (e.isSymbolicLink() && statSync(join(dir, e.name)).isFile()))
      .map((e) => e.name);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`migrations directory ${directory} does not exist: create it, or pass the right one with --dir.`);
  }
  entries.sort();

  const problems: ValidationProblem[] = [];
  const ups: (Named & { form: string; pairKey?: string })[] = [];
  /** Down files by form, then by the key they share with their up file. */
  const downs = new Map<string, Map<string, Named>>(FORMS.map((f) => [f.id, new Map()]));

  for (const entry of entries) {
    if (!entry.toLowerCase().endsWith('.sql')) continue;
    const path = join(dir, entry);
    const claim = claimName(entry);
    if (!claim) {
      problems.push({ kind: 'unmatched', path, message: `${path}: not a migration file name, so it will not run. ${unmatchedHint(entry)}`, blocking: false });
      continue;
    }
    const { form, named } = claim;
    // dbmate or plain is decided when the file is read (by its markers): see forms/plain.ts.
    if (named.role === 'up') ups.push({ version: named.version, name: named.name, path, form: form.id, pairKey: named.pairKey });
    else downs.get(form.id)!.set(named.pairKey, { version: named.version, name: named.name, path });
  }

  // Built with every field at once (downPath included): objects of one shape stay fast in V8.
  const found = ups.map((u) => {
    const file: MigrationFile = { version: u.version, versionKey: versionKey(u.version), name: u.name, form: u.form, upPath: u.path, downPath: undefined };
    return { file, pairKey: u.pairKey };
  });
  found.sort((a, b) => compareKeys(a.file.versionKey, b.file.versionKey) || a.file.upPath.localeCompare(b.file.upPath));
  const files = found.map((f) => f.file);

  // Two files claiming one version would run in an undefined order: refuse.
  for (let i = 1; i < files.length; i++) {
    if (compareKeys(files[i - 1].versionKey, files[i].versionKey) === 0) {
      problems.push({
        kind: 'file',
        path: files[i].upPath,
        version: files[i].version,
        message: `${files[i].upPath}: version ${files[i].version} is also claimed by ${files[i - 1].upPath}. Give one of them a new version.`,
        blocking: true,
      });
    }
  }

  for (const { file, pairKey } of found) {
    if (pairKey === undefined) continue;
    const ofForm = downs.get(file.form)!;
    const down = ofForm.get(pairKey);
    if (down) {
      file.downPath = down.path;
      ofForm.delete(pairKey);
    }
  }
  for (const ofForm of downs.values()) {
    for (const orphan of ofForm.values()) {
      problems.push({
        kind: 'file',
        path: orphan.path,
        version: orphan.version,
        message: `${orphan.path}: a down migration with no up migration of the same version and name. Rename it to match its up file, or delete it.`,
        blocking: true,
      });
    }
  }
  return { dir, files, problems };
}
