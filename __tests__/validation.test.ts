// Validation of the files against the tracking table (modified, missing, out-of-order) and `status`
// showing every state: through the built CLI, on a real Postgres.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, type TestDatabase } from './helpers/db';
import { appliedVersions, cli, dirWith, history, sha256, userTables } from './helpers/files';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

const table = (n: number) => `CREATE TABLE t${n} (id int);\n`;

describe('a modified applied migration', () => {
  test('stops up when something is pending (exit 3), listing every changed file with both checksums', async () => {
    const dir = dirWith({ '1_a.sql': table(1), '2_b.sql': table(2), '3_c.sql': table(3) });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    const stored = Object.fromEntries((await appliedVersions(db.sql)).map((r) => [r.version, r.checksum]));

    writeFileSync(join(dir, '1_a.sql'), 'CREATE TABLE t1 (id bigint);\n');
    writeFileSync(join(dir, '3_c.sql'), table(3) + '-- an innocent comment is a change too\n');
    writeFileSync(join(dir, '4_d.sql'), table(4));
    const now = (name: string) => sha256(readFileSync(join(dir, name), 'utf8'));

    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toContain(`1_a.sql: applied migration 1 was changed after it ran (stored ${stored['1']}, now ${now('1_a.sql')})`);
    expect(up.stderr).toContain(`3_c.sql: applied migration 3 was changed after it ran (stored ${stored['3']}, now ${now('3_c.sql')})`);
    expect(up.stderr).not.toMatch(/2_b\.sql/);
    expect(up.stderr).toMatch(/Restore the file as it was applied and put the change in a new migration/);
    expect(await userTables(db.sql)).toEqual(['t1', 't2', 't3']);
    expect((await appliedVersions(db.sql)).map((r) => r.version)).toEqual(['1', '2', '3']);

    const json = JSON.parse((await cli(['up', '--json'], dir, db)).stdout);
    expect(json.error.exitCode).toBe(3);
    expect(json.error.problems.map((p: any) => [p.kind, p.version, p.storedChecksum, p.currentChecksum])).toEqual([
      ['modified', '1', stored['1'], now('1_a.sql')],
      ['modified', '3', stored['3'], now('3_c.sql')],
    ]);

    // With nothing pending, a changed history still refuses up (issue 9): not "up to date" with a
    // warning, which let the change through until a deploy had something to run.
    rmSync(join(dir, '4_d.sql'));
    const idle = await cli(['up'], dir, db);
    expect(idle.code).toBe(3);
    expect(idle.stdout).not.toMatch(/Up to date/);
    expect(idle.stderr).toMatch(/^ {2}- .*1_a\.sql: applied migration 1 was changed/m);
    expect((await history(db.sql)).length).toBe(3);
  });
});

describe('a missing applied file', () => {
  test('stops the run (exit 3); --allow-missing proceeds', async () => {
    const dir = dirWith({ '1_a.sql': table(1), '2_b.sql': table(2) });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    rmSync(join(dir, '1_a.sql'));
    writeFileSync(join(dir, '3_c.sql'), table(3));

    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toMatch(/migration 1 \(a\) is applied but its file is gone from the migrations directory \(.*\)\. Restore the file, or pass --allow-missing/);
    expect(await userTables(db.sql)).toEqual(['t1', 't2']);

    const allowed = await cli(['up', '--allow-missing'], dir, db);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/^warning: migration 1 \(a\) is applied but its file is gone .*Going on without it \(--allow-missing\)\./m);
    expect(await userTables(db.sql)).toEqual(['t1', 't2', 't3']);
    expect((await appliedVersions(db.sql)).map((r) => r.version)).toEqual(['1', '2', '3']);
  });

  test('cannot be rolled back: down is refused (exit 3), even with --allow-missing', async () => {
    const dir = dirWith({ '1_a.sql': `-- migrate:up\n${table(1)}-- migrate:down\nDROP TABLE t1;\n` });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    rmSync(join(dir, '1_a.sql'));
    for (const extra of [[], ['--allow-missing']]) {
      const down = await cli(['down', ...extra], dir, db);
      expect(down.code).toBe(3);
      expect(down.stderr).toMatch(/cannot roll back 1 \(a\): its file is gone/);
    }
    expect(await userTables(db.sql)).toEqual(['t1']);
  });
});

describe('a pending migration older than the newest applied one', () => {
  test('is refused (exit 3); --allow-out-of-order applies it', async () => {
    const dir = dirWith({ '1_a.sql': table(1), '3_c.sql': table(3) });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    writeFileSync(join(dir, '2_b.sql'), table(2));

    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(3);
    expect(up.stderr).toMatch(/2_b\.sql: pending migration 2 is older than the newest applied one \(3\)\. Give it a newer version, or pass --allow-out-of-order/);
    expect(await userTables(db.sql)).toEqual(['t1', 't3']);

    const allowed = await cli(['up', '--allow-out-of-order'], dir, db);
    expect(allowed.code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['t1', 't2', 't3']);
    expect((await history(db.sql)).map((h) => h.version)).toEqual(['1', '3', '2']);
    // The current version stays the highest, not the last applied.
    expect(allowed.stdout).toMatch(/current version 3\./);
  });
});

describe('status', () => {
  test('shows applied, modified, missing, failed and pending, with applied time and duration', async () => {
    const dir = dirWith({
      '1_a.sql': table(1),
      '2_b.sql': table(2),
      '3_c.sql': table(3),
      '4_d.sql': '-- migrate:up transaction:false\nCREATE TABLE t4 (id int);\nSELECT 1 / 0;\n',
    });
    expect((await cli(['up'], dir, db)).code).toBe(1);
    writeFileSync(join(dir, '2_b.sql'), 'CREATE TABLE t2 (id bigint);\n');
    rmSync(join(dir, '3_c.sql'));
    writeFileSync(join(dir, '5_e.sql'), table(5));

    const rows = await db.sql<{ version: string; applied_at: Date; execution_time_ms: number }[]>`
      select version, applied_at, execution_time_ms from schema_migrations order by version`;
    const json = await cli(['status', '--json'], dir, db);
    expect(json.code).toBe(0);
    const s = JSON.parse(json.stdout);
    expect(s.trackingExists).toBe(true);
    expect(s.entries.map((e: any) => [e.version, e.name, e.state])).toEqual([
      ['1', 'a', 'applied'],
      ['2', 'b', 'modified'],
      ['3', 'c', 'missing'],
      ['4', 'd', 'failed'],
      ['5', 'e', 'pending'],
    ]);
    for (const r of rows) {
      const e = s.entries.find((x: any) => x.version === r.version);
      expect(new Date(e.appliedAt).getTime()).toBe(r.applied_at.getTime());
      expect(e.executionTimeMs).toBe(r.execution_time_ms);
      expect(typeof e.executionTimeMs).toBe('number');
    }
    expect(s.entries[3].errorMessage).toMatch(/4_d\.sql:3:\d+: 22012 division by zero/);
    expect(s.entries[4]).toMatchObject({ appliedAt: null, executionTimeMs: null });
    expect(s.problems.map((p: any) => [p.kind, p.version]).sort()).toEqual([
      ['failed', '4'],
      ['missing', '3'],
      ['modified', '2'],
    ]);

    const text = await cli(['status'], dir, db);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toMatch(/^VERSION\s+NAME\s+STATUS\s+APPLIED AT \(UTC\)\s+DURATION$/);
    const day = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
    expect(lines[1]).toMatch(new RegExp(`^1\\s+a\\s+applied\\s+${day(rows[0].applied_at)}\\s+${rows[0].execution_time_ms} ms$`));
    expect(lines[2]).toMatch(/^2\s+b\s+modified\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+ ms$/);
    expect(lines[3]).toMatch(/^3\s+c\s+missing\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+\d+ ms$/);
    expect(lines[4]).toMatch(/^4\s+d\s+failed\s+/);
    expect(lines[5]).toMatch(/^5\s+e\s+pending$/);
    expect(text.stdout).toMatch(/^1 applied, 1 modified, 1 missing, 1 failed, 1 pending$/m);
    expect(text.stdout).toMatch(/✗ migration 4 \(d\) is marked failed: .*pgshift resolve 4 --applied/);
  });

  test('--exit-code exits 1 when something is pending and 0 when not', async () => {
    const dir = dirWith({ '1_a.sql': table(1), '2_b.sql': table(2) });
    expect((await cli(['status', '--exit-code'], dir, db)).code).toBe(1);
    expect((await cli(['status'], dir, db)).code).toBe(0);
    expect((await cli(['up', '--target', '1'], dir, db)).code).toBe(0);
    const partly = await cli(['status', '--exit-code'], dir, db);
    expect(partly.code).toBe(1);
    expect(partly.stdout).toMatch(/1 applied, 1 pending/);
    expect((await cli(['up'], dir, db)).code).toBe(0);
    const done = await cli(['status', '--exit-code', '--json'], dir, db);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout).entries.map((e: any) => e.state)).toEqual(['applied', 'applied']);
  });
});
