// deploy() and dryRun() in-process, on a real Postgres, with a recording Sink: every status an Outcome
// can have, the sink told exactly once, and what the database holds afterwards.
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createDatabase, writeMigrations, type TestDatabase } from './helpers/db';
import { dbmate, migrationRows, migrationsDir, session, tableExists } from './helpers/pgshift';
import { lockKey } from '../src/db/lock';
import { ConnectionError, LockError, MigrationFailedError, PolicyError, ValidationError, deploy, dryRun, type DeployRequest, type Outcome, type Review, type SafetySettings } from '../src/commands';
import type { Sink } from '../src/report/sink';
import type { EngineEvent, Plan } from '../src/types';

/** Nothing listens on port 9: a connection attempt fails (and retries) rather than hanging. */
const CLOSED = 'postgres://u:s3cret-pw@127.0.0.1:9/x';

/**
 * What a command told its sink. The arrays cannot be the sink itself (a Sink's `planned` and `finished`
 * are its methods), so the Sink that records into them is `sink`.
 */
interface Recording {
  events: EngineEvent[];
  planned: [Plan, Review][];
  finished: Outcome[];
  /** The order of the planned/finished calls. */
  calls: ('planned' | 'finished')[];
  sink: Sink;
}

function recorder(): Recording {
  const r: Omit<Recording, 'sink'> = {
    events: [],
    planned: [],
    finished: [],
    calls: [],
  };
  const sink: Sink = {
    event(e) {
      r.events.push(e);
    },
    planned(plan, review) {
      r.planned.push([plan, review]);
      r.calls.push('planned');
    },
    finished(outcome) {
      r.finished.push(outcome);
      r.calls.push('finished');
    },
  };
  return { ...r, sink };
}

let db: TestDatabase;
const dirs: string[] = [];
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
  // migrationsDir() makes <tmp>/pgshift-test-XXX/migrations: remove the temp folder itself.
  for (const d of dirs.splice(0)) rmSync(dirname(d), { recursive: true, force: true });
});

function dirOf(files: Record<string, string>): string {
  const d = migrationsDir(files);
  dirs.push(d);
  return d;
}

type Overrides = Partial<Omit<DeployRequest, 'safety' | 'selection'>> & {
  safety?: Partial<SafetySettings>;
  selection?: Partial<DeployRequest['selection']>;
};

function request(dir: string, o: Overrides = {}): DeployRequest {
  const { safety, selection, ...rest } = o;
  return {
    dir,
    databaseUrl: db.url,
    environment: 'staging',
    actor: 'deploy-test',
    lint: { rules: {} },
    ...rest,
    selection: { direction: 'up', ...selection },
    safety: {
      protectedEnvironments: ['production'],
      allowDestructive: false,
      failOnLint: false,
      policy: '',
      ...safety,
    },
  };
}

/** deploy() with a fresh recording sink; the sink must have been told once, with the returned outcome. */
async function runDeploy(req: DeployRequest): Promise<{ outcome: Outcome; sink: Recording }> {
  const sink = recorder();
  const promise = deploy(req, sink.sink);
  await expect(promise).resolves.toBeDefined(); // never throws
  const outcome = await promise;
  expect(sink.finished).toHaveLength(1);
  expect(sink.finished[0]).toBe(outcome);
  expect(sink.calls.at(-1)).toBe('finished');
  return { outcome, sink };
}

async function runDryRun(req: DeployRequest): Promise<{ outcome: Outcome; sink: Recording }> {
  const sink = recorder();
  const promise = dryRun(req, sink.sink);
  await expect(promise).resolves.toBeDefined();
  const outcome = await promise;
  expect(sink.finished).toHaveLength(1);
  expect(sink.finished[0]).toBe(outcome);
  return { outcome, sink };
}

const A = dbmate('CREATE TABLE a (id int);', 'DROP TABLE a;');
const B = dbmate('CREATE TABLE b (id int);', 'DROP TABLE b;');
const USERS = dbmate('CREATE TABLE users (id int primary key, email text);', 'DROP TABLE users;');
// DROP TABLE on line 2 of the file.
const DROP_USERS = dbmate('DROP TABLE users;', 'CREATE TABLE users (id int primary key, email text);');

const applied = async () => (await migrationRows(db.sql)).filter((r) => r.status === 'applied').map((r) => r.version);

describe('a deploy that runs', () => {
  test('applied, then up-to-date, then rolled-back', async () => {
    const dir = dirOf({ '1_a.sql': A, '2_b.sql': B });

    const first = await runDeploy(request(dir));
    expect(first.outcome).toMatchObject({
      command: 'up',
      status: 'applied',
      incident: false,
      environment: 'staging',
      protected: false,
      applied: ['1', '2'],
      pendingAfter: 0,
      currentVersion: '2',
    });
    expect(first.outcome.error).toBeUndefined();
    expect(first.outcome.plan?.steps.map((s) => s.migration.version)).toEqual(['1', '2']);
    expect(first.outcome.result?.status).toBe('applied');
    // Not protected: no plan put on record.
    expect(first.sink.planned).toEqual([]);
    const stepEvents = first.sink.events
      .filter((e) => e.type === 'step-start' || e.type === 'step-done')
      .map((e) => `${e.type}:${(e as { step: { migration: { version: string } } }).step.migration.version}`);
    expect(stepEvents).toEqual(['step-start:1', 'step-done:1', 'step-start:2', 'step-done:2']);
    expect(await applied()).toEqual(['1', '2']);
    expect(await tableExists(db.sql, 'a')).toBe(true);
    expect(await tableExists(db.sql, 'b')).toBe(true);

    const again = await runDeploy(request(dir));
    expect(again.outcome).toMatchObject({
      status: 'up-to-date',
      incident: false,
      applied: [],
      pendingAfter: 0,
      currentVersion: '2',
    });
    expect(again.outcome.error).toBeUndefined();
    expect(again.sink.events.filter((e) => e.type === 'step-start')).toEqual([]);

    const down = await runDeploy(request(dir, { selection: { direction: 'down', steps: 1 } }));
    expect(down.outcome).toMatchObject({
      command: 'down',
      status: 'rolled-back',
      incident: false,
      applied: ['2'],
      pendingAfter: 1,
      currentVersion: '1',
    });
    expect(down.outcome.error).toBeUndefined();
    expect(await applied()).toEqual(['1']);
    expect(await tableExists(db.sql, 'b')).toBe(false);
    expect(await tableExists(db.sql, 'a')).toBe(true);
  });

  test('a migration that fails: failed, an incident, a MigrationFailedError naming the file and line; what came before stays applied', async () => {
    // The bad statement is on line 3 of 2_bad.sql.
    const dir = dirOf({
      '1_a.sql': A,
      '2_bad.sql': dbmate('CREATE TABLE b (id int);\nSELECT * FROM no_such_table;', 'DROP TABLE b;'),
    });
    const { outcome, sink } = await runDeploy(request(dir));
    expect(outcome).toMatchObject({
      command: 'up',
      status: 'failed',
      incident: true,
      applied: ['1'],
      pendingAfter: 1,
      currentVersion: '1',
    });
    expect(outcome.error).toBeInstanceOf(MigrationFailedError);
    const failure = (outcome.error as MigrationFailedError).failure;
    expect(failure).toMatchObject({
      version: '2',
      line: 3,
      statementNumber: 2,
      outcome: 'rolled-back',
    });
    expect(failure.path).toMatch(/\/2_bad\.sql$/);
    expect(outcome.error!.message).toContain('2_bad.sql:3:');
    expect(outcome.error!.message).toContain('no_such_table');
    expect(sink.events.some((e) => e.type === 'step-failed')).toBe(true);
    expect(await applied()).toEqual(['1']);
    expect(await tableExists(db.sql, 'b')).toBe(false);
  });
});

describe('a dry run', () => {
  test('planned: the plan, the pending count, planned() once, and nothing written', async () => {
    const dir = dirOf({ '1_a.sql': A, '2_b.sql': B });
    const { outcome, sink } = await runDryRun(request(dir));
    expect(outcome).toMatchObject({
      command: 'plan',
      status: 'planned',
      incident: false,
      applied: [],
      pendingAfter: 2,
      currentVersion: null,
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.plan?.steps.map((s) => s.migration.version)).toEqual(['1', '2']);
    expect(sink.planned).toHaveLength(1);
    expect(sink.planned[0][0]).toBe(outcome.plan);
    expect(sink.calls).toEqual(['planned', 'finished']);
    expect(await tableExists(db.sql, 'schema_migrations')).toBe(false);
    expect(await tableExists(db.sql, 'migration_history')).toBe(false);
    expect(await tableExists(db.sql, 'a')).toBe(false);
  });
});

describe('refused by the files', () => {
  test('an applied file edited afterwards: a deploy is refused as an incident, a dry run is refused without one', async () => {
    const dir = dirOf({ '1_a.sql': A });
    expect((await runDeploy(request(dir))).outcome.status).toBe('applied');
    writeMigrations(dir, {
      '1_a.sql': dbmate('CREATE TABLE a (id bigint);', 'DROP TABLE a;'),
      '2_b.sql': B,
    });

    const { outcome } = await runDeploy(request(dir));
    expect(outcome).toMatchObject({
      command: 'up',
      status: 'refused',
      incident: true,
      applied: [],
    });
    expect(outcome.error).toBeInstanceOf(ValidationError);
    expect(outcome.error!.message).toContain('1_a.sql');
    expect(await applied()).toEqual(['1']);
    expect(await tableExists(db.sql, 'b')).toBe(false);

    const dry = await runDryRun(request(dir));
    expect(dry.outcome).toMatchObject({
      command: 'plan',
      status: 'refused',
      incident: false,
      applied: [],
    });
    expect(dry.outcome.error).toBeInstanceOf(ValidationError);
    expect(dry.outcome.plan?.blocked).toBe(true);
    expect(await applied()).toEqual(['1']);
  });
});

describe('the protected-environment guard', () => {
  test('a down in production without the confirm phrase: refused, not an incident, before any connection', async () => {
    const dir = dirOf({ '1_a.sql': A });
    const started = Date.now();
    const { outcome, sink } = await runDeploy(
      request(dir, {
        databaseUrl: CLOSED,
        environment: 'production',
        selection: { direction: 'down' },
      }),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(outcome).toMatchObject({
      command: 'down',
      status: 'refused',
      incident: false,
      protected: true,
      applied: [],
    });
    expect(outcome.error).toBeInstanceOf(PolicyError);
    expect((outcome.error as PolicyError).findings).toEqual([]);
    expect(outcome.error!.message).toContain('MIGRATE-PRODUCTION');
    expect(outcome.error!.message).toContain('--confirm');
    expect(outcome.review).toEqual({ findings: [], refused: [] });
    expect(sink.planned).toEqual([]);
    expect(sink.events.filter((e) => e.type === 'connect-retry')).toEqual([]);

    // A wrong phrase is refused the same way.
    const wrong = await runDeploy(
      request(dir, {
        databaseUrl: CLOSED,
        environment: 'production',
        selection: { direction: 'down' },
        confirm: 'MIGRATE-STAGING',
      }),
    );
    expect(wrong.outcome).toMatchObject({ status: 'refused', incident: false });
    expect(wrong.outcome.error).toBeInstanceOf(PolicyError);
  });

  test('with confirm MIGRATE-PRODUCTION it rolls back, with the plan on record first', async () => {
    const dir = dirOf({ '1_a.sql': A, '2_b.sql': B });
    expect((await runDeploy(request(dir, { environment: 'production' }))).outcome.status).toBe('applied');
    const { outcome, sink } = await runDeploy(
      request(dir, {
        environment: 'production',
        selection: { direction: 'down' },
        confirm: 'MIGRATE-PRODUCTION',
      }),
    );
    expect(outcome).toMatchObject({
      command: 'down',
      status: 'rolled-back',
      incident: false,
      protected: true,
      applied: ['2'],
      pendingAfter: 1,
      currentVersion: '1',
    });
    expect(outcome.error).toBeUndefined();
    expect(sink.calls).toEqual(['planned', 'finished']);
    expect(sink.planned[0][0].direction).toBe('down');
    expect(await applied()).toEqual(['1']);
    expect(await tableExists(db.sql, 'b')).toBe(false);
  });
});

describe('the safety policy', () => {
  test('production refuses a pending DROP TABLE (plan on record first, an incident); allowDestructive applies it', async () => {
    const dir = dirOf({ '1_users.sql': USERS });
    expect((await runDeploy(request(dir, { environment: 'production' }))).outcome.status).toBe('applied');
    writeMigrations(dir, { '2_drop_users.sql': DROP_USERS });

    const { outcome, sink } = await runDeploy(request(dir, { environment: 'production' }));
    expect(outcome).toMatchObject({
      command: 'up',
      status: 'refused',
      incident: true,
      protected: true,
      applied: [],
    });
    expect(outcome.error).toBeInstanceOf(PolicyError);
    expect(outcome.review.refused).toEqual([
      expect.objectContaining({
        rule: 'drop-table',
        severity: 'error',
        destructive: true,
        version: '2',
        line: 2,
      }),
    ]);
    expect((outcome.error as PolicyError).findings).toEqual(outcome.review.refused);
    expect(outcome.review.findings.map((f) => f.rule)).toContain('drop-table');
    expect(outcome.error!.message).toContain('2_drop_users.sql:2: drop-table');
    // The plan was on record before the refusal, with the same verdict.
    expect(sink.calls).toEqual(['planned', 'finished']);
    const [onRecord, review] = sink.planned[0];
    expect(onRecord.steps.map((s) => s.migration.version)).toEqual(['2']);
    expect(review.refused.map((f) => f.rule)).toEqual(['drop-table']);
    expect(await tableExists(db.sql, 'users')).toBe(true);
    expect(await applied()).toEqual(['1']);

    const allowed = await runDeploy(
      request(dir, {
        environment: 'production',
        safety: { allowDestructive: true },
      }),
    );
    expect(allowed.outcome).toMatchObject({
      status: 'applied',
      incident: false,
      applied: ['2'],
      pendingAfter: 0,
      currentVersion: '2',
    });
    expect(allowed.outcome.error).toBeUndefined();
    expect(await tableExists(db.sql, 'users')).toBe(false);
  });

  test('additive-only refuses a destructive statement in staging, where it would otherwise run', async () => {
    const dir = dirOf({ '1_users.sql': USERS });
    expect((await runDeploy(request(dir))).outcome.status).toBe('applied');
    writeMigrations(dir, { '2_drop_users.sql': DROP_USERS });

    const { outcome, sink } = await runDeploy(request(dir, { safety: { policy: 'additive-only' } }));
    expect(outcome).toMatchObject({
      status: 'refused',
      incident: true,
      protected: false,
      applied: [],
    });
    expect(outcome.error).toBeInstanceOf(PolicyError);
    expect(outcome.review.refused.map((f) => f.rule)).toEqual(['drop-table']);
    expect(sink.planned).toEqual([]); // not protected: no plan on record
    expect(await tableExists(db.sql, 'users')).toBe(true);

    const dry = await runDryRun(request(dir, { safety: { policy: 'additive-only' } }));
    expect(dry.outcome).toMatchObject({ status: 'refused', incident: false });
    expect(dry.outcome.error).toBeInstanceOf(PolicyError);

    const plain = await runDeploy(request(dir));
    expect(plain.outcome).toMatchObject({ status: 'applied', applied: ['2'] });
    expect(await tableExists(db.sql, 'users')).toBe(false);
  });

  test('failOnLint refuses an error-level non-destructive finding in staging; the default staging run applies it', async () => {
    const dir = dirOf({ '1_users.sql': USERS });
    expect((await runDeploy(request(dir))).outcome.status).toBe('applied');
    writeMigrations(dir, {
      '2_plan.sql': dbmate('ALTER TABLE users ADD COLUMN plan text NOT NULL;', 'ALTER TABLE users DROP COLUMN plan;'),
    });

    const { outcome } = await runDeploy(request(dir, { safety: { failOnLint: true } }));
    expect(outcome).toMatchObject({
      status: 'refused',
      incident: true,
      applied: [],
    });
    expect(outcome.error).toBeInstanceOf(PolicyError);
    expect(outcome.review.refused).toEqual([
      expect.objectContaining({
        rule: 'add-column-not-null-without-default',
        severity: 'error',
        destructive: false,
      }),
    ]);
    expect(await applied()).toEqual(['1']);

    const plain = await runDeploy(request(dir));
    expect(plain.outcome).toMatchObject({
      status: 'applied',
      incident: false,
      applied: ['2'],
    });
    // It ran with the finding on the plan, as a warning only.
    expect(plain.outcome.review.findings.map((f) => f.rule)).toEqual(['add-column-not-null-without-default']);
    expect(plain.outcome.review.refused).toEqual([]);
    expect(await applied()).toEqual(['1', '2']);
  });
});

describe('failed before running', () => {
  test('an unreachable database: failed, an incident, a ConnectionError without the password', async () => {
    const dir = dirOf({ '1_a.sql': A });
    const started = Date.now();
    const { outcome } = await runDeploy(request(dir, { databaseUrl: CLOSED, connectTimeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(outcome).toMatchObject({
      command: 'up',
      status: 'failed',
      incident: true,
      applied: [],
    });
    expect(outcome.error).toBeInstanceOf(ConnectionError);
    expect(outcome.error!.message).toContain('127.0.0.1:9');
    expect(outcome.error!.message).not.toContain('s3cret-pw');
  });

  test('the migration lock held by another session: failed, an incident, a LockError; nothing written', async () => {
    const dir = dirOf({ '1_a.sql': A });
    const holder = session(db, 'deploy-test-holder');
    try {
      await holder`select pg_advisory_lock(${lockKey('public').key}::bigint)`;
      const { outcome } = await runDeploy(request(dir, { lockWaitMs: 200 }));
      expect(outcome).toMatchObject({
        command: 'up',
        status: 'failed',
        incident: true,
        applied: [],
      });
      expect(outcome.error).toBeInstanceOf(LockError);
      expect(outcome.error!.message).toContain('deploy-test-holder');
      expect(await tableExists(db.sql, 'a')).toBe(false);
      expect(await tableExists(db.sql, 'schema_migrations')).toBe(false);
    } finally {
      await holder.end();
    }
  });
});
