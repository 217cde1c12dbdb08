// Lazy reading: applied migrations are hashed, never SQL-parsed, so a directory of thousands of applied
// files costs a checksum each and only the pending ones meet the parser. Proven by applied files whose
// SQL does not parse (but whose stored checksum matches): they must raise no problem, while the same
// text in a pending file must.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../src/commands';
import { Catalog } from '../src/files/catalog';
import { buildPlan } from '../src/plan/plan';
import { loadParser } from '../src/sql/split';
import type { AppliedMigration } from '../src/types';
import { createDatabase, type TestDatabase } from './helpers/db';
import { appliedVersions, dirWith, history, sha256, userTables } from './helpers/files';

const APPLIED = 2000;
const UNPARSEABLE = 'CREATE TABLE oops (id int,, -- this never parsed: the file was edited by hand\n';

/** 2,000 applied files of unparseable SQL and their matching rows, plus one pending valid file. */
function fixture(): { dir: string; rows: AppliedMigration[] } {
  const dir = dirWith({});
  const rows: AppliedMigration[] = [];
  for (let v = 1; v <= APPLIED; v++) {
    const text = `-- ${v}\n${UNPARSEABLE}`;
    writeFileSync(join(dir, `${v}_m${v}.sql`), text);
    rows.push({ version: String(v), name: `m${v}`, checksum: sha256(text), status: 'applied', appliedAt: new Date(), executionTimeMs: 1, errorMessage: null, appliedBy: 'test' });
  }
  writeFileSync(join(dir, `${APPLIED + 1}_pending.sql`), `CREATE TABLE t${APPLIED + 1} (id int);\nINSERT INTO t${APPLIED + 1} VALUES (1);\n`);
  return { dir, rows };
}

// Written once (writing 2,000 files is the slow part) and shared; a test that changes it undoes it.
let dir: string;
let rows: AppliedMigration[];
beforeAll(async () => {
  await loadParser();
  ({ dir, rows } = fixture());
});

describe('Catalog and buildPlan', () => {
  test('applied files are hashed, not parsed: 2,000 unparseable applied files raise no problem', () => {
    const started = performance.now();
    const plan = buildPlan(new Catalog(dir), { exists: true, rows, databaseChecked: true }, { direction: 'up' });
    const ms = performance.now() - started;
    expect(plan.problems).toEqual([]);
    expect(plan.blocked).toBe(false);
    expect(plan.steps.map((s) => s.migration.version)).toEqual([String(APPLIED + 1)]);
    expect(plan.steps[0].statements.map((s) => s.kind)).toEqual(['CreateStmt', 'InsertStmt']);
    expect(plan.currentVersion).toBe(String(APPLIED));
    expect(plan.pendingCount).toBe(1);
    expect(ms).toBeLessThan(5000);
  });

  test('control: the same text pending is parsed and refused with its line', () => {
    const plan = buildPlan(new Catalog(dir), { exists: true, rows: rows.slice(0, -1), databaseChecked: true }, { direction: 'up', allowOutOfOrder: true });
    expect(plan.blocked).toBe(true);
    const problems = plan.problems.filter((p) => p.kind === 'file');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ version: String(APPLIED), line: 2, blocking: true });
    expect(problems[0].message).toMatch(new RegExp(`${APPLIED}_m${APPLIED}\\.sql:2:\\d+: syntax error`));
  });

  test('a changed applied file is still only hashed: reported as modified, not as a syntax error', () => {
    const original = readFileSync(join(dir, '7_m7.sql'));
    writeFileSync(join(dir, '7_m7.sql'), UNPARSEABLE + '-- changed\n');
    try {
      const plan = buildPlan(new Catalog(dir), { exists: true, rows, databaseChecked: true }, { direction: 'up' });
      expect(plan.problems.map((p) => [p.kind, p.version])).toEqual([['modified', '7']]);
      expect(plan.blocked).toBe(true);
    } finally {
      writeFileSync(join(dir, '7_m7.sql'), original);
    }
  });

  test('status-style plans (steps: 0) parse nothing at all, not even pending files', () => {
    const broken = join(dir, `${APPLIED + 2}_broken_pending.sql`);
    writeFileSync(broken, UNPARSEABLE);
    try {
      const plan = buildPlan(new Catalog(dir), { exists: true, rows, databaseChecked: true }, { direction: 'up', steps: 0 });
      expect(plan.steps).toEqual([]);
      expect(plan.problems).toEqual([]);
      expect(plan.pendingCount).toBe(2);
    } finally {
      rmSync(broken);
    }
  });
});

describe('on a real database', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  test('with 2,000 applied migrations and 1 pending, up applies the pending one and parses nothing else', async () => {
    // The tracking tables as a first run creates them, then 2,000 applied rows written directly.
    const init = dirWith({ '0_init.sql': 'SELECT 1;\n' });
    await migrate({ dir: init, databaseUrl: db.url }, { direction: 'up' });
    await db.sql`delete from schema_migrations`;
    await db.sql`
      insert into schema_migrations (version, name, checksum, status, applied_at, execution_time_ms, applied_by)
      select v, n, c, 'applied', now(), 1, 'test'
        from unnest(${rows.map((r) => r.version)}::text[], ${rows.map((r) => r.name)}::text[], ${rows.map((r) => r.checksum)}::text[]) as x(v, n, c)`;
    const historyBefore = (await history(db.sql)).length;

    const started = performance.now();
    const result = await migrate({ dir, databaseUrl: db.url }, { direction: 'up' });
    const ms = performance.now() - started;
    expect(result.status).toBe('applied');
    expect(result.steps.map((s) => s.version)).toEqual([String(APPLIED + 1)]);
    expect(result.currentVersion).toBe(String(APPLIED + 1));
    expect(await userTables(db.sql)).toEqual([`t${APPLIED + 1}`]);
    expect((await appliedVersions(db.sql)).length).toBe(APPLIED + 1);
    expect((await history(db.sql)).length).toBe(historyBefore + 1);
    expect(ms).toBeLessThan(10_000);
  });
});
