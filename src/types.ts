// The engine's vocabulary. Files become Migrations, Migrations and the tracking table become a Plan,
// a Plan is executed into a RunResult. Nothing here prints or exits: the CLI and the action do that.
import type { ShadowProof } from './schema/proof';

/** How a migration is laid out on disk, decided per file: the id of a form in src/files/forms ('dbmate', 'pair', 'flyway', 'plain'). */
export type MigrationForm = string;

/** A migration as found by its file name(s); its text is read only when needed. */
export interface MigrationFile {
  /** The version as written in the file name ("20240101120000", "1.2"). */
  version: string;
  /** Numeric parts of the version, for ordering and identity ("001" and "1" are the same version). */
  versionKey: bigint[];
  name: string;
  form: MigrationForm;
  /** Absolute path of the file holding the up section. */
  upPath: string;
  /** Absolute path of a separate down file (pair and Flyway forms). */
  downPath?: string;
  /**
   * A repeatable migration (Flyway `R__<name>.sql`): `version` is "R__<name>", not a number; it runs
   * after the versioned migrations whenever it is new or its checksum changed, and is never rolled back.
   */
  repeatable?: true;
}

/** One section (up or down) of a migration, with where it sits in its file. */
export interface Section {
  /** Normalised text: BOM removed, CRLF turned into LF. */
  sql: string;
  /** The file the section is in. */
  path: string;
  /** 1-based line of the file on which `sql` starts. */
  startLine: number;
  /** false when the section header says `transaction:false`. */
  transaction: boolean;
  /**
   * Set on a down that exists but holds no SQL (an empty .down.sql or U file, an empty down section):
   * the tool's way of saying "nothing to undo". Rolling it back runs nothing and removes the migration
   * from the applied set. A migration with no down at all has `down` undefined and cannot be rolled back.
   */
  empty?: true;
  /**
   * Spans of `sql` (character offsets, end exclusive) that run as one statement, whatever the parser
   * splits inside them: goose's and sql-migrate's StatementBegin/StatementEnd blocks.
   */
  blocks?: { start: number; end: number }[];
}

/** A migration whose file(s) have been read and split into sections. */
export interface Migration extends MigrationFile {
  up: Section;
  down?: Section;
  /** `sha256:<hex>` of the up section. */
  checksum: string;
  /** The file's lines above the up section (a dbmate file's, above "-- migrate:up"), kept for the linter. */
  preamble?: string[];
}

/** One SQL statement, as split by the Postgres parser. */
export interface Statement {
  /** The statement's exact text from the section (no trailing semicolon). */
  sql: string;
  /** 0-based character offset of the statement in its section. */
  offset: number;
  /** 1-based line and column in the file. */
  line: number;
  column: number;
  /** The parse node's type ("CreateStmt", "IndexStmt", "TransactionStmt", ...). */
  kind: string;
  /** The raw parse node, for the linter. */
  node: Record<string, unknown>;
  /**
   * A StatementBegin/StatementEnd block that holds several statements runs as one query, as its tool
   * sends it: these are the parser's statements inside it (the first is `kind`/`node`), for the linter.
   */
  parts?: Statement[];
}

/** A problem found in the files or in their agreement with the tracking table. */
export interface ValidationProblem {
  kind: 'file' | 'unmatched' | 'modified' | 'missing' | 'out-of-order' | 'failed' | 'transaction-control' | 'unverified';
  /** A plain sentence naming the file, the line where known, and the fix. */
  message: string;
  path?: string;
  line?: number;
  version?: string;
  /** For `modified`: the stored and the current checksum. */
  storedChecksum?: string;
  currentChecksum?: string;
  /** true when the problem stops a run that would apply anything. */
  blocking: boolean;
}

export type MigrationStatus = 'applied' | 'running' | 'failed';

/** A row of the tracking table. */
export interface AppliedMigration {
  version: string;
  name: string;
  checksum: string;
  status: MigrationStatus;
  appliedAt: Date | null;
  executionTimeMs: number | null;
  errorMessage: string | null;
  appliedBy: string | null;
}

export type Direction = 'up' | 'down';

/** One migration the plan will run, in order. */
export interface PlannedStep {
  migration: Migration;
  direction: Direction;
  /** The section that runs: the up section for `up`, the down section for `down`. */
  section: Section;
  statements: Statement[];
  transactional: boolean;
  /** What undoes this step: the down section for `up`; absent when there is none. */
  rollback?: Section;
  /** Notes worth showing ("the file's own BEGIN/COMMIT run inside pgshift's transaction"). */
  notes: string[];
  /**
   * The section's whole split, for the linter, when it differs from `statements` (which leave out a
   * transactional section's own BEGIN/COMMIT); undefined otherwise, so plans stay small.
   */
  parsed?: Statement[];
  /** Where and why the section does not parse (also a blocking problem of the plan), for the linter. */
  syntaxError?: { line: number; column: number; reason: string };
  /** Written to migration_history with the step (a rollback whose down section was empty). */
  historyNote?: string;
}

export interface Plan {
  direction: Direction;
  steps: PlannedStep[];
  problems: ValidationProblem[];
  /** Rows of the tracking table; empty when it does not exist yet. */
  applied: AppliedMigration[];
  /** Migrations in the directory not yet applied (whatever the selection). */
  pendingCount: number;
  /** Highest applied version, or null. */
  currentVersion: string | null;
  /** false when the tracking table does not exist yet. */
  trackingExists: boolean;
  /** false when the plan was made from the files alone (no database given). */
  databaseChecked: boolean;
  /** true when some problem stops the run. */
  blocked: boolean;
  /** The linter's findings on the pending up sections (empty for a down plan). */
  findings: Finding[];
  /**
   * The linter's findings on the down sections: each step's rollback in an up plan, the sections that run
   * in a down plan. They say what rolling back costs; the safety policy reads only `findings`.
   */
  rollbackFindings?: Finding[];
  /** Set when, instead of a database, a base commit said which migrations are applied. */
  baseline?: { label: string; applied: number };
  /** What a shadow database proved about the pending migrations (a dry run with a shadow). */
  proof?: ShadowProof;
  /** The safety net the deploy will use (backup, health checks, automatic rollback), when one is set. */
  net?: SafetyNet;
}

/**
 * Which migrations are already applied, said by a base commit when no database is asked: a pull
 * request's base, or `--since <git-ref>`. The shells read it from git or the GitHub API; the commands
 * decide with it (a migration whose file is among `changed` is pending, every other one is applied).
 */
export interface Baseline {
  /** The base in words, for the output: "main (1a2b3c4)", "the pull request's base 1a2b3c4". */
  label: string;
  /** Absolute paths of the files added or changed since the base. */
  changed: string[];
}

/** `outdated`: a repeatable migration whose file changed since it last ran; the next up runs it again. */
export type StatusState = 'applied' | 'pending' | 'outdated' | 'failed' | 'running' | 'modified' | 'missing';

export interface StatusEntry {
  version: string;
  name: string;
  state: StatusState;
  path?: string;
  appliedAt: Date | null;
  executionTimeMs: number | null;
  errorMessage: string | null;
}

/** A Postgres error mapped back to the migration file. */
export interface MigrationError {
  version: string;
  name: string;
  path: string;
  direction: Direction;
  line: number;
  column: number;
  /** 1-based number of the failing statement in its section. */
  statementNumber: number;
  statement: string;
  /** The statement with a caret line under the failing spot. */
  excerpt: string;
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  /** An index left INVALID by a failed CREATE INDEX CONCURRENTLY. */
  invalidIndex?: string;
  /**
   * What state the database is in now. After a lost connection a transactional migration may also be
   * `committed` (its COMMIT reached the server first) or `unknown` (the server could not be asked, or
   * still runs the session that lost its client).
   */
  outcome: 'rolled-back' | 'failed-needs-resolve' | 'committed' | 'unknown';
  /** Set when the connection ended while this migration ran: why, as far as pgshift could see. */
  connectionLost?: string;
  /** After a lost connection: what pgshift found when it looked again (or why it could not). */
  afterLoss?: string;
}

export interface StepResult {
  version: string;
  name: string;
  path: string;
  direction: Direction;
  status: 'applied' | 'rolled-back' | 'failed' | 'skipped';
  durationMs: number;
  attempts: number;
}

export interface RunResult {
  direction: Direction;
  status: 'applied' | 'up-to-date' | 'rolled-back' | 'failed';
  steps: StepResult[];
  plan: Plan;
  error?: MigrationError;
  currentVersion: string | null;
}

// The production safety net's results (backup before, health checks after, automatic rollback).

/** A pg_dump archive written before a deploy. */
export interface BackupReport {
  /** auto: the schema plus the data of the tables the run changes destructively; full: everything. */
  mode: 'auto' | 'full';
  /** Absolute path of the archive (custom format), renamed into place only once pg_dump succeeded. */
  file: string;
  bytes: number;
  /** Tables whose rows the archive holds, qualified ("public.users"); every table's for full. */
  dataTables: string[];
  /** How many entries pg_restore --list shows in it. */
  entries: number;
  /** The pg_dump that wrote it, as it names itself ("pg_dump (PostgreSQL) 15.18"). */
  tool: string;
  /** The shell command that restores it, with $DATABASE_URL in place of the URL (no secret). */
  restoreCommand: string;
  durationMs: number;
}

/** One health check's verdict, with what it saw. */
export interface HealthResult {
  kind: 'sql' | 'url';
  /** The query, or the URL with credentials redacted. */
  target: string;
  passed: boolean;
  /** What the last try returned: "true", "false", "no rows", "HTTP 503 Service Unavailable", an error. */
  returned: string;
  tries: number;
  durationMs: number;
  /** Checked after the automatic rollback (false: after the run). */
  afterRollback?: boolean;
}

/** The automatic rollback after a failed migration or a failed health check. */
export interface AutoRollback {
  /** Why: "migration 3 (add_x) failed" or "the health check failed". */
  reason: string;
  /** The versions this run applied, newest first: what the rollback set out to undo. */
  versions: string[];
  /** Those it rolled back. */
  rolledBack: string[];
  /** Those still applied: the rollback stopped before them (its own error says why). */
  stillApplied: string[];
  /** The rollback's own failure, when it failed. */
  error?: string;
}

/** What the safety net of a deploy does, decided before anything runs (and shown by a dry run). */
export interface SafetyNet {
  backup: 'none' | 'auto' | 'full';
  /** For auto: the tables whose data the backup holds (those the pending migrations change destructively). */
  backupTables: string[];
  health: { kind: 'sql' | 'url'; target: string }[];
  rollbackOnFailure: boolean;
  /** With rollbackOnFailure: the pending versions that can be rolled back automatically, newest first. */
  reversible: string[];
  /** With rollbackOnFailure: the pending migrations that cannot be, and why. */
  irreversible: { version: string; name: string; why: string }[];
}

/** Progress reported while the engine works; the CLI and the action decide how to show it. */
export type EngineEvent =
  | { type: 'connect-retry'; attempt: number; delayMs: number; message: string }
  | { type: 'lock-wait'; waitedMs: number; holder?: LockHolder }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'tracking-created'; schema: string }
  | { type: 'tracking-adopted'; schema: string; rows: number }
  | { type: 'step-start'; step: PlannedStep; index: number; total: number }
  | { type: 'statement-start'; step: PlannedStep; statementNumber: number; statementCount: number }
  | { type: 'step-retry'; step: PlannedStep; attempt: number; delayMs: number; message: string }
  | { type: 'step-done'; step: PlannedStep; result: StepResult }
  | { type: 'step-failed'; step: PlannedStep; error: MigrationError }
  | { type: 'warning'; message: string }
  | { type: 'backup'; report: BackupReport }
  | { type: 'health'; result: HealthResult }
  | { type: 'rollback-start'; reason: string; versions: string[] };

export interface LockHolder {
  pid: number;
  applicationName: string;
  since: Date | null;
  state: string | null;
}

// The linter's vocabulary: what a rule reports (Finding) and how a project tunes the rules (LintConfig).

export type Severity = 'error' | 'warning';

/** One risky statement (or directive) in a migration file. */
export interface Finding {
  rule: string;
  severity: Severity;
  /** Names the object, says why it is risky and what to do instead. */
  message: string;
  path: string;
  /** 1-based line and column in the file. */
  line: number;
  column: number;
  /** The migration's version ("" for a file that is not named as a migration). */
  version: string;
  /** true when the statement deletes data or objects. */
  destructive: boolean;
  /** The rule's documentation, an absolute URL: "https://github.com/pgshift/pgshift/blob/main/docs/rules.md#<rule>". */
  docs: string;
}

/** Per-rule overrides; a rule not listed keeps its default severity. */
export interface LintConfig {
  rules: Record<string, Severity | 'off'>;
}
