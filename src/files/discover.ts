// Finds migrations by file name alone: nothing is read here (but a .sql file that no form claims by name,
// which sql-migrate may claim by its markers), so a directory of thousands of applied migrations costs
// one readdir, and a stat for each folder (Prisma's <timestamp>_<name>/migration.sql). Which names are migrations is up to the file forms (./forms).
import { readdirSync, readlinkSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors';
import type { MigrationFile, ValidationProblem } from '../types';
import { MigrationFileError } from './errors';
import { claimName, claimText, DEFAULT_FORM, FORMS, toolOf } from './forms';
import { readText } from './read';
import { compareKeys, versionKey } from './version';

export interface Discovery {
  dir: string;
  /** Sorted by version, lowest first. */
  files: MigrationFile[];
  /** Repeatable migrations (Flyway R__), in the order they run: by name, as Flyway orders them. */
  repeatables: MigrationFile[];
  problems: ValidationProblem[];
}

interface Named {
  version: string;
  name: string;
  path: string;
}

/** "<version>_<name>.sql (dbmate, goose, …), … or V<version>__<name>.sql (Flyway)", from the forms' own names. */
function formNames(): string {
  const forms = [...FORMS].sort((a, b) => Number(b.id === DEFAULT_FORM) - Number(a.id === DEFAULT_FORM));
  const names = forms.flatMap((f) => {
    if (!f.fileNames) return [];
    const tools = [f, ...FORMS.filter((g) => g.readsNamesOf === f.id)].map(toolOf);
    return [`${f.fileNames} (${tools.join(', ')})`];
  });
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names.join('');
}

/** How many names to list in the summary of ignored files. */
const LISTED = 5;

/**
 * One problem for every .sql file no form claims: how many, which (the first few), and how migrations
 * are named. Never silent, and blocking when nothing at all in the directory is a migration: such a
 * directory is not "up to date", it is one pgshift cannot read.
 */
function ignoredProblem(dir: string, directory: string, ignored: string[], nothingElse: boolean): ValidationProblem {
  const n = ignored.length;
  const listed = n > LISTED ? `${ignored.slice(0, LISTED).join(', ')} and ${n - LISTED} more` : ignored.join(', ');
  const notes = [...new Set(ignored.flatMap((name) => FORMS.flatMap((f) => f.unsupported?.(name) ?? [])))];
  const files = `${n} .sql file${n === 1 ? '' : 's'}`;
  const naming = `A migration is named ${formNames()}; a sql-migrate file may have any name that starts with a number when it holds "-- +migrate Up"${notes.map((x) => ` (${x})`).join('')}.`;
  return {
    kind: 'unmatched',
    path: dir,
    message: nothingElse
      ? `${directory}: none of its ${files} is a migration pgshift recognises (${listed}), so nothing would run. ${naming} Rename them, or pass the directory that holds the migrations with --dir.`
      : `${directory}: ${files} ignored, not named as migrations, so ${n === 1 ? 'it does' : 'they do'} not run: ${listed}. ${naming}`,
    blocking: nothingElse,
  };
}

/** The migration.sql of a folder, when the folder is one (Prisma's `<timestamp>_<name>/migration.sql`). */
function folderMigration(dir: string, folder: string): string | undefined {
  try {
    return statSync(join(dir, folder, 'migration.sql')).isFile() ? `${folder}/migration.sql` : undefined;
  } catch {
    return undefined;
  }
}

/** Why the migrations directory itself cannot be listed, in words. */
function directoryError(directory: string, dir: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new ConfigError(`migrations directory ${directory} cannot be read: permission denied to the user running pgshift. Make it readable (chmod a+rx ${directory}).`);
  }
  if (code === 'ELOOP') return new ConfigError(`migrations directory ${directory} is a symbolic link that loops: point it at the real directory, or pass that one with --dir.`);
  if (code === 'ENOTDIR') return new ConfigError(`${directory} is not a directory: pass the migrations directory with --dir.`);
  if (code === 'ENOENT') {
    let target: string | undefined;
    try {
      target = readlinkSync(dir);
    } catch {
      // Not a link: the directory is simply not there.
    }
    if (target !== undefined) return new ConfigError(`migrations directory ${directory} is a symbolic link to ${target}, which does not exist: fix the link, or pass the right directory with --dir.`);
    return new ConfigError(`migrations directory ${directory} does not exist: create it, or pass the right one with --dir.`);
  }
  return new ConfigError(`migrations directory ${directory} cannot be read (${code ?? 'error'}: ${(err as Error)?.message ?? String(err)}).`);
}

/** What a directory entry is once links are followed; 'broken' for a link that leads nowhere or loops. */
function entryKind(dir: string, e: Dirent): 'file' | 'directory' | 'other' | 'broken' {
  if (e.isFile()) return 'file';
  if (e.isDirectory()) return 'directory';
  if (!e.isSymbolicLink()) return 'other';
  try {
    const st = statSync(join(dir, e.name));
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'broken';
  }
}

export function discoverMigrations(directory: string): Discovery {
  const dir = resolve(directory);
  let dirents: Dirent[];
  try {
    if (!statSync(dir).isDirectory()) throw new ConfigError(`${directory} is not a directory: pass the migrations directory with --dir.`);
    // In name order, as entries were always sorted (the default sort: UTF-16 code units).
    dirents = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw directoryError(directory, dir, err);
  }

  const problems: ValidationProblem[] = [];
  const entries: string[] = [];
  // Only .sql names are looked at (and only links among them followed): a README link that leads
  // nowhere is none of pgshift's business.
  for (const e of dirents) {
    if (!e.name.toLowerCase().endsWith('.sql')) {
      // One level into folders, for Prisma's migration.sql; other folders are none of pgshift's business.
      const inner = entryKind(dir, e) === 'directory' ? folderMigration(dir, e.name) : undefined;
      if (inner) entries.push(inner);
      continue;
    }
    const kind = entryKind(dir, e);
    const path = join(dir, e.name);
    if (kind === 'directory') {
      problems.push({
        kind: 'unmatched',
        path,
        message: `${path}: a directory named like a migration file. pgshift reads only the files directly in the migrations directory, so nothing in it will run: move its migrations up into ${directory}, or rename it so that it does not end in .sql.`,
        blocking: false,
      });
    } else if (kind === 'other') {
      problems.push({ kind: 'unmatched', path, message: `${path}: not a regular file (a device, socket or pipe), so it will not run. Replace it with the migration file.`, blocking: false });
    } else {
      // A link that leads nowhere is kept: reading it names the file and what is wrong with it.
      entries.push(e.name);
    }
  }

  const ups: (Named & { form: string; pairKey?: string })[] = [];
  const repeatables: MigrationFile[] = [];
  /** Down files by form, then by the key they share with their up file. */
  const downs = new Map<string, Map<string, Named>>(FORMS.map((f) => [f.id, new Map()]));

  const ignored: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry);
    let claim = claimName(entry);
    if (!claim) {
      // Only a name no form claims is read here (sql-migrate accepts any *.sql name holding its markers).
      try {
        claim = claimText(entry, () => readText(path));
      } catch (err) {
        if (!(err instanceof MigrationFileError)) throw err;
        problems.push({ kind: 'file', path, line: err.line, message: `${path}${err.line ? `:${err.line}` : ''}: ${err.reason}`, blocking: true });
        continue;
      }
    }
    if (!claim) {
      ignored.push(entry);
      continue;
    }
    const { form, named } = claim;
    // dbmate or plain is decided when the file is read (by its markers): see forms/plain.ts.
    if (named.role === 'repeatable') {
      repeatables.push({ version: named.version, versionKey: versionKey(named.version), name: named.name, form: form.id, upPath: path, downPath: undefined, repeatable: true });
    } else if (named.role === 'up') ups.push({ version: named.version, name: named.name, path, form: form.id, pairKey: named.pairKey });
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
  // Flyway orders repeatables by description; names are unique within a directory, so no tie to break.
  repeatables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (ignored.length) problems.push(ignoredProblem(dir, directory, ignored, files.length === 0 && repeatables.length === 0 && !problems.some((p) => p.blocking)));
  return { dir, files, repeatables, problems };
}
