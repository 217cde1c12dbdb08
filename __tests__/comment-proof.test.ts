// The PR comment's rendering of what a shadow database proved, in-process with hand-made plans and
// proofs: the Schema changes section, the Verified column and the failed verifications under the table,
// the headline's order, risk and rollback per row, links to the head commit, absolute rule links, and the
// entity-relationship diagram (src/report/er.ts).
import { erDiagram, mermaidType, parseForeignKey } from '../src/report/er';
import { planMarkdown, type MarkdownContext } from '../src/report/markdown';
import type { Difference } from '../src/schema/compare';
import type { ColumnDef, ConstraintDef, SchemaModel, TableDef } from '../src/schema/model';
import type { ShadowProof, Verdict } from '../src/schema/proof';
import type { Finding, MigrationError, Plan, PlannedStep, Section } from '../src/types';

const DIR = '/ws/migrations';

function section(path: string, sql: string, startLine = 2, extra: Partial<Section> = {}): Section {
  return { sql, path, startLine, transaction: true, ...extra };
}

/** A dbmate-form step; `down`: the down SQL, '' for an empty down, undefined for none. */
function step(version: string, name: string, down?: string): PlannedStep {
  const path = `${DIR}/${version}_${name}.sql`;
  const up = section(path, `-- ${name}\nSELECT 1;`);
  const rollback = down === undefined ? undefined : section(path, down, 6, down === '' ? { empty: true } : {});
  return {
    migration: { version, versionKey: [BigInt(version)], name, form: 'dbmate', upPath: path, up, down: rollback, checksum: 'sha256:0' },
    direction: 'up',
    section: up,
    statements: [{ sql: 'SELECT 1', offset: 0, line: 3, column: 1, kind: 'SelectStmt', node: {} }],
    transactional: true,
    rollback,
    notes: [],
  };
}

function plan(steps: PlannedStep[], extra: Partial<Plan> = {}): Plan {
  return {
    direction: 'up',
    steps,
    problems: [],
    applied: [],
    pendingCount: steps.length,
    currentVersion: null,
    trackingExists: true,
    databaseChecked: true,
    blocked: false,
    findings: [],
    ...extra,
  };
}

function finding(version: string, name: string, rule: string, severity: Finding['severity'], line: number, destructive = false): Finding {
  return {
    rule,
    severity,
    message: `${rule} here`,
    path: `${DIR}/${version}_${name}.sql`,
    line,
    column: 1,
    version,
    destructive,
    docs: `https://github.com/pgshift/pgshift/blob/main/docs/rules.md#${rule}`,
  };
}

const col = (name: string, type: string, notNull = false): ColumnDef => ({
  name,
  type,
  notNull,
  default: null,
  identity: null,
  generated: null,
  collation: null,
  comment: null,
  position: 0,
});
const pk = (table: string, cols = 'id'): ConstraintDef => ({
  name: `${table}_pkey`,
  kind: 'primary key',
  definition: `PRIMARY KEY (${cols})`,
  deferrable: false,
  initiallyDeferred: false,
  validated: true,
});
const fk = (name: string, def: string): ConstraintDef => ({ name, kind: 'foreign key', definition: def, deferrable: false, initiallyDeferred: false, validated: true });
function table(name: string, columns: ColumnDef[], constraints: ConstraintDef[] = [], schema = 'public'): TableDef {
  return {
    schema,
    name,
    partitioned: false,
    partitionKey: null,
    partitionOf: null,
    columns,
    constraints,
    indexes: [],
    triggers: [],
    policies: [],
    rowSecurity: { enabled: false, forced: false },
    comment: null,
    privileges: [],
  };
}
function model(tables: TableDef[]): SchemaModel {
  return { serverMajor: 16, schemas: [], extensions: [], types: [], sequences: [], tables, views: [], functions: [] };
}

const users = table('users', [col('id', 'integer', true), col('email', 'character varying(255)'), col('tenant_id', 'integer')], [pk('users')]);
const tasks = table(
  'tasks',
  [col('id', 'bigint', true), col('owner_id', 'integer', true), col('title', 'text', true), col('price', 'numeric(10,2)'), col('due', 'timestamp with time zone')],
  [pk('tasks'), fk('tasks_owner_id_fkey', 'FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE CASCADE')],
);
const comments = table('comments', [col('id', 'integer', true), col('task_id', 'bigint')], [pk('comments'), fk('comments_task_id_fkey', 'FOREIGN KEY (task_id) REFERENCES tasks(id)')]);
const audit = table('audit', [col('id', 'integer', true)], [pk('audit')], 'app');

const CHANGES: Difference[] = [
  { kind: 'table', object: 'tasks', change: 'only-in-b', details: [] },
  { kind: 'table', object: 'legacy', change: 'only-in-a', details: [] },
  { kind: 'column', object: 'users.tenant_id', change: 'only-in-b', details: [], table: 'public.users' },
  { kind: 'column', object: 'users.email', change: 'changed', details: ['nullable → NOT NULL'], table: 'public.users' },
  { kind: 'index', object: 'users_email_idx', change: 'only-in-b', details: [], table: 'public.users' },
  { kind: 'table', object: 'users', change: 'changed', details: ['column order id, email → email, id'], table: 'public.users', note: true },
  { kind: 'type', object: 'mood', change: 'only-in-b', details: [] },
  { kind: 'function', object: 'touch()', change: 'changed', details: ['definition changed'] },
];

const upError = (version: string, name: string): MigrationError => ({
  version,
  name,
  path: `${DIR}/${version}_${name}.sql`,
  direction: 'up',
  line: 3,
  column: 8,
  statementNumber: 1,
  statement: 'SELECT nope',
  excerpt: '3 | SELECT nope',
  code: '42703',
  message: 'column "nope" does not exist',
  outcome: 'rolled-back',
});

function proof(verdicts: Verdict[], changes = CHANGES): ShadowProof {
  return { verdicts, changes, after: model([users, tasks, comments, audit]), shadowMajor: 16, targetMajor: 16 };
}

const HEAD = 'abcdef1234567890abcdef1234567890abcdef12';
const ctx: MarkdownContext = {
  environment: 'staging',
  dir: 'migrations',
  runUrl: 'https://github.test/acme/app/actions/runs/4242',
  commit: { sha: HEAD, url: `https://github.test/acme/app/commit/${HEAD}` },
  ranAt: new Date('2025-03-04T05:06:07Z'),
  fileUrl: (path, line) => (path.startsWith('/ws/') ? `https://github.test/acme/app/blob/${HEAD}/${path.slice(4)}${line ? `#L${line}` : ''}` : undefined),
};

/** The section of `markdown` that starts at `heading`, up to the next heading of that level. */
function sectionOf(markdown: string, heading: string): string {
  const start = markdown.indexOf(heading);
  if (start < 0) return '';
  const next = markdown.indexOf('\n### ', start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}
const tableRows = (md: string) => md.split('\n').filter((l) => /^\| `\d+` \|/.test(l));

describe('Schema changes', () => {
  const p = plan([step('2', 'tasks', 'DROP TABLE tasks;'), step('3', 'users')], { proof: proof([]) });
  const md = planMarkdown(p, ctx);
  const s = sectionOf(md, '### Schema changes');

  test('one line of counts, then one line per table, then the other objects; notes left out', () => {
    const lines = s.split('\n').filter(Boolean);
    expect(lines[1]).toBe('**tables +1 −1 · columns +1 ~1 · indexes +1 · types +1 · functions ~1**');
    expect(lines).toContain('- ➕ **`tasks`** new table: `id` bigint, `owner_id` integer, `title` text, `price` numeric(10,2), `due` timestamp with time zone');
    expect(lines).toContain('- ➖ **`legacy`** removed');
    expect(lines).toContain('- ✏️ **`users`**: + column `tenant_id` integer · ~ column `email`: nullable → NOT NULL · + index `users_email_idx`');
    expect(lines).toContain('- **Types**: + type `mood`');
    expect(lines).toContain('- **Functions**: ~ function `touch()`: definition changed');
    expect(s).not.toContain('column order');
  });

  test('it comes before the SQL, which stays collapsed', () => {
    expect(md.indexOf('### Schema changes')).toBeLessThan(md.indexOf('### Migrations'));
    const details = md.slice(md.indexOf('### Migrations'));
    expect(details).toMatch(/^<details><summary><code>2<\/code> tasks/m);
    expect(details.match(/```sql/g)?.length).toBe((details.match(/<details>/g) ?? []).length * 2 - 1); // 3 has no down
  });

  test('the ER diagram of the added and changed tables and their neighbours, under Schema changes', () => {
    const mermaid = s.slice(s.indexOf('```mermaid'));
    expect(mermaid).toMatch(/^```mermaid\nerDiagram\n/);
    expect(mermaid).toContain('    tasks {\n        bigint id PK\n        integer owner_id FK\n        text title\n        numeric(10_2) price\n        timestamptz due\n    }');
    expect(mermaid).toContain('    users ||--o{ tasks : "owner_id"');
    // comments references tasks: a neighbour; app.audit has nothing to do with the change.
    expect(mermaid).toContain('    tasks |o--o{ comments : "task_id"');
    expect(mermaid).not.toContain('audit');
  });

  test('no schema change says so', () => {
    const none = planMarkdown(plan([step('2', 'backfill', 'SELECT 1;')], { proof: proof([], []) }), ctx);
    expect(sectionOf(none, '### Schema changes')).toContain('✅ No schema changes');
    expect(none).not.toContain('```mermaid');
  });

  test('without a proof there is no such section and no Verified column', () => {
    const bare = planMarkdown(plan([step('2', 'tasks', 'DROP TABLE tasks;')]), ctx);
    expect(bare).not.toContain('### Schema changes');
    expect(bare).toContain('| Version | Name | Statements | Transactional | Risk | Rollback |\n');
  });

  test('a huge change is cut to its budget, with a line saying how many more', () => {
    const many: Difference[] = Array.from({ length: 3000 }, (_, i) => ({ kind: 'table', object: `t${i}`, change: 'only-in-a', details: [] }));
    const text = planMarkdown(plan([step('2', 'drop_all', 'SELECT 1;')], { proof: proof([], many) }), ctx, 60_000);
    expect(text.length).toBeLessThanOrEqual(60_000);
    expect(sectionOf(text, '### Schema changes')).toMatch(/- _… and \d+ more: the full plan is in the run's summary/);
  });
});

describe('the Verified column and failed verifications', () => {
  const verdicts: Verdict[] = [
    { version: '2', name: 'tasks', path: `${DIR}/2_tasks.sql`, verdict: 'verified' },
    {
      version: '3',
      name: 'index',
      path: `${DIR}/3_index.sql`,
      verdict: 'down-mismatch',
      differences: [
        { kind: 'index', object: 'users_email_idx', change: 'only-in-b', details: [], table: 'public.users' },
        { kind: 'column', object: 'users.legacy', change: 'only-in-a', details: [], table: 'public.users' },
      ],
    },
    { version: '4', name: 'broken', path: `${DIR}/4_broken.sql`, verdict: 'up-failed', error: upError('4', 'broken') },
    { version: '5', name: 'later', path: `${DIR}/5_later.sql`, verdict: 'skipped', reason: 'after 4 failed' },
    { version: '6', name: 'nodown', path: `${DIR}/6_nodown.sql`, verdict: 'no-down' },
  ];
  const p = plan([step('2', 'tasks', 'DROP TABLE tasks;'), step('3', 'index', 'SELECT 1;'), step('4', 'broken', ''), step('5', 'later', 'SELECT 1;'), step('6', 'nodown')], {
    proof: proof(verdicts),
  });
  const md = planMarkdown(p, ctx);

  test('each row: ✅ verified, ❌ with the reason, ➖ no down, ⏭️ skipped', () => {
    expect(md).toContain('| Version | Name | Statements | Transactional | Risk | Rollback | Verified |');
    const rows = tableRows(md);
    expect(rows[0]).toMatch(/\| ✅ verified \|$/);
    expect(rows[1]).toMatch(/\| ❌ the down does not restore the schema \(2 differences\) \|$/);
    expect(rows[2]).toMatch(/\| ❌ up failed: column "nope" does not exist \|$/);
    expect(rows[3]).toMatch(/\| ⏭️ skipped \(after 4 failed\) \|$/);
    expect(rows[4]).toMatch(/\| ➖ no down \|$/);
  });

  test('under the table: what failed, linked to its line in the head commit, with the differences worded for a down', () => {
    const under = md.slice(md.indexOf('**Verification failed**'), md.indexOf('### Schema changes'));
    expect(under).toContain(`- \`3\` index: the down does not restore the schema — [\`${'/ws/migrations/3_index.sql'}:6\`](https://github.test/acme/app/blob/${HEAD}/migrations/3_index.sql#L6)`);
    expect(under).toContain('  - index users_email_idx: left behind by the down');
    expect(under).toContain('  - column users.legacy: removed by the down, though the up did not add it');
    expect(under).toContain(
      `- \`4\` broken: up failed: 42703 column "nope" does not exist — [\`/ws/migrations/4_broken.sql:3:8\`](https://github.test/acme/app/blob/${HEAD}/migrations/4_broken.sql#L3)`,
    );
    expect(under).not.toContain('later');
  });

  test('the headline says a verification failed before the count', () => {
    expect(md.split('\n')[0]).toBe('❌ **2 migrations failed verification** in `staging` (`migrations`) — 5 migrations pending');
  });

  test('different majors on the shadow and the target are said', () => {
    const other = planMarkdown(plan([step('2', 'tasks', 'DROP TABLE tasks;')], { proof: { ...proof([verdicts[0]]), targetMajor: 15 } }), ctx);
    expect(other).toContain('> The shadow database runs Postgres 16 and the target Postgres 15');
  });
});

describe('headline, rows and links', () => {
  const steps = [step('2', 'drop_legacy', 'ALTER TABLE users ADD COLUMN legacy text;'), step('3', 'index', ''), step('4', 'tenant')];
  const warn = finding('3', 'index', 'add-index-non-concurrent', 'warning', 3);
  const drop = finding('2', 'drop_legacy', 'drop-column', 'error', 3, true);
  const tenant = finding('4', 'tenant', 'add-column-not-null', 'error', 3);

  test('in order: refused in a protected environment, destructive, failed verification, changed history; then the count', () => {
    const p = plan(steps, {
      findings: [warn, drop, tenant],
      blocked: true,
      applied: [{ version: '1', name: 'base', checksum: 'x', status: 'applied', appliedAt: null, executionTimeMs: null, errorMessage: null, appliedBy: null }],
      problems: [{ kind: 'modified', message: '/ws/migrations/1_base.sql: applied migration 1 was changed after it ran', path: `${DIR}/1_base.sql`, version: '1', blocking: true }],
      proof: proof([{ version: '4', name: 'tenant', path: `${DIR}/4_tenant.sql`, verdict: 'up-failed', error: upError('4', 'tenant') }]),
    });
    const md = planMarkdown(p, { ...ctx, environment: 'production', refused: [drop, tenant], protected: true });
    expect(md.split('\n')[0]).toBe(
      '❌ **Refused in a protected environment: 2 findings the safety policy refuses** in `production` (`migrations`) — also 1 destructive change (drop-column), 1 migration failed verification, applied history changed (1 migration edited after it ran); 3 migrations pending, none will run until it is settled',
    );
    // Without the refusal, destructive comes first; without that, the failed verification; then the history.
    const noRefusal = planMarkdown(p, { ...ctx, protected: false }).split('\n')[0];
    expect(noRefusal).toMatch(
      /^❌ \*\*1 destructive change \(drop-column\)\*\* in `staging` \(`migrations`\) — also 1 migration failed verification, applied history changed .+, the run would be refused; 3 migrations pending/,
    );
    const noDestructive = planMarkdown({ ...p, findings: [warn] }, ctx).split('\n')[0];
    expect(noDestructive).toMatch(/^❌ \*\*1 migration failed verification\*\* .+ — also applied history changed/);
    const historyOnly = planMarkdown({ ...p, findings: [warn], proof: undefined }, ctx).split('\n')[0];
    expect(historyOnly).toBe(
      '❌ **Applied history changed: 1 migration edited after it ran** in `staging` (`migrations`) — the run would be refused; 3 migrations pending, none will run until it is settled',
    );
    const plain = planMarkdown({ ...p, findings: [warn], proof: undefined, problems: [], blocked: false }, ctx).split('\n')[0];
    expect(plain).toBe('📋 **3 migrations pending** in `staging` (`migrations`)');
  });

  test('the commit, the time in UTC and the run, right under the headline', () => {
    const md = planMarkdown(plan(steps), ctx);
    expect(md.split('\n').slice(1, 3)).toEqual([
      '',
      `<sub>commit [\`abcdef1\`](https://github.test/acme/app/commit/${HEAD}) · 2025-03-04 05:06 UTC · [workflow run](https://github.test/acme/app/actions/runs/4242)</sub>`,
    ]);
  });

  test("each row says its risk (the worst finding's severity and rule) and whether it rolls back", () => {
    const md = planMarkdown(plan(steps, { findings: [warn, drop, finding('2', 'drop_legacy', 'lock-timeout', 'warning', 4)] }), ctx);
    const rows = tableRows(md);
    expect(rows[0]).toContain('| 🛑 error: [drop-column](https://github.com/pgshift/pgshift/blob/main/docs/rules.md#drop-column) · destructive (+1) | ↩️ down |');
    expect(rows[1]).toContain('| ⚠️ warning: [add-index-non-concurrent](https://github.com/pgshift/pgshift/blob/main/docs/rules.md#add-index-non-concurrent) | ↩️ no-op (empty down) |');
    expect(rows[2]).toContain('| ✅ none | ⛔ no down |');
  });

  test('findings sorted by severity, each file:line linked to the head commit, each rule by an absolute URL', () => {
    const md = planMarkdown(plan(steps, { findings: [warn, drop, tenant] }), ctx);
    const safety = sectionOf(md, '### Safety')
      .split('\n')
      .filter((l) => /^\| (🛑|⚠️|❌)/.test(l));
    expect(safety.map((l) => l.split(' | ')[1])).toEqual([
      '[drop-column](https://github.com/pgshift/pgshift/blob/main/docs/rules.md#drop-column)',
      '[add-column-not-null](https://github.com/pgshift/pgshift/blob/main/docs/rules.md#add-column-not-null)',
      '[add-index-non-concurrent](https://github.com/pgshift/pgshift/blob/main/docs/rules.md#add-index-non-concurrent)',
    ]);
    expect(safety[0]).toContain(`| [\`/ws/migrations/2_drop_legacy.sql:3\`](https://github.test/acme/app/blob/${HEAD}/migrations/2_drop_legacy.sql#L3) |`);
    expect(md).not.toMatch(/\]\(docs\/rules\.md/);
  });

  test('docsBase still overrides the rules page (an action used from a fork at a ref)', () => {
    const md = planMarkdown(plan(steps, { findings: [drop] }), { ...ctx, docsBase: 'https://github.test/fork/pgshift/blob/v1' });
    expect(md).toContain('[drop-column](https://github.test/fork/pgshift/blob/v1/docs/rules.md#drop-column)');
  });

  test('without a repository, file:line stays plain text', () => {
    const md = planMarkdown(plan(steps, { findings: [drop] }), { environment: 'staging', dir: 'migrations' });
    expect(md).toContain('| `/ws/migrations/2_drop_legacy.sql:3` |');
    expect(md).not.toContain('<sub>');
  });
});

describe('erDiagram', () => {
  test('foreign keys are parsed from pg_get_constraintdef, quoted and qualified names included', () => {
    expect(parseForeignKey('f', 'FOREIGN KEY (owner_id) REFERENCES users(id) ON DELETE CASCADE')).toEqual({ name: 'f', columns: ['owner_id'], references: 'users' });
    expect(parseForeignKey('f', 'FOREIGN KEY (a, "B c") REFERENCES app."Odd Name"(x, y) DEFERRABLE')).toEqual({ name: 'f', columns: ['a', 'B c'], references: 'app."Odd Name"' });
    expect(parseForeignKey('f', 'PRIMARY KEY (id)')).toBeUndefined();
  });

  test('types become one Mermaid word', () => {
    expect(mermaidType('character varying(255)')).toBe('varchar(255)');
    expect(mermaidType('timestamp(3) without time zone')).toBe('timestamp(3)');
    expect(mermaidType('double precision')).toBe('float8');
    expect(mermaidType('numeric(10,2)')).toBe('numeric(10_2)');
    expect(mermaidType('integer[]')).toBe('integer[]');
    expect(mermaidType('"Mood"')).toBe('Mood');
    expect(mermaidType('app.mood')).toBe('app_mood');
  });

  test('other schemas are qualified and quoted; a table of another schema resolves by its qualified name', () => {
    const orders = table('orders', [col('id', 'integer', true), col('audit_id', 'integer', true)], [pk('orders'), fk('o_a', 'FOREIGN KEY (audit_id) REFERENCES app.audit(id)')]);
    const er = erDiagram({ changes: [{ kind: 'table', object: 'orders', change: 'only-in-b', details: [] }], after: model([orders, audit, users]) })!;
    expect(er.tables).toEqual(['orders', 'app.audit']);
    expect(er.mermaid).toContain('    "app.audit" ||--o{ orders : "audit_id"');
    expect(er.leftOut).toBe(0);
  });

  test('capped at 12 tables, changed ones first, saying how many were left out', () => {
    const hub = table('hub', [col('id', 'integer', true)], [pk('hub')]);
    const spokes = Array.from({ length: 20 }, (_, i) =>
      table(`spoke${i}`, [col('id', 'integer', true), col('hub_id', 'integer')], [pk(`spoke${i}`), fk(`s${i}`, 'FOREIGN KEY (hub_id) REFERENCES hub(id)')]),
    );
    const er = erDiagram({ changes: [{ kind: 'column', object: 'hub.name', change: 'only-in-b', details: [], table: 'public.hub' }], after: model([hub, ...spokes]) })!;
    expect(er.tables).toHaveLength(12);
    expect(er.tables[0]).toBe('hub');
    expect(er.leftOut).toBe(9);
    expect(er.mermaid.split('\n').filter((l) => l.includes('--o{'))).toHaveLength(11);
  });

  test('no changed table: no diagram', () => {
    expect(erDiagram({ changes: [{ kind: 'function', object: 'f()', change: 'only-in-b', details: [] }], after: model([users]) })).toBeUndefined();
  });
});
