// Finds migrations by file name alone: nothing is read here, so a directory of thousands of applied
// migrations costs one readdir.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors';
import type { MigrationFile, ValidationProblem } from '../types';
import { compareKeys, versionKey } from './version';

export interface Discovery {
  dir: string;
  /** Sorted by version, lowest first. */
  files: MigrationFile[];
  problems: ValidationProblem[];
}

const PAIR = /^(\d+)_(.+)\.(up|down)\.sql$/i;
const FLYWAY = /^([VU])(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const SINGLE = /^(\d+)_(.+)\.sql$/i;

interface Named {
  version: string;
  name: string;
  path: string;
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
  const ups: (Named & { form: MigrationFile['form'] })[] = [];
  const pairDowns = new Map<string, Named>();
  const undos = new Map<string, Named>();

  for (const entry of entries) {
    if (!entry.toLowerCase().endsWith('.sql')) continue;
    const path = join(dir, entry);
    let m: RegExpMatchArray | null;
    if ((m = entry.match(PAIR))) {
      const named = { version: m[1], name: m[2], path };
      if (m[3].toLowerCase() === 'up') ups.push({ ...named, form: 'pair' });
      else pairDowns.set(`${versionKey(m[1]).join('.')}/${m[2]}`, named);
    } else if ((m = entry.match(FLYWAY))) {
      const named = { version: m[2], name: m[3], path };
      if (m[1] === 'V') ups.push({ ...named, form: 'flyway' });
      else undos.set(versionKey(m[2]).join('.'), named);
    } else if ((m = entry.match(SINGLE))) {
      // dbmate or plain is decided when the file is read (by its markers).
      ups.push({ version: m[1], name: m[2], path, form: 'dbmate' });
    } else {
      problems.push({
        kind: 'unmatched',
        path,
        message: `${path}: not a migration file name, so it will not run. Rename it to <version>_<name>.sql, <version>_<name>.up.sql/.down.sql or V<version>__<name>.sql${
          /^R__/.test(entry) ? ' (Flyway repeatable migrations are not supported)' : ''
        }.`,
        blocking: false,
      });
    }
  }

  // Built with every field at once (downPath included): objects of one shape stay fast in V8.
  const files: MigrationFile[] = ups.map((u) => ({ version: u.version, versionKey: versionKey(u.version), name: u.name, form: u.form, upPath: u.path, downPath: undefined }));
  files.sort((a, b) => compareKeys(a.versionKey, b.versionKey) || a.upPath.localeCompare(b.upPath));

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

  for (const file of files) {
    const id = file.versionKey.join('.');
    const down = file.form === 'pair' ? pairDowns.get(`${id}/${file.name}`) : file.form === 'flyway' ? undos.get(id) : undefined;
    if (down) {
      file.downPath = down.path;
      if (file.form === 'pair') pairDowns.delete(`${id}/${file.name}`);
      else undos.delete(id);
    }
  }
  for (const orphan of [...pairDowns.values(), ...undos.values()]) {
    problems.push({
      kind: 'file',
      path: orphan.path,
      version: orphan.version,
      message: `${orphan.path}: a down migration with no up migration of the same version and name. Rename it to match its up file, or delete it.`,
      blocking: true,
    });
  }
  return { dir, files, problems };
}
