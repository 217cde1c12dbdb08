// The engine's public face: plan, status, migrate (up/down), resolve, new. Files → plan → execution →
// result objects. No printing, no process.exit: the CLI and the action decide what to show.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { connect, type ReservedSql, type Sql } from './db/connect';
import { acquireLock } from './db/lock';
import { Redactor } from './db/redact';
import { Tracking } from './db/tracking';
import { ConfigError, PgshiftError, PolicyError, ValidationError } from './errors';
import { executePlan } from './execute/run';
import { versionId } from './files/version';
import { Catalog } from './plan/catalog';
import { buildPlan, type Selection, type TrackingState } from './plan/plan';
import { migrationStatus } from './plan/status';
import { DEFAULT_LINT_CONFIG, lintSections } from './lint/lint';
import { FIXED_RULES } from './lint/rules';
import type { Finding, LintConfig } from './lint/types';
import { loadParser } from './sql/split';
import type { AppliedMigration, EngineEvent, Plan, RunResult, StatusEntry, ValidationProblem } from './types';

export interface EngineOptions {
  /** Migrations directory. */
  dir: string;
  /** Absent: a plan from the files alone (every migration pending). */
  databaseUrl?: string;
  /** Schema of the tracking tables. */
  schema?: string;
  /** Recorded in migration_history. */
  environment?: string;
  /** Who runs it, recorded as applied_by / executed_by. */
  actor?: string;
  lockWaitMs?: number;
  lockTimeout?: string;
  statementTimeout?: string;
  lockRetries?: number;
  /** Base delay between lock-timeout retries (ms). */
  retryDelayMs?: number;
  connectTimeoutMs?: number;
  singleTransaction?: boolean;
  onEvent?: (e: EngineEvent) => void;
  signal?: AbortSignal;
  redactor?: Redactor;
  /** Rule settings for the linter (pgshift.json); false: plans carry no findings. */
  lint?: LintConfig | false;
  /**
   * The findings that refuse a run (destructive statements in production, say). Checked by `migrate`
   * under the lock, before anything runs; when set, migrate lints the plan too.
   */
  lintPolicy?: (findings: Finding[]) => Finding[];
}

export const DEFAULTS = {
  schema: 'public',
  environment: 'development',
  lockWaitMs: 60_000,
  lockTimeout: '10s',
  lockRetries: 3,
  connectTimeoutMs: 30_000,
} as const;

function defaultActor(): string {
  if (process.env.GITHUB_ACTOR) return process.env.GITHUB_ACTOR;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

interface Session {
  sql: Sql;
  redactor: Redactor;
  tracking: Tracking;
  catalog: Catalog;
}

/** Opens what every database command needs; the directory is checked before connecting. */
async function open(o: EngineOptions): Promise<Session> {
  const catalog = new Catalog(o.dir);
  const redactor = (o.redactor ?? new Redactor()).addUrl(o.databaseUrl);
  if (!o.databaseUrl) throw new ConfigError('no database given: pass --database-url or set DATABASE_URL.');
  const sql = await connect({ databaseUrl: o.databaseUrl, connectTimeoutMs: o.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, redactor, onEvent: o.onEvent, signal: o.signal });
  return { sql, redactor, tracking: new Tracking(o.schema ?? DEFAULTS.schema), catalog };
}

/** Every failure leaves with credentials redacted. */
function redactError(err: unknown, redactor: Redactor | undefined): never {
  if (redactor && err instanceof Error) err.message = redactor.redact(err.message);
  throw err;
}

/** The linter's findings on an up plan's pending sections. Syntax and file errors are already problems. */
function withFindings(p: Plan, o: EngineOptions): Plan {
  if (o.lint === false || p.direction !== 'up' || p.steps.length === 0) return p;
  const findings = lintSections(
    p.steps.map((st) => ({ migration: st.migration, section: st.section })),
    o.lint ?? DEFAULT_LINT_CONFIG,
  ).filter((f) => !FIXED_RULES.has(f.rule));
  return { ...p, findings };
}

function enforcePolicy(p: Plan, o: EngineOptions): void {
  const refused = o.lintPolicy?.(p.findings) ?? [];
  if (refused.length) {
    throw new PolicyError(
      `the run was refused before anything ran: ${refused.length} finding${refused.length > 1 ? 's' : ''} the safety policy does not allow:\n${refused
        .map((f) => `  - ${f.path}:${f.line}: ${f.rule} (${f.severity}${f.destructive ? ', destructive' : ''}): ${f.message}`)
        .join('\n')}`,
      refused,
    );
  }
}

function refuse(plan: Plan): never {
  const blocking = plan.problems.filter((p) => p.blocking);
  throw new ValidationError(`the run was refused before anything ran:\n${blocking.map((p) => `  - ${p.message}`).join('\n')}`, blocking);
}

/** Read-only dry run: no table created, no lock taken, reads inside a READ ONLY transaction. */
export async function plan(o: EngineOptions, selection: Selection): Promise<Plan> {
  await loadParser();
  if (!o.databaseUrl) {
    const catalog = new Catalog(o.dir);
    return withFindings(buildPlan(catalog, { exists: false, rows: [], databaseChecked: false }, selection), o);
  }
  const s = await open(o);
  try {
    const state = await s.sql.begin('read only', (tx) => s.tracking.read(tx as unknown as Sql));
    return withFindings(buildPlan(s.catalog, { ...state, databaseChecked: true }, selection), o);
  } catch (err) {
    redactError(err, s.redactor);
  } finally {
    await s.sql.end({ timeout: 5 });
  }
}

export async function status(o: EngineOptions): Promise<{ entries: StatusEntry[]; problems: ValidationProblem[]; trackingExists: boolean }> {
  const s = await open(o);
  try {
    const state = await s.sql.begin('read only', (tx) => s.tracking.read(tx as unknown as Sql));
    // Status never parses SQL: its problems come from names, rows and checksums alone.
    const p = buildPlan(s.catalog, { ...state, databaseChecked: true }, { direction: 'up', steps: 0 });
    return { entries: migrationStatus(s.catalog, state.rows), problems: p.problems, trackingExists: state.exists };
  } catch (err) {
    redactError(err, s.redactor);
  } finally {
    await s.sql.end({ timeout: 5 });
  }
}

/** Whether a plan could hold a step (which the parser must split): any pending file, or a down. */
function mayRun(catalog: Catalog, state: TrackingState, selection: Selection): boolean {
  if (selection.direction === 'down') return state.rows.length > 0;
  const known = new Set(state.rows.map((r) => versionId(r.version)));
  return catalog.files.some((f) => !known.has(versionId(f.version)));
}

/** Runs `fn` on a reserved connection holding the migration lock; unlocks before release, always. */
async function withLock<T>(s: Session, o: EngineOptions, fn: (sql: ReservedSql) => Promise<T>): Promise<T> {
  const reserved = await s.sql.reserve();
  try {
    const lock = await acquireLock(reserved, s.tracking.schema, o.lockWaitMs ?? DEFAULTS.lockWaitMs, o.onEvent, o.signal);
    try {
      return await fn(reserved);
    } finally {
      await lock.release().catch(() => {});
    }
  } finally {
    reserved.release();
  }
}

/** `up` or `down`: validates, locks, applies; the result says what ran and, on failure, where. */
export async function migrate(o: EngineOptions, selection: Selection): Promise<RunResult> {
  const s = await open(o);
  const actor = o.actor ?? defaultActor();
  const environment = o.environment ?? DEFAULTS.environment;
  try {
    return await withLock(s, o, async (sql) => {
      const readState = async (): Promise<TrackingState> => ({ ...(await s.tracking.read(sql)), databaseChecked: true });
      let state = await readState();
      // The parser's WebAssembly is only loaded when something may run: a no-op deploy never pays for it.
      if (mayRun(s.catalog, state, selection)) await loadParser();
      // Linting costs a second parse of each pending section: only when a policy will read the findings.
      const review = (plan: Plan) => (o.lintPolicy ? withFindings(plan, o) : plan);
      let p = review(buildPlan(s.catalog, state, selection));
      if (p.blocked) refuse(p);
      enforcePolicy(p, o);
      if (p.steps.length === 0) return { direction: p.direction, status: 'up-to-date', steps: [], plan: p, currentVersion: p.currentVersion };
      if (o.singleTransaction) {
        const nonTx = p.steps.filter((st) => !st.transactional);
        if (nonTx.length) {
          throw new ConfigError(`--single-transaction cannot include non-transactional migrations (${nonTx.map((st) => st.migration.version).join(', ')}). Run without --single-transaction, or stop before them with --target.`);
        }
      }
      const files = new Map(s.catalog.files.map((f) => [versionId(f.version), { file: f, checksum: () => s.catalog.checksum(f) }]));
      const ensured = await s.tracking.ensure(sql, files, actor, environment);
      if (ensured === 'created') o.onEvent?.({ type: 'tracking-created', schema: s.tracking.schema });
      if (typeof ensured === 'object') {
        o.onEvent?.({ type: 'tracking-adopted', schema: s.tracking.schema, rows: ensured.adopted });
        state = await readState();
        p = review(buildPlan(s.catalog, state, selection));
        if (p.blocked) refuse(p);
        enforcePolicy(p, o);
      }
      const outcome = await executePlan(p.steps, {
        sql,
        tracking: s.tracking,
        lockTimeout: o.lockTimeout ?? DEFAULTS.lockTimeout,
        statementTimeout: o.statementTimeout,
        lockRetries: o.lockRetries ?? DEFAULTS.lockRetries,
        retryDelayMs: o.retryDelayMs,
        singleTransaction: !!o.singleTransaction,
        actor,
        environment,
        redactor: s.redactor,
        onEvent: o.onEvent,
        signal: o.signal,
      });
      const after = await s.tracking.read(sql);
      const current = buildPlan(s.catalog, { ...after, databaseChecked: true }, { direction: 'up', steps: 0 }).currentVersion;
      return {
        direction: p.direction,
        status: outcome.error ? 'failed' : p.direction === 'up' ? 'applied' : 'rolled-back',
        steps: outcome.steps,
        plan: p,
        error: outcome.error,
        currentVersion: current,
      };
    });
  } catch (err) {
    redactError(err, s.redactor);
  } finally {
    await s.sql.end({ timeout: 5 });
  }
}

/** `pgshift resolve <version> --applied|--rolled-back`: settles a failed or running migration. */
export async function resolve(o: EngineOptions, version: string, as: 'applied' | 'rolled-back'): Promise<AppliedMigration> {
  const s = await open(o);
  try {
    return await withLock(s, o, async (sql) => {
      const { rows } = await s.tracking.read(sql);
      const row = rows.find((r) => versionId(r.version) === versionId(version));
      if (!row) throw new ConfigError(`migration ${version} has no row in ${s.tracking.schema}.schema_migrations: there is nothing to resolve.`);
      if (row.status === 'applied') throw new ConfigError(`migration ${version} is applied, not failed: there is nothing to resolve (use "pgshift down" to roll it back).`);
      await s.tracking.resolve(sql, row, as, o.actor ?? defaultActor(), o.environment ?? DEFAULTS.environment);
      return { ...row, status: as === 'applied' ? 'applied' : row.status };
    });
  } catch (err) {
    redactError(err, s.redactor);
  } finally {
    await s.sql.end({ timeout: 5 });
  }
}

/** UTC yyyymmddhhmmss, dbmate's version format. */
export function timestampVersion(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** `pgshift new <name>`: writes `<timestamp>_<name>.sql` with both sections; returns its path. */
export function newMigration(dir: string, name: string, now = new Date()): string {
  const slug = name.trim().toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (!slug) throw new ConfigError(`"${name}" is not a usable migration name: use letters, digits and underscores, e.g. add_users_email.`);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const catalog = new Catalog(dir);
  const version = timestampVersion(now);
  const clash = catalog.find(version);
  if (clash) throw new ConfigError(`version ${version} is already used by ${clash.upPath}: wait a second and run it again.`);
  const path = join(dir, `${version}_${slug}.sql`);
  writeFileSync(path, `-- migrate:up\n\n\n-- migrate:down\n\n`, { flag: 'wx' });
  return path;
}

export { PgshiftError };
