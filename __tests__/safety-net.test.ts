// The production safety net end to end: health checks after a run, the automatic rollback of what the
// run applied (after a failed migration or a failed check), the refusal of a run that could not be
// undone, and the action's reports of all of it (outputs, summary, failure issue, notification), against
// a real Postgres, a fake GitHub API and a webhook server on 127.0.0.1, running the built bundles.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { inspect, render } from '../src/schema';
import type { Sql } from '../src/db/connect';
import { runAction } from './helpers/action';
import { createDatabase, tempDir, writeMigrations, type TestDatabase } from './helpers/db';
import { FakeGitHub } from './helpers/github-server';
import { dbmate, historyRows, migrationRows, migrationsDir, pgshift } from './helpers/pgshift';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

const schemaOf = async (d: TestDatabase = db) => render(await inspect(d.sql as unknown as Sql));
const versions = async () => (await migrationRows(db.sql)).map((r) => `${r.version}:${r.status}`);

/** A webhook (or an app's health endpoint) on 127.0.0.1 answering each request with the next of `statuses` (the last repeats). */
async function httpServer(statuses: number[]): Promise<{ url: string; requests: { path: string; body: string }[]; close(): Promise<void> }> {
  const requests: { path: string; body: string }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', body });
      res.statusCode = statuses[Math.min(requests.length - 1, statuses.length - 1)];
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Five migrations; the third fails. */
const FIVE = {
  '1_a.sql': dbmate('CREATE TABLE a (id int);', 'DROP TABLE a;'),
  '2_b.sql': dbmate('CREATE TABLE b (id int);', 'DROP TABLE b;'),
  '3_c.sql': dbmate('CREATE TABLE c (id int);\nINSERT INTO c VALUES (1 / 0);', 'DROP TABLE c;'),
  '4_d.sql': dbmate('CREATE TABLE d (id int);', 'DROP TABLE d;'),
  '5_e.sql': dbmate('CREATE TABLE e (id int);', 'DROP TABLE e;'),
};

describe('automatic rollback (CLI)', () => {
  test('a migration that fails third of five: the two before it are rolled back too, and the history says why', async () => {
    // An older migration, applied by an earlier run, is not this run's to undo.
    const dir = migrationsDir({ '0_base.sql': dbmate('CREATE TABLE base (id int);', 'DROP TABLE base;') });
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    const before = await schemaOf();
    writeMigrations(dir, FIVE);
    const r = await pgshift(['up'], dir, db, ['--rollback-on-failure']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('3_c.sql:3:1');
    expect(r.stderr).toMatch(/migration 3 \(c\) failed: rolled back the 2 migrations this run applied \(2, 1, newest first\)/);
    expect(r.stdout).toMatch(/✓ rolled back 2 b/);
    expect(await versions()).toEqual(['0:applied']);
    expect(await schemaOf()).toBe(before);
    const rollbacks = (await historyRows(db.sql)).filter((h) => h.action === 'rollback');
    expect(rollbacks.map((h) => [h.version, h.status, h.error_message])).toEqual([
      ['2', 'success', 'automatic rollback: migration 3 (c) failed'],
      ['1', 'success', 'automatic rollback: migration 3 (c) failed'],
    ]);
  });

  test('a rollback that itself fails stops there and says first exactly which versions are still applied', async () => {
    const dir = migrationsDir({ '1_a.sql': FIVE['1_a.sql'], '2_b.sql': dbmate('CREATE TABLE b (id int);', 'DROP TABLE b_typo;') });
    const r = await pgshift(['up'], dir, db, ['--rollback-on-failure', '--health-check-sql', 'select false', '--health-check-timeout', '0s']);
    expect(r.code).toBe(1);
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(
      /^pgshift: the automatic rollback did not finish: 2, 1 are still applied\. the health check failed \(sql: false\); then rolling back 2 \(b\) failed at .*2_b\.sql:5:1: table "b_typo" does not exist\./,
    );
    // It stopped at the down that failed: 1 was not rolled back either (its down ran after 2's in order).
    expect(await versions()).toEqual(['1:applied', '2:applied']);
    const failed = (await historyRows(db.sql)).filter((h) => h.action === 'rollback');
    expect(failed.map((h) => [h.version, h.status])).toEqual([['2', 'failed']]);
  });

  test('without --rollback-on-failure the migrations before the failed one stay applied', async () => {
    const r = await pgshift(['up'], migrationsDir(FIVE), db);
    expect(r.code).toBe(1);
    expect(await versions()).toEqual(['1:applied', '2:applied']);
  });

  test('a failed health query rolls back the whole run, checks again, and exits 1; the JSON says all of it', async () => {
    const dir = migrationsDir({ '1_a.sql': FIVE['1_a.sql'], '2_b.sql': FIVE['2_b.sql'] });
    const before = await schemaOf();
    const r = await pgshift(['up'], dir, db, ['--rollback-on-failure', '--health-check-sql', "select to_regclass('public.never') is not null", '--health-check-timeout', '1500ms', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.rollback).toMatchObject({ versions: ['2', '1'], rolledBack: ['2', '1'], stillApplied: [] });
    expect(out.rollback.reason).toMatch(/^the health check failed \(sql: false after \d+ tries\)$/);
    expect(out.health.map((h: { passed: boolean; afterRollback?: boolean; returned: string }) => [h.passed, !!h.afterRollback, h.returned])).toEqual([
      [false, false, 'false'],
      [false, true, 'false'],
    ]);
    // Retried with backoff within the timeout: more than one try.
    expect(out.health[0].tries).toBeGreaterThan(1);
    expect(await versions()).toEqual([]);
    expect(await schemaOf()).toBe(before);
  });

  test('a failed health check without rollback: the run stays applied, and the command fails saying so', async () => {
    const dir = migrationsDir({ '1_a.sql': FIVE['1_a.sql'] });
    const r = await pgshift(['up'], dir, db, ['--health-check-sql', 'select count(*) > 0 from a', '--health-check-timeout', '0s']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ health  sql select count(*) > 0 from a: false (1 try');
    expect(r.stderr).toContain('the health check failed (sql: false) after the run; the migration it applied stays applied (--rollback-on-failure was not set).');
    expect(await versions()).toEqual(['1:applied']);
  });

  test('a no-op deploy is still checked: a query that errors fails it, one that holds passes it', async () => {
    const dir = migrationsDir({ '1_a.sql': FIVE['1_a.sql'] });
    expect((await pgshift(['up'], dir, db)).code).toBe(0);
    const bad = await pgshift(['up'], dir, db, ['--rollback-on-failure', '--health-check-sql', 'select * from missing_table', '--health-check-timeout', '0s']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('relation "missing_table" does not exist');
    // Nothing was applied, so nothing is rolled back.
    expect(await versions()).toEqual(['1:applied']);
    const good = await pgshift(['up'], dir, db, ['--health-check-sql', 'select exists (select from a) or true', '--health-check-timeout', '0s']);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/✓ health {2}sql .*: true \(1 try/);
  });

  test('a health URL is retried until it answers 2xx; one that never does fails the check', async () => {
    const app = await httpServer([503, 503, 200]);
    try {
      const dir = migrationsDir({ '1_a.sql': FIVE['1_a.sql'] });
      const ok = await pgshift(['up'], dir, db, ['--health-check-url', `${app.url}/healthz`, '--health-check-timeout', '10s']);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/✓ health {2}url http:\/\/127\.0\.0\.1:\d+\/healthz: HTTP 200 OK \(3 tries/);
      expect(app.requests.map((q) => q.path)).toEqual(['/healthz', '/healthz', '/healthz']);
    } finally {
      await app.close();
    }
    const down = await httpServer([500]);
    try {
      const dir = migrationsDir({ '1_a.sql': FIVE['1_a.sql'], '2_b.sql': FIVE['2_b.sql'] });
      const r = await pgshift(['up'], dir, db, ['--rollback-on-failure', '--health-check-url', down.url, '--health-check-timeout', '1s']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('the health check failed (url: HTTP 500 Internal Server Error');
      // Only what this run applied (2) is rolled back; 1 was applied by the run before.
      expect(r.stderr).toContain('rolled back the migration this run applied (2, newest first)');
      expect(await versions()).toEqual(['1:applied']);
    } finally {
      await down.close();
    }
  });

  test('a non-transactional migration that fails part-way, with a down safe after that, is undone too', async () => {
    const dir = migrationsDir({
      '1_t.sql': dbmate('CREATE TABLE t (id int, x int);', 'DROP TABLE t;'),
      '2_idx.sql': dbmate(
        'CREATE INDEX CONCURRENTLY t_id ON t (id);\nCREATE INDEX CONCURRENTLY t_nope ON t (nope);',
        'DROP INDEX CONCURRENTLY IF EXISTS t_nope;\nDROP INDEX CONCURRENTLY IF EXISTS t_id;',
        { upTransaction: false, downTransaction: false },
      ),
    });
    const r = await pgshift(['up'], dir, db, ['--rollback-on-failure']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rolled back the 2 migrations this run applied (2, 1, newest first)');
    expect(await versions()).toEqual([]);
    expect((await db.sql`select count(*)::int as n from pg_class where relname in ('t', 't_id', 't_nope')`)[0].n).toBe(0);
  });
});

test('a webhook that never answers leaves the deploy green, with a warning, within the 10 s budget', async () => {
  const sockets = new Set<import('node:net').Socket>();
  const silent: Server = createServer(() => {}); // takes the request and never answers
  silent.on('connection', (c) => sockets.add(c));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const hook = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/services/T1/B2/secret-key`;
    const started = Date.now();
    const r = await pgshift(['up'], migrationsDir({ '1_a.sql': FIVE['1_a.sql'] }), db, ['--notify-url', hook, '--notify-on', 'always']);
    const took = Date.now() - started;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Applied 1 migration');
    expect(r.stderr).toMatch(/warning: .*127\.0\.0\.1/);
    expect(r.stdout + r.stderr).not.toContain('secret-key');
    expect(took).toBeLessThan(15_000);
    expect(await versions()).toEqual(['1:applied']);
  } finally {
    for (const c of sockets) c.destroy();
    await new Promise((r) => silent.close(() => r(undefined)));
  }
}, 30_000);

describe('what cannot be undone is refused before anything runs', () => {
  const IRREVERSIBLE = {
    '1_a.sql': FIVE['1_a.sql'],
    '2_seed.sql': dbmate('CREATE TABLE seed (id int);'),
    '3_idx.sql': dbmate('CREATE INDEX CONCURRENTLY a_id ON a (id);', 'DROP INDEX CONCURRENTLY a_id;', { upTransaction: false, downTransaction: false }),
  };

  test('up --rollback-on-failure with a migration with no down and a non-idempotent non-transactional down: refused, nothing written', async () => {
    const r = await pgshift(['up'], migrationsDir(IRREVERSIBLE), db, ['--rollback-on-failure']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot be rolled back automatically');
    expect(r.stderr).toContain('2 seed: it has no down section');
    expect(r.stderr).toMatch(/3 idx: it runs without a transaction, .*line 5 \(DROP INDEX CONCURRENTLY a_id\).* Write the down with IF EXISTS/);
    expect(r.stderr).toContain('--allow-irreversible');
    // Not even the tracking tables: refused before anything was written.
    expect((await db.sql`select to_regclass('public.schema_migrations') as t`)[0].t).toBeNull();
  });

  test('the dry run says so, and what a failure would roll back; --allow-irreversible runs it', async () => {
    const dir = migrationsDir(IRREVERSIBLE);
    const p = await pgshift(['plan'], dir, db, ['--rollback-on-failure', '--health-check-sql', 'select true']);
    expect(p.code).toBe(3);
    expect(p.stdout).toContain('Safety net');
    expect(p.stdout).toContain('If a migration or the health check fails, 1 migration will be rolled back, newest first: 1.');
    expect(p.stdout).toContain('⚠️ 2 seed cannot be rolled back automatically: it has no down section.');
    const r = await pgshift(['up'], dir, db, ['--rollback-on-failure', '--allow-irreversible']);
    expect(r.code).toBe(0);
    expect(await versions()).toEqual(['1:applied', '2:applied', '3:applied']);
  });
});

describe('the action', () => {
  let gh: FakeGitHub;
  beforeEach(async () => {
    gh = await new FakeGitHub().start();
  });
  afterEach(async () => {
    await gh.stop();
  });

  test('a failed health check after a deploy: rolled back, one issue naming both, one notification, no password anywhere', async () => {
    const hook = await httpServer([200]);
    const workspace = tempDir();
    writeMigrations(join(workspace, 'migrations'), { '1_a.sql': FIVE['1_a.sql'], '2_b.sql': FIVE['2_b.sql'] });
    // The suite's server has a password; a server that trusts local connections gets one that is only carried.
    const url = new URL(db.url);
    if (!url.password) url.password = 'Hunter2-very-secret-pw';
    const secret = decodeURIComponent(url.password);
    const before = await schemaOf();
    try {
      const r = await runAction({
        inputs: {
          'database-url': url.toString(),
          environment: 'staging',
          'github-token': 't0ken',
          'health-check-sql': 'select count(*) > 0 from b',
          'health-check-timeout': '0s',
          'rollback-on-failure': 'true',
          'notify-url': `${hook.url}/hooks/T000/B000/XXXXsecretpath`,
          'notify-format': 'json',
        },
        eventName: 'push',
        event: { ref: 'refs/heads/staging' },
        apiUrl: gh.url,
        workspace,
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      expect(r.outputs.status).toBe('rolled-back');
      expect(JSON.parse(r.outputs['rolled-back-versions'])).toEqual(['2', '1']);
      expect(r.outputs['health-check']).toBe('failed');
      expect(await versions()).toEqual([]);
      expect(await schemaOf()).toBe(before);
      // The summary and the failure issue say both what the check returned and what was rolled back.
      expect(r.summary).toContain('↩️ **Rolled back automatically** in `staging`: the health check failed (sql: false)');
      expect(gh.issues).toHaveLength(1);
      const issue = gh.issues[0];
      expect(issue.title).toContain('staging');
      expect(issue.body).toContain('Deploy to `staging` rolled back automatically');
      expect(issue.body).toContain('❌ query `select count(*) > 0 from b`: false');
      expect(issue.body).toContain('↩️ **Rolled back automatically** because the health check failed (sql: false): `2`, `1` (newest first).');
      // One notification, with the outcome and the versions.
      expect(hook.requests).toHaveLength(1);
      const body = JSON.parse(hook.requests[0].body);
      expect(body).toMatchObject({ outcome: 'rolled-back', environment: 'staging', rolledBack: ['2', '1'] });
      expect(body.text).toMatch(/rolled back/i);
      // ::add-mask:: lines are how a secret is handed to the runner to mask; the runner never prints them.
      const logged = r.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n');
      for (const text of [logged, r.stderr, r.summary, JSON.stringify(gh.requests), hook.requests[0].body, JSON.stringify(r.outputs)]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain('XXXXsecretpath');
      }
    } finally {
      await hook.close();
    }
  });

  test('a rollback that fails: status failed, and the failure issue says first what is still applied', async () => {
    const workspace = tempDir();
    writeMigrations(join(workspace, 'migrations'), { '1_a.sql': FIVE['1_a.sql'], '2_b.sql': dbmate('CREATE TABLE b (id int);', 'DROP TABLE b_typo;') });
    const r = await runAction({
      inputs: { 'database-url': db.url, environment: 'staging', 'github-token': 't0ken', 'health-check-sql': 'select false', 'health-check-timeout': '0s', 'rollback-on-failure': 'true' },
      eventName: 'push',
      event: { ref: 'refs/heads/staging' },
      apiUrl: gh.url,
      workspace,
    });
    expect(r.code).toBe(1);
    expect(r.outputs.status).toBe('failed');
    expect(JSON.parse(r.outputs['rolled-back-versions'])).toEqual([]);
    expect(gh.issues).toHaveLength(1);
    const body = gh.issues[0].body;
    expect(body).toContain('## Automatic rollback did not finish in `staging`');
    const details = body.slice(body.indexOf('| Run |'));
    // The first thing after the run's facts: what is still applied.
    expect(details.split('\n').find((l) => l.startsWith('❌'))).toMatch(/^❌ \*\*The automatic rollback did not finish\*\*: `2`, `1` are still applied\./);
    expect(body).toContain('1. **Still applied:** `2`, `1`.');
  });

  test('a dry run on a pull request shows the safety net in the comment', async () => {
    const workspace = tempDir();
    writeMigrations(join(workspace, 'migrations'), { '1_a.sql': FIVE['1_a.sql'], '2_seed.sql': dbmate('CREATE TABLE seed (id int);') });
    const r = await runAction({
      inputs: {
        'database-url': db.url,
        environment: 'production',
        'dry-run': 'true',
        'github-token': 't0ken',
        'rollback-on-failure': 'true',
        'allow-irreversible': 'true',
        backup: 'none',
        'health-check-url': 'https://app.example.test/healthz',
      },
      eventName: 'pull_request',
      event: { pull_request: { number: 7, head: { sha: 'abc' }, base: { sha: 'def' } } },
      apiUrl: gh.url,
      workspace,
    });
    expect(r.code).toBe(0);
    expect(gh.comments).toHaveLength(1);
    const comment = gh.comments[0].body;
    expect(comment).toContain('### Safety net');
    expect(comment).toContain('**Health check** after the run: URL `https://app.example.test/healthz`.');
    expect(comment).toContain('If a migration or the health check fails, 1 migration will be rolled back, newest first: `1`.');
    expect(comment).toContain('⚠️ `2` seed **cannot be rolled back automatically**: it has no down section.');
  });
});
