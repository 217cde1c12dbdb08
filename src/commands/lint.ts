// The safety analysis as a command: findings on a plan's pending steps (the statements the plan
// already parsed), and `pgshift lint [paths]` over files and directories without a database.
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError } from '../errors';
import { Catalog } from '../files/catalog';
import { discoverMigrations } from '../files/discover';
import { MigrationFileError, readMigration } from '../files/read';
import { versionId } from '../files/version';
import { loadLintConfig } from '../lint/config';
import { DEFAULT_LINT_CONFIG, fileFinding, lintSections, lintSteps } from '../lint/lint';
import { FIXED_RULES } from '../lint/rules';
import { loadParser } from '../sql/split';
import type { Finding, LintConfig, Migration, MigrationFile, Plan, ValidationProblem } from '../types';

export { loadLintConfig };

/** The plan with the linter's findings on its pending up sections. Syntax and file errors are already problems. */
export function withFindings(p: Plan, config: LintConfig | false | undefined): Plan {
  if (config === false || p.direction !== 'up' || p.steps.length === 0) return p;
  const findings = lintSteps(p.steps, config ?? DEFAULT_LINT_CONFIG).filter((f) => !FIXED_RULES.has(f.rule));
  return { ...p, findings };
}

/**
 * Findings of the given files or directories, without a database. Directories are linted as one batch
 * in version order (so a table created by an earlier migration counts as new in a later one).
 */
export async function lintPaths(paths: string[], config: LintConfig): Promise<Finding[]> {
  if (paths.length === 0) throw new ConfigError('pgshift lint needs a migration file or a migrations directory to lint.');
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
  return [
    ...fileFindings,
    ...lintSections(
      migrations.map((migration) => ({ migration, section: migration.up })),
      config,
    ),
  ];
}

/**
 * What the next deploy would run, linted as files: the pending migrations of a plan, plus pending files
 * that cannot be read or do not parse (the plan keeps those as problems, the linter as error findings).
 */
export function pendingPaths(p: Plan): string[] {
  const applied = new Set(p.applied.map((r) => versionId(r.version)));
  const unreadable = p.problems.filter((x) => x.blocking && x.kind === 'file' && x.path && !(x.version && applied.has(versionId(x.version)))).map((x) => x.path!);
  return [...new Set([...p.steps.map((st) => st.migration.upPath), ...unreadable])];
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
  return { version: '', versionKey: [], name: basename(abs, '.sql'), form: 'dbmate', upPath: abs, downPath: undefined };
}

function load(file: MigrationFile): Migration | MigrationFileError {
  try {
    return readMigration(file);
  } catch (err) {
    if (err instanceof MigrationFileError) return err;
    throw err;
  }
}
