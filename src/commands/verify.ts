// `pgshift verify`, `dump` and `drift`: what the migrations do, proven on a shadow database. Each
// replays migrations through the same engine as `up`/`down` (migrate()), into a database made fresh for
// the command and dropped at its end, whatever the end (success, failure, SIGINT, SIGTERM).
import type { Sql } from '../db/connect';
import { createShadow, type Shadow } from '../db/shadow';
import { AbortedError, ConfigError, PgshiftError } from '../errors';
import { Catalog } from '../files/catalog';
import { isRepeatableVersion } from '../files/forms/flyway';
import { compare, inspect, realDifferences, type Difference, type SchemaModel } from '../schema';
import type { ShadowProof, Verdict } from '../schema/proof';
import { SETTINGS } from '../settings';
import type { EngineEvent, Migration, RunResult } from '../types';
import { migrate, type MigrateOptions } from './migrate';
import type { Selection } from '../plan/plan';
import { redactorFor, withSession, type SessionOptions } from './session';

export interface ShadowOptions extends SessionOptions {
  /** A server where the role may CREATE DATABASE; the shadow database is made there. */
  shadowUrl?: string;
  /** Keep owners in the schema model (left out by default: the shadow has other owners). */
  includeOwners?: boolean;
}

export interface VerifyOptions extends ShadowOptions {
  /** Hears each verdict as it is reached (the CLI prints one line per migration). */
  onVerdict?: (v: Verdict) => void;
}

/** The target's applied versions (none without a database) and its server's major version. */
async function targetState(o: SessionOptions): Promise<{ applied: string[]; current: string | null; major?: number }> {
  if (!o.databaseUrl) return { applied: [], current: null };
  return withSession(o, async (s) => {
    const state = await s.sql.begin('read only', (tx) => s.tracking.read(tx as unknown as Sql));
    const [{ major }] = await s.sql<{ major: number }[]>`select current_setting('server_version_num')::int / 10000 as major`;
    const applied = state.rows.filter((r) => r.status === 'applied').map((r) => r.version);
    const versioned = applied.filter((v) => !isRepeatableVersion(v));
    const catalog = s.catalog;
    // The newest applied version the directory knows: the shadow is brought up to it.
    const known = catalog.files.filter((f) => versioned.some((v) => catalog.find(v) === f));
    return { applied, current: known.length ? known[known.length - 1].version : null, major };
  });
}

/** Runs `fn` with a fresh shadow database, dropped afterwards in every case. */
export async function withShadow<T>(o: ShadowOptions, fn: (shadow: Shadow, at: MigrateOptions) => Promise<T>): Promise<T> {
  if (!o.shadowUrl) throw new ConfigError(`no shadow database given: pass ${SETTINGS.shadowUrl.flag} (or set PGSHIFT_SHADOW_URL), a server where the role may CREATE DATABASE.`);
  const redactor = redactorFor(o);
  const shadow = await createShadow(o.shadowUrl, { targetUrl: o.databaseUrl, redactor, connectTimeoutMs: o.connectTimeoutMs });
  try {
    // The shadow's own engine events (its connections, its tracking table) are not the user's business.
    const at: MigrateOptions = {
      ...o,
      databaseUrl: shadow.url,
      redactor,
      onEvent: (e: EngineEvent) => (e.type === 'warning' ? o.onEvent?.(e) : undefined),
      actor: 'pgshift shadow',
      environment: 'shadow',
    };
    return await fn(shadow, at);
  } finally {
    await shadow.drop().catch(() => {});
  }
}

async function model(at: MigrateOptions, o: ShadowOptions): Promise<SchemaModel> {
  if (o.signal?.aborted) throw new AbortedError('interrupted: the shadow database was dropped; nothing was changed on the target.');
  return withSession(at, (s) => inspect(s.sql, { trackingSchema: at.schema ?? SETTINGS.schema.default, includeOwners: o.includeOwners }));
}

/** One step of up or down on the shadow; the run's result, or the error that stopped it before running. */
async function step(at: MigrateOptions, selection: Selection): Promise<RunResult | PgshiftError> {
  try {
    return await migrate(at, { allowOutOfOrder: true, ...selection });
  } catch (err) {
    if (err instanceof AbortedError) throw err;
    if (err instanceof PgshiftError) return err;
    throw err;
  }
}

const failed = (r: RunResult | PgshiftError): boolean => r instanceof PgshiftError || !!r.error;
const errorOf = (r: RunResult | PgshiftError) => (r instanceof PgshiftError ? undefined : r.error);
const reasonOf = (r: RunResult | PgshiftError) => (r instanceof PgshiftError ? r.message : (r.error?.message ?? ''));

/**
 * On the shadow: apply what the target already has, then for each pending migration in order: up →
 * model A; down → must equal the model before the up; up again → must equal A.
 */
export async function verify(o: VerifyOptions): Promise<ShadowProof> {
  const catalog = new Catalog(o.dir);
  const target = await targetState(o);
  return withShadow(o, async (shadow, at) => {
    if (target.current) {
      const base = await step(at, { direction: 'up', target: target.current });
      if (failed(base)) throw new ConfigError(`the migrations the target already has do not replay on the shadow database (up to ${target.current}): ${reasonOf(base)}`);
    }
    const start = await model(at, o);
    const pending = catalog.files.filter((f) => !target.applied.some((v) => catalog.find(v) === f));
    const verdicts: Verdict[] = [];
    const hear = (v: Verdict) => {
      verdicts.push(v);
      o.onVerdict?.(v);
    };
    let before = start;
    // The schema after the last up that ran: what the pending migrations change, whatever their downs did.
    let lastUp = start;
    let stopped: string | undefined;
    for (const file of pending) {
      const base = { version: file.version, name: file.name, path: file.upPath };
      if (stopped) {
        hear({ ...base, verdict: 'skipped', reason: stopped });
        continue;
      }
      const up = await step(at, { direction: 'up', steps: 1 });
      if (failed(up)) {
        hear({ ...base, verdict: 'up-failed', error: errorOf(up), reason: reasonOf(up) });
        stopped = `after ${file.version} failed`;
        continue;
      }
      const a = await model(at, o);
      lastUp = a;
      const loaded = catalog.load(file) as Migration;
      if (!loaded.down) {
        hear({ ...base, verdict: 'no-down' });
        before = a;
        continue;
      }
      const down = await step(at, { direction: 'down', steps: 1 });
      if (failed(down)) {
        // The failed down was rolled back (or left marked failed): the shadow holds A, and the rest can go on.
        hear({ ...base, verdict: 'down-failed', error: errorOf(down), reason: reasonOf(down) });
        if (errorOf(down) && errorOf(down)!.outcome !== 'rolled-back') stopped = `after ${file.version}'s down left it failed`;
        before = a;
        continue;
      }
      const afterDown = realDifferences(compare(before, await model(at, o)));
      const again = await step(at, { direction: 'up', steps: 1 });
      if (failed(again)) {
        // After a down that did not restore the schema, the second up failing is its consequence: the mismatch is the verdict.
        hear(afterDown.length ? { ...base, verdict: 'down-mismatch', differences: afterDown } : { ...base, verdict: 'reapply-failed', error: errorOf(again), reason: reasonOf(again) });
        stopped = `after ${file.version} could not be applied again`;
        continue;
      }
      const c = await model(at, o);
      const reapplied = realDifferences(compare(a, c));
      if (afterDown.length) hear({ ...base, verdict: 'down-mismatch', differences: afterDown });
      else if (reapplied.length) hear({ ...base, verdict: 'reapply-failed', differences: reapplied, reason: 'applied again after its down, it gives another schema' });
      else hear({ ...base, verdict: 'verified' });
      before = c;
    }
    return { verdicts, changes: compare(start, lastUp), after: lastUp, shadowMajor: shadow.serverMajor, targetMajor: target.major };
  });
}

/** The model of the target itself (read-only). */
export async function targetModel(o: ShadowOptions): Promise<SchemaModel> {
  return withSession(o, (s) => inspect(s.sql, { trackingSchema: o.schema ?? SETTINGS.schema.default, includeOwners: o.includeOwners }));
}

/** The schema the migrations produce on a shadow: all of them, or up to `upTo` (a version). */
export async function migrationsModel(o: ShadowOptions, upTo?: string | null): Promise<{ model: SchemaModel; shadowMajor: number }> {
  return withShadow(o, async (shadow, at) => {
    if (upTo !== null) {
      const run = await step(at, upTo === undefined ? { direction: 'up' } : { direction: 'up', target: upTo });
      if (failed(run)) throw new ConfigError(`the migrations do not replay on the shadow database: ${reasonOf(run)}`);
    }
    return { model: await model(at, o), shadowMajor: shadow.serverMajor };
  });
}

export interface DriftReport {
  /** Differences from what the applied migrations produce (a) to the live target (b). */
  differences: Difference[];
  targetMajor: number;
  shadowMajor: number;
  /** The newest applied version the shadow was brought to. */
  at: string | null;
}

/** `pgshift drift`: the target's live schema against the schema its applied migrations produce on a shadow. */
export async function drift(o: ShadowOptions): Promise<DriftReport> {
  if (!o.databaseUrl) throw new ConfigError('drift compares a database with its migrations: pass --database-url or set DATABASE_URL.');
  const target = await targetState(o);
  const live = await targetModel(o);
  const expected = await migrationsModel(o, target.current);
  return { differences: realDifferences(compare(expected.model, live)), targetMajor: target.major ?? live.serverMajor, shadowMajor: expected.shadowMajor, at: target.current };
}
