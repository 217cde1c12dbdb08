// Runs a Plan's steps on the reserved connection that holds the migration lock.
//
// A transactional step is sent as one pipeline: BEGIN, the timeouts (SET LOCAL), each statement, the
// tracking rows, COMMIT, and still all-or-nothing: after the first failing statement the server rejects
// the rest and turns COMMIT into ROLLBACK. Consecutive transactional steps go in one pipeline too (a
// window of them), without waiting for each COMMIT: each one's transaction first checks that the one
// before it committed (Tracking.guardAfter), so a failure stops everything behind it on the server.
// A non-transactional step is a barrier: what came before it is confirmed first.
import type postgres from 'postgres';
import { ConnectionLostError, type Lifeline, type ReservedSql } from '../db/connect';
import { quoteIdent } from '../db/identifiers';
import { pause } from '../pause';
import type { Redactor } from '../report/redact';
import type { Tracking } from '../db/tracking';
import { AbortedError } from '../errors';
import type { EngineEvent, MigrationError, PlannedStep, Statement, StepResult } from '../types';
import { errorSummary, lostConnectionError, toMigrationError } from './failure';

export interface ExecuteOptions {
  sql: ReservedSql;
  tracking: Tracking;
  /** Postgres interval text ("10s"), applied with SET LOCAL in every transaction. */
  lockTimeout: string;
  statementTimeout?: string;
  /** Retries of a transactional step that hit lock_timeout. */
  lockRetries: number;
  singleTransaction: boolean;
  actor: string;
  environment: string;
  redactor: Redactor;
  onEvent?: (e: EngineEvent) => void;
  signal?: AbortSignal;
  /** Base delay between lock-timeout retries (ms). */
  retryDelayMs?: number;
  /** Tells when the connection ends under the run. */
  lifeline: Lifeline;
}

export interface ExecuteOutcome {
  steps: StepResult[];
  error?: MigrationError;
}

type Query = postgres.PendingQuery<postgres.Row[]>;

/**
 * A query in the extended protocol, with no parameters. postgres.js sends a query without parameters as a
 * simple Query message by default, and one with parameters waits for a Describe the first time its text is
 * seen; either way a pipeline mixing them stops at each such query to wait for an answer. Every query of a
 * migration's pipeline goes this way, its values written in as literals (inline()).
 */
function extended(sql: ReservedSql, text: string): Query {
  // `simple` is a documented option of unsafe() that postgres.js's types leave out.
  return sql.unsafe(text, [], { simple: false } as unknown as { prepare: false }) as unknown as Query;
}

/** A Postgres string literal, right whatever standard_conforming_strings says. */
function literal(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v !== 'string') return String(v);
  const quoted = `'${v.replace(/'/g, "''")}'`;
  return v.includes('\\') ? `E${quoted.replace(/\\/g, '\\\\')}` : quoted;
}

/** `text` with each $n replaced by the literal of params[n-1]: no parameter, so no Describe round trip. */
function inline(q: { text: string; params: (string | number | boolean | null)[] }): string {
  return q.text.replace(/\$(\d+)/g, (_m, n: string) => literal(q.params[Number(n) - 1]));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOCK_NOT_AVAILABLE = '55P03';

interface Attempt {
  ok: boolean;
  /** Index of the failing statement, -1 for a failure outside the migration's own SQL. */
  index: number;
  error?: unknown;
}

/** Queues a step's SQL (and its tracking rows) on the pipeline; `settle` waits for all of it. */
function queueStep(sql: ReservedSql, o: ExecuteOptions, step: PlannedStep, parts: Query[]): { first: number } {
  const first = parts.length;
  for (const s of step.statements) parts.push(statementQuery(sql, s));
  const record = o.tracking.recordSuccess(trackingStep(step), null, o.actor, o.environment);
  // As the user pgshift connected as: a migration may SET ROLE to a role that owns its objects but may
  // not write the tracking tables. In the transaction, so a rollback undoes it with the rest.
  parts.push(extended(sql, 'set session authorization default'));
  // Its values as literals: a parameter would make postgres.js wait for a Describe, splitting the pipeline.
  parts.push(extended(sql, inline(record)));
  return { first };
}

function timeoutQueries(sql: ReservedSql, o: ExecuteOptions, local: boolean): Query[] {
  const q: Query[] = [extended(sql, inline({ text: `select set_config('lock_timeout', $1, $2)`, params: [o.lockTimeout, local] }))];
  if (o.statementTimeout) q.push(extended(sql, inline({ text: `select set_config('statement_timeout', $1, $2)`, params: [o.statementTimeout, local] })));
  return q;
}

/** How long an unanswered cancel request is given to reach the server before the run goes on. */
const CANCEL_GRACE_MS = 200;

/** Ends a transaction's pipeline with COMMIT and the session reset: what settled up to the COMMIT, and the reset's own results. */
async function commitThenReset(sql: ReservedSql, parts: Query[], signal?: AbortSignal): Promise<{ settled: PromiseSettledResult<unknown>[]; resets: PromiseSettledResult<unknown>[] }> {
  parts.push(extended(sql, 'commit'));
  const resetAt = parts.length;
  parts.push(...resetQueries(sql));
  const all = await settle(parts, signal);
  return { settled: all.slice(0, resetAt), resets: all.slice(resetAt) };
}

/**
 * Sends every part in order; if the run is interrupted, cancels the statement running now, and only
 * that one. In a transaction the rest then fail on their own (25P02) and COMMIT becomes ROLLBACK.
 * Cancelling the queued parts too is wrong twice over: postgres.js sends a cancel request for each
 * queued query as it comes up and stops tracking it, so those promises never settle and the run
 * hangs; and each request lands on whatever the session runs next (the failure's history row, the
 * unlock).
 */
async function settle(parts: Query[], signal?: AbortSignal): Promise<PromiseSettledResult<unknown>[]> {
  return dispatch(parts, signal).all;
}

/** Sends every part now (see settle); `all` settles once every part has, each part's own promise as it answers. */
function dispatch(parts: Query[], signal?: AbortSignal): { all: Promise<PromiseSettledResult<unknown>[]> } {
  return { all: dispatched(parts, signal) };
}

async function dispatched(parts: Query[], signal?: AbortSignal): Promise<PromiseSettledResult<unknown>[]> {
  const pending = new Set(parts);
  let sent = false;
  let timer: NodeJS.Timeout | undefined;
  const cancel = () => {
    // postgres.js marks the query on the wire `active`; between two queries none is, so look again.
    const running = parts.find((p) => pending.has(p) && (p as unknown as { active?: boolean }).active);
    if (running) {
      sent = true;
      running.cancel();
    } else if (pending.size) timer = setTimeout(cancel, 5);
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (const p of parts) p.execute();
    for (const p of parts)
      p.then(
        () => pending.delete(p),
        () => pending.delete(p),
      );
    if (signal?.aborted) cancel();
    const results = await Promise.allSettled(parts);
    // A cancel request that cancelled nothing may still be on its way: left alone, it would cancel
    // the next statement sent. Once the server is idle it is dropped, so give it a moment to arrive.
    const consumed = results.some((r) => r.status === 'rejected' && (r.reason as { code?: string })?.code === '57014');
    if (sent && !consumed) await sleep(CANCEL_GRACE_MS);
    return results;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', cancel);
  }
}

function firstFailure(results: PromiseSettledResult<unknown>[], from: number, statements: number): Attempt {
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (r.status === 'rejected') {
      const index = i >= from && i < from + statements ? i - from : -1;
      return { ok: false, index, error: r.reason };
    }
  }
  return { ok: true, index: -1 };
}

/** Driver errors that mean the connection ended, whoever noticed first. */
const LOSS_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * Whether a failure is the connection ending under the step rather than its SQL. Once it is, the
 * lifeline refuses every further query: nothing more is sent to a connection that is gone.
 */
function connectionLost(o: ExecuteOptions, err?: unknown): boolean {
  const code = (err as { code?: string })?.code;
  if (code && LOSS_CODES.has(code)) o.lifeline.ended(`the connection broke (${(err as Error).message})`);
  return o.lifeline.lost || err instanceof ConnectionLostError;
}

/** How far a step had got, for the message when the connection ends under it. */
interface Position {
  /** The statement that had not answered yet; -1 before the first. */
  statement: number;
  /** Every statement had answered; the tracking row and the COMMIT had not. */
  committing: boolean;
}

/** Where in a step's pipeline the first unanswered part was: before, in, or after its statements. */
function positionOf(failedPart: number, first: number, statements: number): Position {
  if (failedPart < first) return { statement: -1, committing: false };
  if (failedPart < first + statements) return { statement: failedPart - first, committing: false };
  return { statement: statements - 1, committing: true };
}

function lostStep(step: PlannedStep, o: ExecuteOptions, at: Position, started: number): { result: StepResult; error: MigrationError } {
  const error = lostConnectionError(step, at.statement, o.lifeline.reason, o.lifeline.code, at.committing, o.redactor);
  return { result: stepResult(step, 'failed', performance.now() - started, 1), error };
}

/** A step, and if the connection ends under it, that as its failure: no tracking write is possible. */
async function runStep(step: PlannedStep, o: ExecuteOptions, firstAttempt = 1): Promise<{ result: StepResult; error?: MigrationError }> {
  const started = performance.now();
  const at: Position = { statement: -1, committing: false };
  try {
    return step.transactional ? await runTransactional(step, o, at, firstAttempt) : await runNonTransactional(step, o, at);
  } catch (err) {
    if (err instanceof AbortedError || !connectionLost(o, err)) throw err;
    return lostStep(step, o, at, started);
  }
}

export async function executePlan(steps: PlannedStep[], o: ExecuteOptions): Promise<ExecuteOutcome> {
  return o.singleTransaction ? runBatch(steps, o) : runEach(steps, o);
}

/** At most this many migrations, and about this much SQL, are in flight at once: memory stays flat at any count. */
export const WINDOW_STEPS = 64;
export const WINDOW_BYTES = 4 * 1024 * 1024;

/**
 * A step that must not share a pipeline with the one after it: outside a transaction, or one that
 * PREPAREs a statement (its name is only freed once the reset after it has been read).
 */
const barrier = (step: PlannedStep) => !step.transactional || step.statements.some((st) => st.kind === 'PrepareStmt');

/** The next window: consecutive transactional steps from `from`, within the bounds, ending at a barrier. */
function windowFrom(steps: PlannedStep[], from: number): PlannedStep[] {
  let bytes = 0;
  let end = from;
  while (end < steps.length && end - from < WINDOW_STEPS) {
    const step = steps[end];
    bytes += step.section.sql.length;
    if (end > from && (!step.transactional || bytes > WINDOW_BYTES)) break;
    end++;
    if (barrier(step)) break;
  }
  return steps.slice(from, end);
}

async function runEach(steps: PlannedStep[], o: ExecuteOptions): Promise<ExecuteOutcome> {
  const results: StepResult[] = [];
  let i = 0;
  while (i < steps.length) {
    if (o.signal?.aborted) throw new AbortedError('interrupted before migration ' + steps[i].migration.version + '; nothing of it ran');
    const window = windowFrom(steps, i);
    const outcome = window.length > 1 ? await runWindow(window, o, i, steps.length) : await runOne(window[0], o, i, steps.length);
    results.push(...outcome.steps);
    if (outcome.error) {
      const step = steps[i + outcome.steps.length - 1];
      o.onEvent?.({ type: 'step-failed', step, error: outcome.error });
      if (o.signal?.aborted) throw new AbortedError(`interrupted: migration ${step.migration.version} was ${outcome.error.outcome === 'rolled-back' ? 'rolled back' : 'stopped and marked failed'}`);
      return { steps: results, error: outcome.error };
    }
    i += outcome.steps.length;
  }
  return { steps: results };
}

/**
 * The step of a window whose pipeline failed (`bad`: its first rejected part, counted from its BEGIN):
 * its connection lost, its lock timeout retried on its own, or its failure recorded as for one step.
 */
async function failedInWindow(
  span: Span,
  bad: number,
  settled: PromiseSettledResult<unknown>[],
  resets: PromiseSettledResult<unknown>[],
  o: ExecuteOptions,
  ms: number,
  index: number,
  total: number,
): Promise<ExecuteOutcome> {
  const { sql } = o;
  const { step } = span;
  const first = span.first - span.begin;
  const reason = (settled[bad] as PromiseRejectedResult).reason;
  if (connectionLost(o, reason)) {
    const { result, error } = lostStep(step, o, positionOf(bad, first, step.statements.length), performance.now() - ms);
    return { steps: [result], error };
  }
  await finishReset(sql, o, `migration ${step.migration.version}`, resets);
  const failure = firstFailure(settled, first, step.statements.length);
  const code = (failure.error as { code?: string })?.code;
  if (code === LOCK_NOT_AVAILABLE && o.lockRetries >= 1 && !o.signal?.aborted) {
    const delayMs = o.retryDelayMs ?? 1000;
    o.onEvent?.({ type: 'step-retry', step, attempt: 1, delayMs, message: o.redactor.redact((failure.error as Error).message) });
    await pause(delayMs, o.signal);
    if (!o.signal?.aborted) return runOne(step, o, index, total, 2);
  }
  await sql.unsafe('rollback').catch(() => {});
  const error = toMigrationError(step, failure.index, failure.error, 'rolled-back', o.redactor);
  await o.tracking.recordFailure(sql, trackingStep(step), ms, errorSummary(error), o.actor, o.environment);
  return { steps: [stepResult(step, 'failed', ms, 1)], error };
}

/** One step on its own (a barrier, or the last of a run), as before pipelining: with its retries. */
async function runOne(step: PlannedStep, o: ExecuteOptions, index: number, total: number, firstAttempt = 1): Promise<ExecuteOutcome> {
  if (firstAttempt === 1) o.onEvent?.({ type: 'step-start', step, index, total });
  const outcome = await runStep(step, o, firstAttempt);
  if (!outcome.error) o.onEvent?.({ type: 'step-done', step, result: outcome.result });
  return { steps: [outcome.result], error: outcome.error };
}

/** Where a step's parts sit in a window's pipeline. */
interface Span {
  step: PlannedStep;
  /** Its BEGIN. */
  begin: number;
  /** Its first statement. */
  first: number;
  /** Its reset, after its COMMIT. */
  resetAt: number;
  end: number;
}

/**
 * Several transactional steps in one pipeline. Results are read in order as they arrive, each step
 * reported with its duration; the first that fails stops the reading: the ones behind it were refused
 * by the server (their guard) and are not run. A lock timeout is retried from that step on its own.
 */
async function runWindow(window: PlannedStep[], o: ExecuteOptions, offset: number, total: number): Promise<ExecuteOutcome> {
  const { sql } = o;
  const parts: Query[] = [];
  const spans: Span[] = [];
  window.forEach((step, k) => {
    const begin = parts.length;
    parts.push(extended(sql, 'begin'), ...timeoutQueries(sql, o, true));
    if (k > 0) parts.push(extended(sql, inline(o.tracking.guardAfter({ version: window[k - 1].migration.version, direction: window[k - 1].direction }))));
    const { first } = queueStep(sql, o, step, parts);
    parts.push(extended(sql, 'commit'));
    const resetAt = parts.length;
    parts.push(...resetQueries(sql));
    spans.push({ step, begin, first, resetAt, end: parts.length });
  });
  const results: StepResult[] = [];
  let last = performance.now();
  o.onEvent?.({ type: 'step-start', step: window[0], index: offset, total });
  const { all } = dispatch(parts, o.signal);
  for (let k = 0; k < spans.length; k++) {
    const span = spans[k];
    const settled = await Promise.allSettled(parts.slice(span.begin, span.resetAt));
    const bad = settled.findIndex((r) => r.status === 'rejected');
    if (bad >= 0) {
      // The steps behind it are answered too (refused by their guards) before anything else is sent.
      const everything = await all;
      const failed = await failedInWindow(span, bad, settled, everything.slice(span.resetAt, span.end), o, performance.now() - last, offset + k, total);
      return { steps: [...results, ...failed.steps], error: failed.error };
    }
    const now = performance.now();
    const result = stepResult(span.step, span.step.direction === 'up' ? 'applied' : 'rolled-back', now - last, 1);
    last = now;
    results.push(result);
    await finishReset(sql, o, `migration ${span.step.migration.version}`, await Promise.allSettled(parts.slice(span.resetAt, span.end)));
    o.onEvent?.({ type: 'step-done', step: span.step, result });
    if (k + 1 < spans.length) o.onEvent?.({ type: 'step-start', step: spans[k + 1].step, index: offset + k + 1, total });
  }
  await all;
  return { steps: results };
}

function stepResult(step: PlannedStep, status: StepResult['status'], durationMs: number, attempts: number): StepResult {
  return {
    version: step.migration.version,
    name: step.migration.name,
    path: step.section.path,
    direction: step.direction,
    status,
    durationMs: Math.round(durationMs),
    attempts,
  };
}

async function runTransactional(step: PlannedStep, o: ExecuteOptions, at: Position, firstAttempt = 1): Promise<{ result: StepResult; error?: MigrationError }> {
  const { sql } = o;
  const started = performance.now();
  for (let attempt = firstAttempt; ; attempt++) {
    const parts: Query[] = [extended(sql, 'begin'), ...timeoutQueries(sql, o, true)];
    const { first } = queueStep(sql, o, step, parts);
    // The reset rides on the same pipeline, after the COMMIT (or the ROLLBACK it became): no round trip.
    const { settled, resets } = await commitThenReset(sql, parts, o.signal);
    const bad = settled.findIndex((r) => r.status === 'rejected');
    if (bad >= 0 && connectionLost(o, (settled[bad] as PromiseRejectedResult).reason)) {
      Object.assign(at, positionOf(bad, first, step.statements.length));
      throw new ConnectionLostError(o.lifeline.reason);
    }
    await finishReset(sql, o, `migration ${step.migration.version}`, resets);
    const failure = firstFailure(settled, first, step.statements.length);
    if (failure.ok) return { result: stepResult(step, step.direction === 'up' ? 'applied' : 'rolled-back', performance.now() - started, attempt) };

    const code = (failure.error as { code?: string })?.code;
    if (code === LOCK_NOT_AVAILABLE && attempt <= o.lockRetries && !o.signal?.aborted) {
      const delayMs = (o.retryDelayMs ?? 1000) * 2 ** (attempt - 1);
      o.onEvent?.({ type: 'step-retry', step, attempt, delayMs, message: o.redactor.redact((failure.error as Error).message) });
      await pause(delayMs, o.signal);
      // Interrupted while waiting: this attempt's lock timeout is recorded as the failure below.
      if (!o.signal?.aborted) continue;
    }
    // The pipeline's COMMIT became a ROLLBACK; make sure, whatever failed, no transaction stays open.
    await sql.unsafe('rollback').catch(() => {});
    const error = toMigrationError(step, failure.index, failure.error, 'rolled-back', o.redactor);
    const ms = performance.now() - started;
    await o.tracking.recordFailure(sql, trackingStep(step), ms, errorSummary(error), o.actor, o.environment);
    return { result: stepResult(step, 'failed', ms, attempt), error };
  }
}

/**
 * What a migration may leave on the session, undone before the next one starts (a pg_dump file's
 * set_config('search_path', '', false), SET ROLE, a temporary table, a PREPARE, a LISTEN, a WITH HOLD
 * cursor): DISCARD ALL's parts, as its docs list them, less three. Its pg_advisory_unlock_all() would let
 * go of the migration lock. Its DEALLOCATE ALL would pull postgres.js's named statements (the tracking
 * writes) from under its cache, and the next tracking write, inside a transaction, would fail: the
 * migrations' own prepared statements are deallocated by name instead. DISCARD PLANS is left out: no
 * migration can see a cached plan (DDL and search_path changes invalidate them anyway), and it would
 * make the tracking writes plan again in every migration. RESET ALL goes back to what the connection
 * started with (application_name) and the role's defaults; pgshift's timeouts are set anew in each
 * migration.
 */
const RESET_SESSION = ['close all', 'set session authorization default', 'reset all', 'unlisten *', 'discard sequences', 'discard temp'];
/** Statements the migrations PREPAREd: postgres.js's own are made over the protocol (from_sql false). */
const SQL_PREPARED = 'select name from pg_prepared_statements where from_sql';

function resetQueries(sql: ReservedSql): Query[] {
  // One statement each, in the extended protocol: so they ride on a pipeline without stopping it.
  return [...RESET_SESSION.map((t) => extended(sql, t)), extended(sql, SQL_PREPARED)];
}

/**
 * Completes the reset queued behind a step, once it has answered: again if it failed (a transaction the
 * file left open), then the migrations' prepared statements. Never throws, so a reset can never be taken
 * for the migration failing; one that cannot be done is a warning.
 */
async function finishReset(sql: ReservedSql, o: ExecuteOptions, after: string, results: PromiseSettledResult<unknown>[]): Promise<void> {
  try {
    let prepared = results[results.length - 1];
    if (results.some((r) => r.status === 'rejected')) {
      await sql.unsafe('rollback');
      const again = await Promise.allSettled(resetQueries(sql));
      const failed = again.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      prepared = again[again.length - 1];
    }
    const names = prepared.status === 'fulfilled' ? (prepared.value as { name: string }[]).map((r) => r.name) : [];
    if (names.length) await sql.unsafe(names.map((n) => `deallocate ${quoteIdent(n)}`).join('; ')).simple();
  } catch (err) {
    if (o.lifeline.lost) return; // the run reports the lost connection itself
    const message = o.redactor.redact((err as Error)?.message ?? String(err));
    o.onEvent?.({ type: 'warning', message: `could not reset the session after ${after} (${message}): the migrations after it may see the settings or temporary objects it left` });
  }
}

/** Resets the session now (outside the pipeline): one round trip, two with a prepared statement to drop. */
async function resetNow(sql: ReservedSql, o: ExecuteOptions, after: string): Promise<void> {
  await finishReset(sql, o, after, await Promise.allSettled(resetQueries(sql)));
}

function trackingStep(step: PlannedStep) {
  return { version: step.migration.version, name: step.migration.name, checksum: step.migration.checksum, direction: step.direction, note: step.historyNote };
}

/**
 * A statement as a query. A StatementBegin/StatementEnd block of several statements goes as one simple
 * query, as goose and sql-migrate send it (the extended protocol takes one statement per query).
 */
function statementQuery(sql: ReservedSql, s: Statement): Query {
  return s.parts ? (sql.unsafe(s.sql).simple() as unknown as Query) : extended(sql, s.sql);
}

async function invalidIndexes(sql: ReservedSql): Promise<Set<string>> {
  const rows = await sql<{ name: string }[]>`select indexrelid::regclass::text as name from pg_index where not indisvalid`;
  return new Set(rows.map((r) => r.name));
}

/**
 * `transaction:false`: statements one by one outside any transaction (CREATE INDEX CONCURRENTLY,
 * ALTER TYPE … ADD VALUE). Marked `running` first so a crash leaves a trace; a failure leaves it
 * `failed` until `pgshift resolve`, since statements before the failing one stay done.
 */
async function runNonTransactional(step: PlannedStep, o: ExecuteOptions, at: Position): Promise<{ result: StepResult; error?: MigrationError }> {
  const { sql } = o;
  const started = performance.now();
  const before = await invalidIndexes(sql);
  await o.tracking.markRunning(sql, trackingStep(step), o.actor);
  await settle(timeoutQueries(sql, o, false));
  // Before the tracking writes too: they run as the user pgshift connected as, whatever the file set.
  let reset = false;
  const clean = async () => {
    if (reset) return;
    reset = true;
    await resetNow(sql, o, `migration ${step.migration.version}`);
  };
  try {
    for (let i = 0; i < step.statements.length; i++) {
      at.statement = i;
      o.onEvent?.({ type: 'statement-start', step, statementNumber: i + 1, statementCount: step.statements.length });
      const query = statementQuery(sql, step.statements[i]);
      const [r] = await settle([query], o.signal);
      if (r.status === 'rejected' && connectionLost(o, r.reason)) throw r.reason;
      if (r.status === 'rejected') {
        // A file's own BEGIN may have left a transaction open; end it so the tracking rows can be written.
        await sql.unsafe('rollback').catch(() => {});
        await clean();
        const error = toMigrationError(step, i, r.reason, 'failed-needs-resolve', o.redactor);
        const left = [...(await invalidIndexes(sql))].filter((n) => !before.has(n));
        if (left.length) error.invalidIndex = left.join(', ');
        const ms = performance.now() - started;
        const summary = errorSummary(error) + (error.invalidIndex ? ` (left invalid index ${error.invalidIndex}: drop it before retrying)` : '');
        await o.tracking.markFailed(sql, step.migration.version, ms, summary);
        await o.tracking.recordFailure(sql, trackingStep(step), ms, summary, o.actor, o.environment);
        return { result: stepResult(step, 'failed', ms, 1), error };
      }
      if (o.signal?.aborted && i < step.statements.length - 1) {
        throw new AbortedError(`interrupted inside non-transactional migration ${step.migration.version} after statement ${i + 1}`);
      }
    }
    const ms = performance.now() - started;
    Object.assign(at, { statement: step.statements.length - 1, committing: true });
    await clean();
    const record = o.tracking.recordSuccess(trackingStep(step), ms, o.actor, o.environment);
    await extended(sql, inline(record));
    return { result: stepResult(step, step.direction === 'up' ? 'applied' : 'rolled-back', ms, 1) };
  } catch (err) {
    if (err instanceof AbortedError) {
      // Like any failure: the row says failed until resolved, and the attempt is in the history.
      const ms = performance.now() - started;
      await sql.unsafe('rollback').catch(() => {});
      await clean();
      await o.tracking.markFailed(sql, step.migration.version, ms, err.message).catch(() => {});
      await o.tracking.recordFailure(sql, trackingStep(step), ms, err.message, o.actor, o.environment).catch(() => {});
    }
    throw err;
  } finally {
    // RESET ALL also takes back this section's session-level timeouts.
    await clean();
  }
}

/** `--single-transaction`: the whole batch all-or-nothing, with every tracking row. */
async function runBatch(steps: PlannedStep[], o: ExecuteOptions): Promise<ExecuteOutcome> {
  const { sql } = o;
  const started = performance.now();
  const parts: Query[] = [extended(sql, 'begin'), ...timeoutQueries(sql, o, true)];
  const spans: { step: PlannedStep; first: number; end: number }[] = [];
  steps.forEach((step, i) => {
    o.onEvent?.({ type: 'step-start', step, index: i, total: steps.length });
    const { first } = queueStep(sql, o, step, parts);
    spans.push({ step, first, end: parts.length });
  });
  // One transaction cannot start each migration afresh: the session is reset once, after it.
  const { settled, resets } = await commitThenReset(sql, parts, o.signal);
  const bad = settled.findIndex((r) => r.status === 'rejected');
  if (bad >= 0 && connectionLost(o, (settled[bad] as PromiseRejectedResult).reason)) {
    // The whole batch was one transaction: it stands or falls with the step that was running.
    const span = spans.find((s) => bad >= s.first && bad < s.end) ?? spans[0];
    const { error } = lostStep(span.step, o, positionOf(bad, span.first, span.step.statements.length), started);
    o.onEvent?.({ type: 'step-failed', step: span.step, error });
    return { steps: steps.map((s) => stepResult(s, s === span.step ? 'failed' : 'skipped', s === span.step ? performance.now() - started : 0, 1)), error };
  }
  await finishReset(sql, o, 'the batch', resets);
  const ms = performance.now() - started;
  if (bad < 0) {
    const results = steps.map((s) => stepResult(s, s.direction === 'up' ? 'applied' : 'rolled-back', ms / steps.length, 1));
    results.forEach((r, i) => o.onEvent?.({ type: 'step-done', step: steps[i], result: r }));
    return { steps: results };
  }
  await sql.unsafe('rollback').catch(() => {});
  const span = spans.find((s) => bad >= s.first && bad < s.end) ?? spans[0];
  const index = bad - span.first < span.step.statements.length ? bad - span.first : 0;
  const error = toMigrationError(span.step, index, (settled[bad] as PromiseRejectedResult).reason, 'rolled-back', o.redactor);
  await o.tracking.recordFailure(sql, trackingStep(span.step), ms, errorSummary(error) + ' (whole batch rolled back)', o.actor, o.environment);
  o.onEvent?.({ type: 'step-failed', step: span.step, error });
  if (o.signal?.aborted) throw new AbortedError('interrupted: the whole batch was rolled back');
  return { steps: steps.map((s) => stepResult(s, s === span.step ? 'failed' : 'skipped', s === span.step ? ms : 0, 1)), error };
}
