// Files + tracking rows → a Plan: what would run, in which order, and every reason to refuse.
// Pure: it reads files but never the database (the caller passes the rows in).
import { ConfigError } from '../errors';
import { MigrationFileError } from '../files/read';
import { compareKeys, isVersion, versionId, versionKey } from '../files/version';
import { SqlSyntaxError, splitStatements } from '../sql/split';
import type { AppliedMigration, Direction, Migration, MigrationFile, Plan, PlannedStep, Section, Statement, ValidationProblem } from '../types';
import { Catalog, fileProblem } from '../files/catalog';
import { isRepeatableVersion } from '../files/forms/flyway';
import { formById, toolOf } from '../files/forms';
import { statementWords } from '../sql/transaction';

export interface Selection {
  direction: Direction;
  /** up: apply up to and including this version; down: roll back every version above it ("0": all). */
  target?: string;
  /** How many migrations at most (down defaults to 1). */
  steps?: number;
  allowMissing?: boolean;
  allowOutOfOrder?: boolean;
}

export interface TrackingState {
  exists: boolean;
  rows: AppliedMigration[];
  /** false when the plan is made from the files alone. */
  databaseChecked: boolean;
  /** true when schema_migrations is dbmate's, not adopted yet: its rows carry no checksum to compare. */
  unadopted?: boolean;
}

/** Statements that begin or end a transaction, which a file may carry by habit. */
const BLOCK_KINDS = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START', 'TRANS_STMT_COMMIT']);
/** Statements that would end pgshift's transaction early or undo it. */
const FORBIDDEN_KINDS: Record<string, string> = {
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

/**
 * A transactional section's statements as pgshift runs them: the file's own BEGIN/COMMIT are dropped
 * because the whole section (and its tracking rows) already runs in one pgshift transaction, which
 * keeps the all-or-nothing guarantee those statements were written for.
 */
export function transactionalStatements(section: Section, statements: Statement[], problems: ValidationProblem[], version: string): { statements: Statement[]; notes: string[] } {
  const kept: Statement[] = [];
  let dropped = 0;
  for (const s of statements) {
    const kind = s.kind === 'TransactionStmt' ? String(s.node.kind) : '';
    if (BLOCK_KINDS.has(kind)) {
      dropped++;
      continue;
    }
    if (FORBIDDEN_KINDS[kind]) {
      problems.push({
        kind: 'transaction-control',
        path: section.path,
        line: s.line,
        version,
        message: `${section.path}:${s.line}: ${FORBIDDEN_KINDS[kind]} inside a migration would end pgshift's transaction and lose the tracking row. Remove it (a failed migration is rolled back for you), or mark the section transaction:false.`,
        blocking: true,
      });
    }
    kept.push(s);
  }
  const notes = dropped ? [`the file's own BEGIN/COMMIT (${dropped} statement${dropped > 1 ? 's' : ''}) run as pgshift's single transaction for this migration`] : [];
  return { statements: kept, notes };
}

/** What a rollback of an empty down section does, for the plan and the history. */
export const EMPTY_DOWN_NOTE = 'the down section is empty (nothing to undo): rolling back runs no SQL and removes the migration from the applied set';

/**
 * The section as it runs: a form whose tool runs a script without a transaction when it holds a
 * statement that cannot run in one (Flyway) has it so here, with a note saying which statement.
 */
export function asItRuns(migration: Migration, section: Section, statements: Statement[]): { section: Section; note?: string } {
  if (!section.transaction) return { section };
  const form = formById(migration.form);
  const s = form.outsideTransaction?.(statements);
  if (!s) return { section };
  const note = `runs without a transaction, as ${toolOf(form)} runs it: line ${s.line} (${statementWords(s)}) cannot run inside one`;
  return { section: { ...section, transaction: false }, note };
}

export function planStep(migration: Migration, direction: Direction, problems: ValidationProblem[]): PlannedStep {
  let section = direction === 'up' ? migration.up : migration.down!;
  let split: Statement[] = [];
  let syntaxError: PlannedStep['syntaxError'];
  try {
    // An empty down has nothing to parse (the parser refuses an empty query).
    split = section.empty ? [] : splitStatements(section);
  } catch (err) {
    if (!(err instanceof SqlSyntaxError)) throw err;
    syntaxError = { line: err.line, column: err.column, reason: err.reason };
    problems.push({ kind: 'file', path: err.path, line: err.line, version: migration.version, message: err.message, blocking: true });
  }
  // The parser's own statements, also those a StatementBegin/StatementEnd block sends as one.
  const parsed = split.flatMap((s) => s.parts ?? [s]);
  const runs = asItRuns(migration, section, parsed);
  section = runs.section;
  let statements = split;
  let notes: string[] = runs.note ? [runs.note] : [];
  if (section.transaction) ({ statements, notes } = transactionalStatements(section, split, problems, migration.version));
  if (section.empty) notes.push(EMPTY_DOWN_NOTE);
  if (statements.length === 0 && !section.empty && !problems.some((p) => p.path === section.path && p.blocking)) {
    problems.push({
      kind: 'file',
      path: section.path,
      line: section.startLine,
      version: migration.version,
      message: `${section.path}:${section.startLine}: the ${direction} section has no SQL statement. Write it, or delete the file.`,
      blocking: true,
    });
  }
  return {
    migration,
    direction,
    section,
    statements,
    transactional: section.transaction,
    rollback: direction === 'up' ? migration.down : undefined,
    notes,
    // The linter reads this split instead of parsing the section again.
    parsed: statements.length === parsed.length ? undefined : parsed,
    syntaxError,
    historyNote: section.empty ? EMPTY_DOWN_NOTE : undefined,
  };
}

/** The target's version key; 'all' for a down to 0, which rolls back every migration, a version 0 included. */
function checkTarget(target: string | undefined, catalog: Catalog, rows: AppliedMigration[], direction: Direction): bigint[] | 'all' | undefined {
  if (target === undefined || target === '') return undefined;
  if (!isVersion(target)) throw new ConfigError(`--target ${target} is not a version: use the number at the start of a migration file name.`);
  if (direction === 'down' && versionKey(target).every((p) => p === 0n)) return 'all';
  const known = catalog.find(target) || rows.some((r) => versionId(r.version) === versionId(target));
  if (!known)
    throw new ConfigError(
      `--target ${target} matches no migration in ${catalog.dir} nor in the tracking table: use an existing version${direction === 'down' ? ' (or 0 to roll back everything)' : ''}.`,
    );
  return versionKey(target);
}

/**
 * Repeatable migrations that are due: new ones, and those whose file changed since they last ran. A
 * failed or running one waits for `resolve` (its row is a problem already); an unreadable one refuses an up.
 */
function dueRepeatables(
  catalog: Catalog,
  rowsById: Map<string, AppliedMigration>,
  problems: ValidationProblem[],
  direction: Direction,
): { due: { migration: Migration; why: string }[]; refused: boolean } {
  const due: { migration: Migration; why: string }[] = [];
  let refused = false;
  for (const file of catalog.repeatables) {
    const row = rowsById.get(file.version);
    if (row && row.status !== 'applied') continue;
    const loaded = catalog.load(file);
    if (loaded instanceof MigrationFileError) {
      problems.push({ ...fileProblem(loaded, file.version), blocking: direction === 'up' });
      if (direction === 'up') refused = true;
      continue;
    }
    if (row && row.checksum === loaded.checksum) continue;
    due.push({
      migration: loaded,
      why: row ? 'repeatable: runs again because its file changed since it last ran' : 'repeatable: runs for the first time (then again whenever its file changes)',
    });
  }
  return { due, refused };
}

export function buildPlan(catalog: Catalog, tracking: TrackingState, selection: Selection): Plan {
  const problems: ValidationProblem[] = [...catalog.nameProblems];
  // Problems that refuse the run even when no step is left to run: a duplicate version or an orphan
  // down file (usually a misnamed up file), a pending file that cannot be read, a migration chosen for
  // rollback that cannot be rolled back. Without this, "up"/"down" would say "nothing to do" and exit 0.
  let refused = catalog.nameProblems.some((p) => p.blocking);
  const rowsById = new Map(tracking.rows.map((r) => [versionId(r.version), r]));
  // Repeatable migrations ("R__<name>") are applied too, but have no version: they are never current,
  // never out of order, never rolled back.
  const applied = tracking.rows.filter((r) => r.status === 'applied' && !isRepeatableVersion(r.version));
  let highest: bigint[] | undefined;
  let currentVersion: string | null = null;
  for (const r of applied) {
    const k = versionKey(r.version);
    if (!highest || compareKeys(k, highest) > 0) {
      highest = k;
      currentVersion = r.version;
    }
  }

  // Applied files must be unchanged; their text is hashed, never parsed.
  for (const row of tracking.rows) {
    const file = catalog.find(row.version);
    if (row.status !== 'applied') {
      problems.push({
        kind: 'failed',
        version: row.version,
        path: file?.upPath,
        message: `migration ${row.version} (${row.name}) is marked ${row.status}${row.errorMessage ? `: ${row.errorMessage}` : ''}. Check the database by hand, then run "pgshift resolve ${row.version} --applied" if its changes are in place, or "pgshift resolve ${row.version} --rolled-back" if they are not.`,
        blocking: true,
      });
      continue;
    }
    if (!file) {
      problems.push({
        kind: 'missing',
        version: row.version,
        message: `migration ${row.version}${row.name ? ` (${row.name})` : ''} is applied but its file is gone from the migrations directory (${catalog.dir}). ${
          selection.allowMissing ? 'Going on without it (--allow-missing).' : 'Restore the file, or pass --allow-missing to go on without it.'
        }`,
        blocking: !selection.allowMissing,
      });
      continue;
    }
    // A repeatable migration whose file changed is not a changed history: it is due to run again (below).
    if (file.repeatable) continue;
    if (!row.checksum) {
      // A dbmate row before adoption has nothing to compare yet; in pgshift's own table a row without a
      // checksum was written by hand, and its file could change unnoticed: say so, without blocking.
      if (!tracking.unadopted) {
        problems.push({
          kind: 'unverified',
          version: row.version,
          path: file.upPath,
          message: `migration ${row.version}${row.name ? ` (${row.name})` : ''} has no checksum in schema_migrations (it is ${row.checksum === '' ? 'empty' : 'NULL'}), so pgshift cannot tell whether ${file.upPath} changed after it ran. Check that the file is what was applied, then record its checksum with "pgshift repair ${row.version}", giving the reason.`,
          blocking: false,
        });
      }
      continue;
    }
    const loaded = catalog.load(file);
    if (loaded instanceof MigrationFileError) {
      problems.push(fileProblem(loaded, row.version));
      continue;
    }
    if (loaded.checksum !== row.checksum) {
      problems.push({
        kind: 'modified',
        version: row.version,
        path: file.upPath,
        storedChecksum: row.checksum,
        currentChecksum: loaded.checksum,
        message: `${file.upPath}: applied migration ${row.version} was changed after it ran (stored ${row.checksum}, now ${loaded.checksum}). Restore the file as it was applied and put the change in a new migration; or, if the change alters nothing that ran (whitespace, comments) or was applied by hand, accept it with "pgshift repair ${row.version}", giving the reason.`,
        blocking: true,
      });
    }
  }

  // Pending files: read (and so checked) before anything touches the database.
  const pending: Migration[] = [];
  for (const file of catalog.files) {
    if (rowsById.has(versionId(file.version))) continue;
    const loaded = catalog.load(file);
    if (loaded instanceof MigrationFileError) {
      // A down never runs a pending file (one just made by `pgshift new`, still empty): a warning there.
      problems.push({ ...fileProblem(loaded, file.version), blocking: selection.direction === 'up' });
      if (selection.direction === 'up') refused = true;
      continue;
    }
    pending.push(loaded);
    if (highest && compareKeys(file.versionKey, highest) < 0) {
      problems.push({
        kind: 'out-of-order',
        version: file.version,
        path: file.upPath,
        message: `${file.upPath}: pending migration ${file.version} is older than the newest applied one (${currentVersion}). Give it a newer version, or pass --allow-out-of-order to apply it anyway.`,
        blocking: !selection.allowOutOfOrder,
      });
    }
  }
  const pendingFiles = catalog.files.filter((f) => !rowsById.has(versionId(f.version)));
  const repeatables = dueRepeatables(catalog, rowsById, problems, selection.direction);
  if (repeatables.refused) refused = true;

  const target = checkTarget(selection.target, catalog, tracking.rows, selection.direction);
  const steps: PlannedStep[] = [];
  if (selection.direction === 'up') {
    let chosen = pending.filter((m) => !target || target === 'all' || compareKeys(m.versionKey, target) <= 0);
    if (selection.steps !== undefined) chosen = chosen.slice(0, selection.steps);
    for (const m of chosen) steps.push(planStep(m, 'up', problems));
    // As in Flyway, repeatables run after the versioned migrations, and only once none is left pending
    // (a view may read a table that a pending migration creates).
    if (chosen.length === pending.length) {
      const room = selection.steps === undefined ? repeatables.due.length : Math.max(0, selection.steps - chosen.length);
      for (const { migration, why } of repeatables.due.slice(0, room)) {
        const step = planStep(migration, 'up', problems);
        step.notes.push(why);
        steps.push(step);
      }
    }
  } else {
    let chosen = [...applied].sort((a, b) => compareKeys(versionKey(b.version), versionKey(a.version)));
    if (target && target !== 'all') chosen = chosen.filter((r) => compareKeys(versionKey(r.version), target) > 0);
    chosen = chosen.slice(0, selection.steps ?? (target ? undefined : 1));
    for (const row of chosen) {
      const file: MigrationFile | undefined = catalog.find(row.version);
      const loaded = file ? catalog.load(file) : undefined;
      if (!file || loaded === undefined) {
        problems.push({
          kind: 'missing',
          version: row.version,
          message: `cannot roll back ${row.version}${row.name ? ` (${row.name})` : ''}: its file is gone from the migrations directory (${catalog.dir}). Restore the file first.`,
          blocking: true,
        });
        refused = true;
        continue;
      }
      if (loaded instanceof MigrationFileError) {
        // Reported above unless the row had no checksum to compare (a dbmate row before adoption).
        if (!problems.some((p) => p.message === loaded.message)) problems.push(fileProblem(loaded, row.version));
        refused = true;
        continue;
      }
      if (!loaded.down) {
        refused = true;
        problems.push({
          kind: 'file',
          version: row.version,
          path: loaded.upPath,
          message: `${loaded.upPath}: migration ${row.version} has no down at all, so it cannot be rolled back (an empty down would roll back as a no-op; a missing one is irreversible). ${formById(loaded.form).addDown ?? 'Add a "-- migrate:down" section (or a .down.sql / U file)'}, or fix forward with a new migration.`,
          blocking: true,
        });
        continue;
      }
      steps.push(planStep(loaded, 'down', problems));
    }
  }

  // A problem with the applied history (a file changed or gone, a migration failed or still running)
  // refuses every run, even one with nothing to run: otherwise the check that sees the change stays
  // green and the next deploy with something pending is refused in production. (--allow-missing makes
  // a missing file non-blocking: that is its meaning.)
  const onRecord = (p: ValidationProblem) => p.version !== undefined && rowsById.has(versionId(p.version));
  const blocked = refused || problems.some((p) => p.blocking && (steps.length > 0 || onRecord(p) || p.kind === 'failed' || p.kind === 'transaction-control'));
  return {
    direction: selection.direction,
    steps,
    problems,
    applied: tracking.rows,
    pendingCount: pendingFiles.length + repeatables.due.length,
    currentVersion,
    trackingExists: tracking.exists,
    databaseChecked: tracking.databaseChecked,
    blocked,
    findings: [],
  };
}
