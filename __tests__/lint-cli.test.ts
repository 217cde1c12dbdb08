import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers/db';
import { runLint } from '../src/cli/lint-command';
import { ConfigError } from '../src/errors';
import { loadLintConfig } from '../src/lint/config';
import type { Finding } from '../src/types';

function dir(files: Record<string, string>): string {
  const d = tempDir('pgshift-lint-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), text);
  }
  return d;
}

async function run(paths: string[], opts: { json?: boolean; config?: string } = {}): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runLint(paths, { json: opts.json ?? false, config: opts.config, out: (s) => lines.push(s) });
  return { code, lines };
}

describe('runLint', () => {
  test('a directory is one batch in version order, across file forms; errors exit 1', async () => {
    const d = dir({
      '1_users.sql': '-- migrate:up\nCREATE TABLE users (id int, email text);\n-- migrate:down\nDROP TABLE users;\n',
      '2_index.up.sql': 'CREATE INDEX users_email_idx ON users (email);\n',
      '2_index.down.sql': 'DROP INDEX users_email_idx;\n',
      'V3__cleanup.sql': '-- old stuff\nDROP TABLE legacy;\nCREATE INDEX ON orders (id);\n',
    });
    const { code, lines } = await run([d]);
    expect(lines).toEqual([
      expect.stringMatching(/V3__cleanup\.sql:2:1 {2}error {2}drop-table {2}DROP TABLE legacy: deletes the table/),
      expect.stringMatching(/V3__cleanup\.sql:3:1 {2}warning {2}index-without-concurrently {2}CREATE INDEX ON orders: /),
      '1 error, 1 warning',
    ]);
    expect(code).toBe(1);
  });

  test('warnings alone exit 0; a clean batch says "no findings"', async () => {
    const warn = await run([dir({ '1_a.sql': '-- migrate:up\nCREATE INDEX ON orders (id);\n' })]);
    expect(warn.code).toBe(0);
    expect(warn.lines.at(-1)).toBe('0 errors, 1 warning');
    const clean = await run([dir({ '1_a.sql': '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n' })]);
    expect(clean).toEqual({ code: 0, lines: ['no findings'] });
  });

  test('--json prints the findings as one JSON array, nothing else', async () => {
    const d = dir({ '20240101000000_drop.sql': '-- migrate:up\n-- bye\nDROP TABLE legacy;\n' });
    const { code, lines } = await run([d], { json: true });
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    const findings = JSON.parse(lines[0]) as Finding[];
    expect(findings).toEqual([
      {
        rule: 'drop-table',
        severity: 'error',
        message: expect.stringContaining('DROP TABLE legacy'),
        path: join(d, '20240101000000_drop.sql'),
        line: 3,
        column: 1,
        version: '20240101000000',
        destructive: true,
        docs: 'https://github.com/pgshift/pgshift/blob/main/docs/rules.md#drop-table',
      },
    ]);
    expect(JSON.parse((await run([dir({ '1_a.sql': 'SELECT 1;\n' })], { json: true })).lines[0])).toEqual([]);
  });

  test('a single migration file is read in its form: dbmate lines, its version, its down left alone', async () => {
    const d = dir({ '7_x.sql': '-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\nALTER TABLE t ADD COLUMN b int;\n-- migrate:down\nDROP TABLE t;\n' });
    const { code, lines } = await run([join(d, '7_x.sql')], { json: true });
    expect(code).toBe(0);
    expect((JSON.parse(lines[0]) as Finding[]).map((f) => [f.rule, f.line, f.version])).toEqual([['mixed-no-transaction', 3, '7']]);
  });

  test('a file named like no migration is linted whole, as a transactional up section', async () => {
    const d = dir({ 'adhoc.sql': '-- checks\nCREATE INDEX CONCURRENTLY i ON t (a);\n' });
    const { code, lines } = await run([join(d, 'adhoc.sql')], { json: true });
    expect(code).toBe(1);
    expect((JSON.parse(lines[0]) as Finding[]).map((f) => [f.rule, f.line, f.version])).toEqual([['concurrently-in-transaction', 2, '']]);
  });

  test('an ignore above "-- migrate:up" covers the whole file', async () => {
    const d = dir({ '1_a.sql': '-- pgshift:ignore drop-table, truncate\n-- migrate:up\nDROP TABLE a;\nTRUNCATE b;\nDELETE FROM c;\n' });
    const { lines } = await run([d], { json: true });
    expect((JSON.parse(lines[0]) as Finding[]).map((f) => [f.rule, f.line])).toEqual([['delete-without-where', 5]]);
  });

  test('files pgshift cannot use are invalid-file errors; the rest is still linted', async () => {
    const d = dir({
      '1_empty.sql': '-- migrate:up\n\n-- migrate:down\n',
      '2_bad.up.sql': '-- pgshift:transaction-off\nSELECT 1;\n',
      '3_ok.sql': 'TRUNCATE t;\n',
      '3_dup.sql': 'SELECT 1;\n',
    });
    const { code, lines } = await run([d], { json: true });
    expect(code).toBe(1);
    const found = (JSON.parse(lines[0]) as Finding[]).map((f) => [f.rule, f.path.replace(`${d}/`, ''), f.line]);
    expect(found).toEqual(
      expect.arrayContaining([
        ['invalid-file', '1_empty.sql', 1],
        ['invalid-file', '2_bad.up.sql', 1],
        ['invalid-file', expect.stringMatching(/^3_(ok|dup)\.sql$/), 1],
        ['truncate', '3_ok.sql', 1],
      ]),
    );
    expect(found).toHaveLength(4);
  });

  test('the config file changes severities and the exit code', async () => {
    const d = dir({ 'm/1_a.sql': 'DROP TABLE a;\n', 'lint.json': '{"lint": {"rules": {"drop-table": "warning"}}}' });
    const { code, lines } = await run([join(d, 'm')], { config: join(d, 'lint.json') });
    expect(lines).toEqual([expect.stringContaining('  warning  drop-table  '), '0 errors, 1 warning']);
    expect(code).toBe(0);
  });

  test('a path that does not exist, no path at all, or a bad config is a ConfigError', async () => {
    await expect(run(['/nonexistent/migrations'])).rejects.toThrow(ConfigError);
    await expect(run(['/nonexistent/migrations'])).rejects.toThrow('/nonexistent/migrations does not exist: pass a migration file or a migrations directory.');
    await expect(run([])).rejects.toThrow(ConfigError);
    const d = dir({ '1_a.sql': 'SELECT 1;\n', 'bad.json': '{"lint": {"rules": {"drop-tabel": "off"}}}' });
    await expect(run([d], { config: join(d, 'bad.json') })).rejects.toThrow(ConfigError);
  });
});

describe('loadLintConfig', () => {
  test('no pgshift.json: the defaults; a pgshift.json: its rules', () => {
    expect(loadLintConfig(undefined, dir({}))).toEqual({ rules: {} });
    const d = dir({ 'pgshift.json': JSON.stringify({ other: { x: 1 }, lint: { rules: { 'drop-table': 'off', 'rename-column': 'error' } } }) });
    expect(loadLintConfig(undefined, d)).toEqual({ rules: { 'drop-table': 'off', 'rename-column': 'error' } });
    expect(loadLintConfig('pgshift.json', d)).toEqual({ rules: { 'drop-table': 'off', 'rename-column': 'error' } });
    expect(loadLintConfig(undefined, dir({ 'pgshift.json': '{"other": 1}' }))).toEqual({ rules: {} });
  });

  test.each([
    ['a missing --config file', undefined, 'missing.json', /missing\.json does not exist: check the path given with --config/],
    ['bad JSON', '{"lint": ', 'pgshift.json', /pgshift\.json is not valid JSON .*: fix it/],
    ['not an object', '[1]', 'pgshift.json', /must hold a JSON object/],
    ['lint not an object', '{"lint": true}', 'pgshift.json', /"lint" must be an object/],
    ['an unknown lint key', '{"lint": {"rule": {}}}', 'pgshift.json', /unknown key "lint\.rule"\. The lint section takes "rules" only/],
    [
      'an unknown rule id',
      '{"lint": {"rules": {"drop-tabel": "off"}}}',
      'pgshift.json',
      /unknown lint rule "drop-tabel" in lint\.rules\. Did you mean "drop-table"\? The rule ids are listed in docs\/rules\.md/,
    ],
    ['a bad severity', '{"lint": {"rules": {"drop-table": "warn"}}}', 'pgshift.json', /lint\.rules\["drop-table"\] is "warn"; use "error", "warning" or "off"/],
    ['a rule that cannot be changed', '{"lint": {"rules": {"syntax-error": "off"}}}', 'pgshift.json', /lint\.rules\["syntax-error"\] cannot be set/],
  ])('%s is a ConfigError naming the file and the fix', (_, text, name, message) => {
    const d = dir(text === undefined ? {} : { [name]: text });
    let err: unknown;
    try {
      loadLintConfig(name, d);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(join(d, name));
    expect((err as Error).message).toMatch(message);
  });
});

describe('runLint on single files', () => {
  test('down and undo files are skipped, as down sections are in a directory; an orphan down file is invalid', async () => {
    const d = dir({ '2_a.up.sql': 'CREATE TABLE a (id int);\n', '2_a.down.sql': 'DROP TABLE a;\n', 'V3__b.sql': 'SELECT 1;\n', 'U3__b.sql': 'DROP TABLE b;\n', '4_c.down.sql': 'DROP TABLE c;\n' });
    expect(await run(['2_a.up.sql', '2_a.down.sql', 'V3__b.sql', 'U3__b.sql'].map((f) => join(d, f)))).toEqual({ code: 0, lines: ['no findings'] });
    const orphan = await run([join(d, '4_c.down.sql')], { json: true });
    expect((JSON.parse(orphan.lines[0]) as Finding[]).map((f) => [f.rule, f.message])).toEqual([['invalid-file', expect.stringContaining('a down migration with no up migration')]]);
    expect(orphan.code).toBe(1);
  });

  test('several files are one batch, and a file given twice is linted once', async () => {
    const d = dir({ '1_t.sql': 'CREATE TABLE t (a int);\n', '2_i.sql': 'CREATE INDEX ON t (a);\nDROP TABLE old;\n' });
    const { lines } = await run([join(d, '1_t.sql'), join(d, '2_i.sql'), d], { json: true });
    expect((JSON.parse(lines[0]) as Finding[]).map((f) => [f.rule, f.version, f.line])).toEqual([['drop-table', '2', 2]]);
  });
});
