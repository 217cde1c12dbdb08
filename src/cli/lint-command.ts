// `pgshift lint [paths...]`: lints migration files without a database. Directories are linted as one
// batch in version order (so a table created by an earlier migration counts as new in a later one).
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError } from '../errors';
import { discoverMigrations } from '../files/discover';
import { MigrationFileError, readMigration } from '../files/read';
import { loadLintConfig } from '../lint/config';
import { fileFinding, lintSections } from '../lint/lint';
import type { Finding } from '../lint/types';
import { Catalog } from '../plan/catalog';
import { displayMessage, displayPath } from '../report/text';
import { loadParser } from '../sql/split';
import type { Migration, MigrationFile, ValidationProblem } from '../types';

export interface LintOptions {
  json: boolean;
  /** Config file; default ./pgshift.json when it exists. */
  config?: string;
  out: (s: string) => void;
}

/** Prints the findings; 1 when any is an error, else 0. Bad paths or config throw ConfigError. */
export async function runLint(paths: string[], opts: LintOptions): Promise<number> {
  if (paths.length === 0) throw new ConfigError('pgshift lint needs a migration file or a migrations directory to lint.');
  const config = loadLintConfig(opts.config);
  await loadParser();

  const migrations: Migration[] = [];
  const fileFindings: Finding[] = [];
  const seen = new Set<string>();
  const add = (m: Migration | MigrationFileError, version: string) => {
    if (m instanceof MigrationFileError) {
      if (!seen.has(`${m.path}:${m.line}`)) fileFindings.push(fileFinding(m.path, m.line ?? 1, version, m.reason));
      seen.add(`${m.path}:${m.line}`);
    } else if (!seen.has(m.upPath)) {
      seen.add(m.upPath);
      migrations.push(m);
    }
  };
  const addProblem = (problem: ValidationProblem) => {
    if (problem.blocking && problem.path) add(new MigrationFileError(problem.path, problem.line, problem.message.replace(`${problem.path}: `, '')), problem.version ?? '');
  };
  for (const p of paths) {
    const abs = resolve(p);
    if (isDirectory(p, abs)) {
      const catalog = new Catalog(abs);
      catalog.nameProblems.forEach(addProblem);
      for (const file of catalog.files) add(catalog.load(file), file.version);
      continue;
    }
    // A single file, as its directory's listing names it.
    const listing = discoverMigrations(dirname(abs));
    const file = listing.files.find((f) => f.upPath === abs);
    const problem = listing.problems.find((x) => x.path === abs && x.blocking);
    if (problem) addProblem(problem);
    if (file) add(load(file), file.version);
    // A down file is skipped (down sections are not linted, as in a directory); any other file is linted whole.
    else if (!problem && !listing.files.some((f) => f.downPath === abs)) add(load(adHoc(abs)), '');
  }

  return printFindings([...fileFindings, ...lintSections(migrations.map((migration) => ({ migration, section: migration.up })), config)], opts);
}

/** Prints findings one a line (or as JSON) with a count; 1 when any is an error, else 0. */
export function printFindings(all: Finding[], opts: Pick<LintOptions, 'json' | 'out'>): number {
  const findings = all.map((f) => ({ ...f, path: displayPath(f.path), message: displayMessage(f.message) }));
  if (opts.json) {
    opts.out(JSON.stringify(findings, null, 2));
  } else {
    for (const f of findings) opts.out(`${f.path}:${f.line}:${f.column}  ${f.severity}  ${f.rule}  ${f.message} (${f.docs})`);
    opts.out(summary(findings));
  }
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

function isDirectory(given: string, abs: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    throw new ConfigError(`${given} does not exist: pass a migration file or a migrations directory.`);
  }
}

/** A file named like no migration: its whole text is the up section (markers and directives still apply). */
function adHoc(abs: string): MigrationFile {
  return { version: '', versionKey: [], name: basename(abs, '.sql'), form: 'dbmate', upPath: abs };
}

function load(file: MigrationFile): Migration | MigrationFileError {
  try {
    return readMigration(file);
  } catch (err) {
    if (err instanceof MigrationFileError) return err;
    throw err;
  }
}

function summary(findings: Finding[]): string {
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  if (!findings.length) return 'no findings';
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  return `${n(errors, 'error')}, ${n(warnings, 'warning')}`;
}
