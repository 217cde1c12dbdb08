// The safety analysis as a command: findings on a plan's pending steps (the statements the plan
// already parsed), and `pgshift lint [paths]` over files and directories without a database.
import { statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ConfigError, ValidationError } from '../errors';
import { asItRuns } from '../plan/plan';
import { Catalog } from '../files/catalog';
import { discoverMigrations } from '../files/discover';
import { MigrationFileError, readMigration } from '../files/read';
import { versionId } from '../files/version';
import { loadLintConfig } from '../lint/config';
import { DEFAULT_LINT_CONFIG, fileFinding, lintRollbacks, lintSections, lintSteps, planQuestions, questionsFor, type LintItem } from '../lint/lint';
import type { DatabaseFacts } from '../lint/facts';
import { readLintFacts } from '../db/lint-facts';
import type { ReservedSql, Sql } from '../db/connect';
import { FIXED_RULES } from '../lint/rules';
import { loadParser, splitStatements, SqlSyntaxError } from '../sql/split';
import type { Baseline, Finding, LintConfig, Migration, MigrationFile, Plan, Statement, ValidationProblem } from '../types';
import { changedSince } from './baseline';
import { withSession, type SessionOptions } from './session';

export { loadLintConfig };

/**
 * The plan with the linter's findings on its pending up sections (`findings`, which the safety policy
 * reads) and, with `downSections`, on the down sections — each step's rollback, or what a down plan runs
 * (`rollbackFindings`, which say what rolling back destroys). A plan shown to a person lints them; a
 * deploy checking its policy does not pay for them. A section that does not parse is already a problem
 * of the plan; a rollback is not planned, so its syntax error is a rollback finding.
 */
export function withFindings(p: Plan, config: LintConfig | false | undefined, downSections = false, facts?: DatabaseFacts): Plan {
  if (config === false || p.steps.length === 0) return p;
  const rules = config ?? DEFAULT_LINT_CONFIG;
  const notProblems = (f: Finding) => !FIXED_RULES.has(f.rule);
  if (p.direction === 'down') return downSections ? { ...p, rollbackFindings: lintSteps(p.steps, rules, facts).filter(notProblems) } : p;
  const findings = lintSteps(p.steps, rules, facts).filter(notProblems);
  return downSections ? { ...p, findings, rollbackFindings: lintRollbacks(p.steps, rules, facts) } : { ...p, findings };
}

/**
 * What the database knows that withFindings(p, config, downSections) can use (lint/facts.ts), read on
 * the command's connection; undefined when nothing will be linted.
 */
export async function planFacts(sql: Sql | ReservedSql, p: Plan, config: LintConfig | false | undefined, downSections = false): Promise<DatabaseFacts | undefined> {
  if (config === false || p.steps.length === 0 || (p.direction === 'down' && !downSections)) return undefined;
  return readLintFacts(sql, planQuestions(p.steps, downSections && p.direction === 'up'));
}

/** Asks the database, before some sections are linted, what the rules should know about them. */
export type FactsSource = (items: LintItem[]) => Promise<DatabaseFacts | undefined>;

/** Facts read on a connection of their own: for `pgshift lint` with a database, whose plan's session has ended. */
export function databaseFacts(o: SessionOptions): FactsSource {
  return (items) => withSession(o, (s) => readLintFacts(s.sql, questionsFor(items)));
}

/** Findings of files or directories, and what the reader should know about what was left out. */
export interface LintReport {
  findings: Finding[];
  /** Plain sentences: the batch a directory was linted as, and what that hides. */
  notes: string[];
  /** The .sql files a directory holds that are not migrations, which nothing lints: said after the findings. */
  ignored: string[];
}

/**
 * Findings of the given files or directories, without a database. Directories are linted as one batch
 * in version order (so a table created by an earlier migration counts as new in a later one).
 */
export async function lintPaths(paths: string[], config: LintConfig): Promise<Finding[]> {
  return (await lintFiles(paths, config)).findings;
}

/**
 * lintPaths, with a base commit when there is one: then only the migrations of a directory added or
 * changed since the base are linted (as one batch); the others count as applied, so the objects they
 * created are old and findings on them are reported. Without one, a note says what a one-batch lint hides.
 */
export async function lintFiles(paths: string[], config: LintConfig, baseline?: Baseline, facts?: FactsSource): Promise<LintReport> {
  if (paths.length === 0) throw new ConfigError('pgshift lint needs a migration file or a migrations directory to lint.');
  await loadParser();
  const notes: string[] = [];
  const ignored: string[] = [];
  const isChanged = baseline && changedSince(baseline);

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
    if (problem.kind === 'unmatched') {
      // A directory where nothing is a migration is not "no findings": it is refused, as by plan and up.
      if (problem.blocking) throw new ValidationError(`nothing to lint: ${problem.message}`, [problem]);
      ignored.push(problem.message);
    } else if (problem.blocking && problem.path) add(new MigrationFileError(problem.path, problem.line, problem.message.replace(`${problem.path}: `, '')), problem.version ?? '');
  };
  for (const p of paths) {
    const abs = resolve(p);
    if (isDirectory(p, abs)) {
      const catalog = new Catalog(abs);
      catalog.nameProblems.forEach(addProblem);
      // Repeatables run after the versioned ones, so they are linted after them.
      const all = [...catalog.files, ...catalog.repeatables];
      const pending = isChanged ? all.filter(isChanged) : all;
      for (const file of pending) add(catalog.load(file), file.version);
      if (baseline) {
        const applied = all.length - pending.length;
        notes.push(
          `${p}: linted the ${count(pending.length, 'migration')} added or changed since ${baseline.label}; the ${applied} unchanged ${applied === 1 ? 'one counts' : 'ones count'} as applied, so findings on the objects ${applied === 1 ? 'it' : 'they'} created are reported.`,
        );
      } else if (catalog.files.length > 1) {
        notes.push(
          `${p}: every migration was linted as one batch, so a table an earlier one creates counts as new: findings on objects created earlier in the directory are not reported. Pass --since <git-ref> (the branch you merge into) to lint only what changed since then.`,
        );
      }
      continue;
    }
    // A single file, as its directory's listing names it.
    const listing = discoverMigrations(dirname(abs));
    const file = listing.files.find((f) => f.upPath === abs) ?? listing.repeatables.find((f) => f.upPath === abs);
    const problem = listing.problems.find((x) => x.path === abs && x.blocking);
    if (problem) addProblem(problem);
    if (file) add(load(file), file.version);
    // A down file is skipped (down sections are not linted, as in a directory); any other file is linted whole.
    else if (!problem && !listing.files.some((f) => f.downPath === abs)) add(load(adHoc(abs)), '');
  }
  const items = migrations.map((migration) => asLinted(migration));
  return {
    findings: [...fileFindings, ...lintSections(items, config, items.length ? await facts?.(items) : undefined)],
    notes,
    ignored,
  };
}

/** A migration's up section as it runs (a Flyway script that cannot run in a transaction runs without one), split once. */
function asLinted(migration: Migration): LintItem {
  let parsed: Statement[];
  try {
    parsed = splitStatements(migration.up).flatMap((s) => s.parts ?? [s]);
  } catch (err) {
    if (err instanceof SqlSyntaxError) return { migration, section: migration.up };
    throw err;
  }
  return { migration, section: asItRuns(migration, migration.up, parsed).section, parsed };
}

function count(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
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
