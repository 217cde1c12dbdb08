// File forms, numeric ordering, checksums, unmatched names and `new`: against the real Postgres,
// through the built CLI, judged by what lands in the database.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, tempDir, type TestDatabase } from './helpers/db';
import { appliedVersions, cli, dirWith, history, sha256, trackingTables, userTables } from './helpers/files';

let db: TestDatabase;
beforeEach(async () => {
  db = await createDatabase();
});
afterEach(async () => {
  await db.drop();
});

async function indexExists(name: string): Promise<boolean> {
  const [{ t }] = await db.sql`select to_regclass(${name}) is not null as t`;
  return t as boolean;
}

describe('file forms', () => {
  const files = {
    '1_dbmate.sql': '-- migrate:up\nCREATE TABLE dbm (id int);\n\n-- migrate:down\nDROP TABLE dbm;\n',
    // CREATE INDEX CONCURRENTLY fails inside a transaction: it applies only if the header is honoured.
    '2_dbmate_notx.sql': '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY dbm_id ON dbm (id);\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY dbm_id;\n',
    '3_pair.up.sql': 'CREATE TABLE pair (id int);\n',
    '3_pair.down.sql': 'DROP TABLE pair;\n',
    'V4__flyway.sql': 'CREATE TABLE fly (id int);\n',
    'U4__flyway.sql': 'DROP TABLE fly;\n',
    'V4.1__dotted.sql': 'CREATE TABLE fly_dotted (id int);\n',
    'V4_2__underscored.sql': 'CREATE TABLE fly_underscored (id int);\n',
    '5_plain.sql': 'CREATE TABLE plain (id int);\n-- no markers: the whole file is the up migration\nINSERT INTO plain VALUES (5);\n',
  };

  test('every form in one directory is planned with its form, sections and transaction mode, then applied', async () => {
    const dir = dirWith(files);
    const planned = await cli(['plan', '--json'], dir, db);
    expect(planned.code).toBe(0);
    const p = JSON.parse(planned.stdout);
    const byVersion = Object.fromEntries(
      p.steps.map((s: any) => [s.migration.version, { form: s.migration.form, tx: s.transactional, n: s.statements.length, rollback: s.rollback?.sql.trim() ?? null }]),
    );
    expect(byVersion).toEqual({
      '1': { form: 'dbmate', tx: true, n: 1, rollback: 'DROP TABLE dbm;' },
      '2': { form: 'dbmate', tx: false, n: 1, rollback: 'DROP INDEX CONCURRENTLY dbm_id;' },
      '3': { form: 'pair', tx: true, n: 1, rollback: 'DROP TABLE pair;' },
      '4': { form: 'flyway', tx: true, n: 1, rollback: 'DROP TABLE fly;' },
      '4.1': { form: 'flyway', tx: true, n: 1, rollback: null },
      '4_2': { form: 'flyway', tx: true, n: 1, rollback: null },
      '5': { form: 'plain', tx: true, n: 2, rollback: null },
    });

    const up = await cli(['up'], dir, db);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['dbm', 'fly', 'fly_dotted', 'fly_underscored', 'pair', 'plain']);
    expect(await indexExists('dbm_id')).toBe(true);
    expect(await db.sql`select id from plain`).toEqual([{ id: 5 }]);
    expect((await history(db.sql)).map((h) => [h.version, h.action, h.status])).toEqual(['1', '2', '3', '4', '4.1', '4_2', '5'].map((v) => [v, 'apply', 'success']));
    expect((await appliedVersions(db.sql)).every((r) => r.status === 'applied')).toBe(true);
  });

  test('a plain file has no down: "down" is refused (exit 3) and nothing is rolled back', async () => {
    const dir = dirWith(files);
    expect((await cli(['up'], dir, db)).code).toBe(0);
    const before = await history(db.sql);

    const down = await cli(['down'], dir, db);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/5_plain\.sql: migration 5 has no down at all, so it cannot be rolled back/);
    expect(await userTables(db.sql)).toContain('plain');
    expect(await history(db.sql)).toEqual(before);

    const plan = await cli(['plan', 'down'], dir, db);
    expect(plan.code).toBe(3);
    expect(plan.stdout).toMatch(/^No migration can be rolled back until the problems below are fixed\.$/m);
    expect(plan.stdout).not.toMatch(/Nothing to roll back/);
    expect(plan.stdout).toMatch(/Problems \(the run would be refused\):\n.*5_plain\.sql: migration 5 has no down at all/);
  });

  test('the down section of each form rolls back, newest first', async () => {
    const dir = dirWith({
      '1_dbmate.sql': files['1_dbmate.sql'],
      '2_dbmate_notx.sql': files['2_dbmate_notx.sql'],
      '3_pair.up.sql': files['3_pair.up.sql'],
      '3_pair.down.sql': files['3_pair.down.sql'],
      'V4__flyway.sql': files['V4__flyway.sql'],
      'U4__flyway.sql': files['U4__flyway.sql'],
    });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['dbm', 'fly', 'pair']);

    const down = await cli(['down', '--target', '0'], dir, db);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(await userTables(db.sql)).toEqual([]);
    expect(await indexExists('dbm_id')).toBe(false);
    expect(await appliedVersions(db.sql)).toEqual([]);
    const rollbacks = (await history(db.sql)).filter((h) => h.action === 'rollback');
    expect(rollbacks.map((h) => h.version)).toEqual(['4', '3', '2', '1']);
  });
});

describe('numeric ordering', () => {
  test('2_ runs before 10_ and 9_, by the order migration_history records', async () => {
    const dir = dirWith({
      '10_ten.sql': "INSERT INTO seen (v) VALUES ('10');\n",
      '9_nine.sql': "INSERT INTO seen (v) VALUES ('9');\n",
      '2_two.sql': "INSERT INTO seen (v) VALUES ('2');\n",
      '1_seen.sql': 'CREATE TABLE seen (id serial PRIMARY KEY, v text);\n',
    });
    // String order would put 10 before 2 and 9; the file names are listed here in that order too.
    expect(readdirSync(dir).sort()).toEqual(['10_ten.sql', '1_seen.sql', '2_two.sql', '9_nine.sql']);
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(0);
    expect((await history(db.sql)).map((h) => h.version)).toEqual(['1', '2', '9', '10']);
    expect((await db.sql`select v from seen order by id`).map((r) => r.v)).toEqual(['2', '9', '10']);
  });

  test('Flyway 1.9 runs before 1.10 (part by part), with mixed separators', async () => {
    const dir = dirWith({
      'V1__seen.sql': 'CREATE TABLE seen (id serial PRIMARY KEY, v text);\n',
      'V1.10__ten.sql': "INSERT INTO seen (v) VALUES ('1.10');\n",
      'V1.9__nine.sql': "INSERT INTO seen (v) VALUES ('1.9');\n",
      'V1_11__eleven.sql': "INSERT INTO seen (v) VALUES ('1_11');\n",
      'V1.2__two.sql': "INSERT INTO seen (v) VALUES ('1.2');\n",
      'V2__two.sql': "INSERT INTO seen (v) VALUES ('2');\n",
    });
    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(0);
    expect((await history(db.sql)).map((h) => h.version)).toEqual(['1', '1.2', '1.9', '1.10', '1_11', '2']);
    expect((await db.sql`select v from seen order by id`).map((r) => r.v)).toEqual(['1.2', '1.9', '1.10', '1_11', '2']);
  });
});

describe('checksums', () => {
  test('stored as sha256:<hex> of the up section; a CRLF + BOM rewrite of applied files is not a change', async () => {
    const plain = 'CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);\n';
    const dbmateUp = 'CREATE TABLE b (id int);\n';
    const dir = dirWith({
      '1_plain.sql': plain,
      '2_dbmate.sql': `-- migrate:up\n${dbmateUp}-- migrate:down\nDROP TABLE b;\n`,
      '3_pair.up.sql': 'CREATE TABLE c (id int);\n',
      '3_pair.down.sql': 'DROP TABLE c;\n',
    });
    expect((await cli(['up'], dir, db)).code).toBe(0);
    const rows = await appliedVersions(db.sql);
    for (const r of rows) expect(r.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
    // A dbmate up section is the lines between the markers (so no final newline); other forms hash the whole file.
    expect(rows.map((r) => r.checksum)).toEqual([sha256(plain), sha256(dbmateUp.trimEnd()), sha256('CREATE TABLE c (id int);\n')]);
    const historyBefore = await history(db.sql);

    // What a Windows checkout or editor does to the files.
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8');
      writeFileSync(join(dir, name), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8')]));
    }
    expect(readFileSync(join(dir, '1_plain.sql'))[0]).toBe(0xef);
    expect(readFileSync(join(dir, '1_plain.sql'), 'utf8')).toContain('\r\n');

    const status = await cli(['status', '--json'], dir, db);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.entries.map((e: any) => [e.version, e.state])).toEqual([
      ['1', 'applied'],
      ['2', 'applied'],
      ['3', 'applied'],
    ]);
    expect(s.problems).toEqual([]);

    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(up.stderr).toBe('');
    expect(up.stdout).toMatch(/Up to date at 3: nothing to apply\./);
    expect(await history(db.sql)).toEqual(historyBefore);

    // Control: a real change of the up section is seen.
    writeFileSync(join(dir, '1_plain.sql'), plain.replace('id int', 'id bigint'));
    const changed = JSON.parse((await cli(['status', '--json'], dir, db)).stdout);
    expect(changed.entries[0].state).toBe('modified');
  });
});

describe('files that match no form', () => {
  test('are warned about in plan and in up, not silently skipped, and do not stop the run', async () => {
    const dir = dirWith({
      'create_users.sql': 'CREATE TABLE users_never (id int);\n',
      'notes.txt': 'not SQL, not a migration, not worth a warning',
      '1_real.sql': 'CREATE TABLE real_table (id int);\n',
    });
    const plan = await cli(['plan'], dir, db);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/Warnings:/);
    expect(plan.stdout).toMatch(/1 \.sql file ignored, not named as migrations, so it does not run: create_users\.sql\. A migration is named <version>_<name>\.sql/);
    expect(plan.stdout).not.toMatch(/notes\.txt/);

    const json = JSON.parse((await cli(['plan', '--json'], dir, db)).stdout);
    expect(json.problems.map((p: any) => [p.kind, p.blocking, p.path.split('/').pop()]).sort()).toEqual([['unmatched', false, 'migrations']]);

    const up = await cli(['up'], dir, db);
    expect(up.code).toBe(0);
    expect(up.stderr).toMatch(/^warning: .*1 \.sql file ignored, not named as migrations, so it does not run: create_users\.sql\./m);
    expect(await userTables(db.sql)).toEqual(['real_table']);
    expect((await history(db.sql)).map((h) => h.version)).toEqual(['1']);
  });
});

describe('new', () => {
  test('writes <UTC yyyymmddhhmmss>_<name>.sql with both sections into --dir, ready to fill in', async () => {
    const dir = join(tempDir('pgshift-new-'), 'nested', 'migrations');
    const before = new Date();
    const run = await cli(['new', 'Add', 'users', 'email'], dir);
    const after = new Date();
    expect(run.code).toBe(0);
    const [name, ...others] = readdirSync(dir);
    expect(others).toEqual([]);
    expect(name).toMatch(/^\d{14}_add_users_email\.sql$/);
    const stamp = name.slice(0, 14);
    const utc = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
    expect(stamp >= utc(new Date(before.getTime() - 1000)) && stamp <= utc(after)).toBe(true);
    expect(run.stdout).toContain(name);
    const text = readFileSync(join(dir, name), 'utf8');
    expect(text).toMatch(/^-- migrate:up\n[\s\S]*\n-- migrate:down\n/);

    // An untouched file is refused (empty up); filled in, it applies and rolls back.
    const empty = await cli(['up'], dir, db);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toContain(`${name}:1: the up migration is empty`);
    expect(await trackingTables(db.sql)).toEqual([]);
    writeFileSync(join(dir, name), text.replace('-- migrate:up\n', '-- migrate:up\nCREATE TABLE fresh (id int);\n').replace('-- migrate:down\n', '-- migrate:down\nDROP TABLE fresh;\n'));
    expect((await cli(['up'], dir, db)).code).toBe(0);
    expect(await userTables(db.sql)).toEqual(['fresh']);
    expect((await cli(['down'], dir, db)).code).toBe(0);
    expect(await userTables(db.sql)).toEqual([]);
  });

  test('a name with nothing usable is a usage error (exit 2) and writes nothing', async () => {
    const dir = join(tempDir('pgshift-new-'), 'm');
    const run = await cli(['new', '!!!'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a usable migration name/);
    expect(existsSync(dir)).toBe(false);
  });
});
