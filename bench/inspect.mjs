#!/usr/bin/env node
// The schema model's `inspect` on a large schema (issue 11): a 500-table schema with its indexes,
// constraints, functions, triggers, policies and views must be read in under 1 s, with the same number
// of catalog queries at 50 tables as at 500 (one query per kind of object, never one per object).
//
//   node bench/inspect.mjs                 # 50 and 500 tables, 7 runs each; updates bench/results.md
//   node bench/inspect.mjs --tables 50,500,2000 --runs 9
//
// `inspect` is bundled from src/schema with ncc into bench/.work (no dist/ needed), and timed
// in-process (best and median) on new connections and on a warm one. Every query the client sends is counted through
// postgres.js's `debug` hook. The peer is `pg_dump --schema-only` on the same database, timed as a
// process against a process doing what `pgshift dump` does (connect, inspect, render, write a file):
// pg_dump refuses a server newer than itself (Debian's is 15), so when the server is newer, the peer
// runs on a Postgres 15 (the test helper's, when one can be had), or is skipped with the reason.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import postgres from 'postgres';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'bench/.work');
const SCHEMA_BUNDLE = join(work, 'schema/index.js');
const require = createRequire(import.meta.url);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const fmtMs = (ms) => (Number.isFinite(ms) ? (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`) : 'n/a');

/** src/schema bundled with ncc (CommonJS), rebuilt when missing or older than a source file. */
export function loadSchemaModule() {
  const sources = ['src/schema/index.ts', 'src/schema/inspect.ts', 'src/schema/render.ts', 'src/schema/compare.ts', 'src/schema/model.ts', 'src/db/identifiers.ts'].map((f) => join(root, f));
  const { mtimeMs } = existsSync(SCHEMA_BUNDLE) ? statOf(SCHEMA_BUNDLE) : { mtimeMs: 0 };
  if (sources.some((f) => statOf(f).mtimeMs > mtimeMs)) {
    const ncc = join(dirname(require.resolve('@vercel/ncc/package.json')), 'dist/ncc/cli.js');
    execFileSync(process.execPath, [ncc, 'build', join(root, 'src/schema/index.ts'), '-o', dirname(SCHEMA_BUNDLE), '-q'], { cwd: root, stdio: 'inherit' });
  }
  return require(SCHEMA_BUNDLE);
}
function statOf(path) {
  return require('node:fs').statSync(path);
}

/**
 * The schema: `n` tables, each with an identity primary key, a unique pair, a foreign key to the table
 * before it, a check, two indexes (one partial), a comment, row-level security and a policy; a trigger
 * function and trigger on every other table; a view on every fifth; an enum, a domain and a second schema.
 */
export function schemaSql(n) {
  const parts = [
    `create schema app;`,
    `create type status as enum ('new', 'open', 'done');`,
    `create domain positive_amount as numeric(12,2) check (value >= 0);`,
    `create table app.tenants (id int primary key, name text not null);`,
  ];
  for (let i = 1; i <= n; i++) {
    const t = `t_${i}`;
    parts.push(`create table ${t} (
  id bigint generated always as identity primary key,
  tenant int not null references app.tenants(id),
  code varchar(40) not null,
  status status not null default 'new',
  parent_id bigint${i > 1 ? ` references t_${i - 1}(id) on delete cascade` : ''},
  amount positive_amount,
  note text collate "C",
  created_at timestamptz not null default now(),
  unique (tenant, code),
  constraint ${t}_code_check check (code <> '')
);
create index ${t}_created_idx on ${t} (created_at desc) where status <> 'done';
create index ${t}_parent_idx on ${t} (parent_id);
comment on table ${t} is 'table ${i}';
comment on column ${t}.code is 'the code of ${i}';
alter table ${t} enable row level security;
create policy ${t}_tenant on ${t} using (tenant = current_setting('app.tenant')::int) with check (tenant > 0);`);
    if (i % 2 === 0)
      parts.push(`create function ${t}_touch() returns trigger language plpgsql as $$
begin
  new.note := coalesce(new.note, '${t}');
  return new;
end $$;
create trigger ${t}_touch before insert or update on ${t} for each row execute function ${t}_touch();`);
    if (i % 5 === 0) parts.push(`create view ${t}_open as select id, tenant, code from ${t} where status <> 'done';`);
  }
  return parts.join('\n');
}

function databaseUrl(adminUrl, name) {
  const u = new URL(adminUrl);
  u.pathname = '/' + name;
  return u.toString();
}

/** Creates database `name` holding the n-table schema (dropped first when it exists). */
async function build(adminUrl, name, n) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(adminUrl, name);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(schemaSql(n));
    await sql.unsafe('analyze');
  } finally {
    await sql.end();
  }
  return url;
}

async function dropDatabase(adminUrl, name) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
  await admin.end();
}

/** Times `inspect` `runs` times on one open connection; counts the queries of one call. */
async function timeInspect(schema, url, runs) {
  let queries = 0;
  let counting = false;
  const sql = postgres(url, { max: 1, onnotice: () => {}, debug: () => counting && queries++ });
  try {
    await sql`select 1`; // connected before the clock starts
    counting = true;
    const model = await schema.inspect(sql);
    counting = false;
    const times = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await schema.inspect(sql);
      times.push(performance.now() - t0);
    }
    // A new connection is a new backend, whose catalog caches are cold: what `pgshift dump` meets.
    const cold = [];
    for (let r = 0; r < runs; r++) {
      const fresh = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await fresh`select 1`;
        const t0 = performance.now();
        await schema.inspect(fresh);
        cold.push(performance.now() - t0);
      } finally {
        await fresh.end();
      }
    }
    const t0 = performance.now();
    const text = schema.render(model);
    const renderMs = performance.now() - t0;
    return {
      queries,
      best: Math.min(...times),
      median: median(times),
      coldBest: Math.min(...cold),
      coldMedian: median(cold),
      renderMs,
      bytes: Buffer.byteLength(text),
      counts: {
        tables: model.tables.length,
        indexes: model.tables.reduce((s, t) => s + t.indexes.length, 0),
        constraints: model.tables.reduce((s, t) => s + t.constraints.length, 0),
        functions: model.functions.length,
        triggers: model.tables.reduce((s, t) => s + t.triggers.length, 0),
        policies: model.tables.reduce((s, t) => s + t.policies.length, 0),
        views: model.views.length,
      },
    };
  } finally {
    await sql.end();
  }
}

/** A pg_dump that is able to dump this server: its major must be at least the server's. */
function findPgDump(serverMajor) {
  const candidates = ['pg_dump', ...['18', '17', '16', '15'].map((v) => `/usr/lib/postgresql/${v}/bin/pg_dump`)];
  const reasons = [];
  for (const bin of candidates) {
    let version;
    try {
      version = execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      continue;
    }
    const major = Number(version.match(/(\d+)(?:\.\d+)?/)?.[1]);
    if (major >= serverMajor) return { bin, version };
    reasons.push(`${bin} is ${version}`);
  }
  return { reason: reasons.length ? `${reasons[0]}, which refuses a Postgres ${serverMajor} server` : 'no pg_dump on PATH' };
}

function measure(cmd, env) {
  const out = execFileSync('python3', [join(root, 'bench/measure.py'), ...cmd], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const r = JSON.parse(out);
  if (r.code !== 0) throw new Error(`${cmd.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return { ms: r.wall * 1000, rssMb: r.maxrss_kb / 1024 };
}

/** pgshift's side of the peer race, as a process: connect, inspect, render, write the file. */
const DUMP_SCRIPT = `
const postgres = require(${JSON.stringify(require.resolve('postgres'))});
const schema = require(${JSON.stringify(SCHEMA_BUNDLE)});
const sql = postgres(process.env.BENCH_URL, { max: 1, onnotice: () => {} });
schema.inspect(sql).then((m) => require('node:fs').writeFileSync(process.env.BENCH_OUT, schema.render(m))).finally(() => sql.end());
`;

/** pg_dump --schema-only against connect + inspect + render, both as processes, on the server at `adminUrl`. */
async function peerRace(adminUrl, n, runs, pgDump, label, say) {
  const name = `bench_inspect_peer_${n}`;
  const url = await build(adminUrl, name, n);
  try {
    mkdirSync(work, { recursive: true });
    const script = join(work, 'inspect-dump.cjs');
    writeFileSync(script, DUMP_SCRIPT);
    const ours = [];
    const theirs = [];
    for (let r = 0; r < runs; r++) {
      ours.push(measure(['node', script], { BENCH_URL: url, BENCH_OUT: join(work, 'inspect-dump.sql') }));
      theirs.push(measure([pgDump.bin, '--schema-only', '--no-owner', '--no-privileges', '-f', join(work, 'pg_dump.sql'), '-d', url], {}));
    }
    const a = median(ours.map((x) => x.ms));
    const b = median(theirs.map((x) => x.ms));
    say(`| ${n} | ${label} | pgshift (node: connect, inspect, render, write) | ${fmtMs(a)} | ${(a / b).toFixed(2)}× |`);
    say(`| ${n} | ${label} | pg_dump --schema-only (${pgDump.version.replace(/^pg_dump \(PostgreSQL\) /, '')}) | ${fmtMs(b)} | 1.00× |`);
    const inProcess = await timeInspect(loadSchemaModule(), url, runs);
    say(`| ${n} | ${label} | pgshift inspect alone, in-process on a new connection (${inProcess.queries} queries) | ${fmtMs(inProcess.coldMedian)} | ${(inProcess.coldMedian / b).toFixed(2)}× |`);
    return a / b;
  } finally {
    await dropDatabase(adminUrl, name);
  }
}

/**
 * The workload: prints its Markdown through `say` and returns the targets as [label, ok, detail].
 * `peer15` (optional) starts a Postgres 15 for the pg_dump peer when the server is newer than pg_dump.
 */
export async function benchInspect({ adminUrl, sizes = [50, 500], runs = 7, say, peer15 }) {
  const schema = loadSchemaModule();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const serverMajor = Math.floor(Number((await admin`show server_version_num`)[0].server_version_num) / 10000);
  const version = (await admin`show server_version`)[0].server_version;
  await admin.end();
  const results = {};
  say('## Inspect (schema model)');
  say();
  say(
    `\`inspect\` of the schema in bench/inspect.mjs (per table: identity key, unique pair, two foreign keys, a check, two indexes, comments, RLS and a policy; a trigger function and trigger on every other table, a view on every fifth), Postgres ${version}, in-process, ${runs} runs each on a new connection (a new backend, its catalog caches cold, as \`pgshift dump\` meets it) and on a warm one; connecting is not timed. Load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores at the start:`,
  );
  say();
  say('| tables (+ app.tenants) | indexes | constraints | functions | triggers | policies | views | catalog queries | new connection: best / median | warm connection: best / median | render |');
  say('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const n of sizes) {
    const name = `bench_inspect_${n}`;
    const url = await build(adminUrl, name, n);
    try {
      const r = (results[n] = await timeInspect(schema, url, runs));
      const c = r.counts;
      say(
        `| ${n} | ${c.indexes} | ${c.constraints} | ${c.functions} | ${c.triggers} | ${c.policies} | ${c.views} | ${r.queries} | ${fmtMs(r.coldBest)} / ${fmtMs(r.coldMedian)} | ${fmtMs(r.best)} / ${fmtMs(r.median)} | ${fmtMs(r.renderMs)} (${(r.bytes / 1024).toFixed(0)} KB) |`,
      );
    } finally {
      await dropDatabase(adminUrl, name);
    }
  }
  const counts = sizes.map((n) => results[n].queries);
  const constant = counts.every((q) => q === counts[0]);
  say();
  say(
    constant
      ? `Catalog queries: ${counts[0]} for every size (${sizes.join(', ')} tables): one per kind of object plus BEGIN/COMMIT of the snapshot, never one per object.`
      : `Catalog queries differ between sizes: ${sizes.map((n, i) => `${n} tables → ${counts[i]}`).join(', ')}.`,
  );

  // The peer: pg_dump --schema-only of the same database.
  say();
  say('### Against pg_dump --schema-only');
  say();
  const big = Math.max(...sizes);
  let peerRatio;
  const direct = findPgDump(serverMajor);
  if (direct.bin) {
    say('| tables | server | command | time (median) | ÷ pg_dump |');
    say('| ---: | --- | --- | ---: | ---: |');
    peerRatio = await peerRace(adminUrl, big, Math.min(runs, 5), direct, `Postgres ${version}`, say);
  } else {
    const older = findPgDump(15);
    const pg15 = older.bin && peer15 ? await peer15() : undefined;
    if (pg15) {
      say(
        `The server is Postgres ${version}; ${direct.reason}. The peer race runs on a Postgres 15 server instead (the tests' \`startPostgres15()\`), with ${older.version.replace(/^pg_dump \(PostgreSQL\) /, 'pg_dump ')}:`,
      );
      say();
      say('| tables | server | command | time (median) | ÷ pg_dump |');
      say('| ---: | --- | --- | ---: | ---: |');
      try {
        const a15 = postgres(pg15.url, { max: 1, onnotice: () => {} });
        const v15 = (await a15`show server_version`)[0].server_version;
        await a15.end();
        peerRatio = await peerRace(pg15.url, big, Math.min(runs, 5), older, `Postgres ${v15}`, say);
      } finally {
        await pg15.stop();
      }
    } else say(`Skipped: the server is Postgres ${version} and ${direct.reason}${older.bin ? ', and no Postgres 15 server could be started for it' : ''}.`);
  }
  say();
  return [
    [
      `inspect ${big} tables < 1 s (new connection)`,
      results[big].coldMedian < 1000,
      `${fmtMs(results[big].coldMedian)} median, ${fmtMs(results[big].coldBest)} best (warm: ${fmtMs(results[big].median)})`,
    ],
    ['inspect catalog queries constant', constant, sizes.map((n, i) => `${n} → ${counts[i]}`).join(', ')],
    ...(peerRatio === undefined ? [] : [[`inspect + render ${big} tables vs pg_dump --schema-only`, undefined, `${peerRatio.toFixed(2)}×`]]),
  ];
}

/** Replaces the Inspect section of bench/results.md (between its markers), or appends it. */
export function writeSection(lines) {
  const file = join(root, 'bench/results.md');
  const start = '<!-- bench:inspect:start -->';
  const end = '<!-- bench:inspect:end -->';
  const section = `${start}\n${lines.join('\n')}\n${end}`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const i = old.indexOf(start);
  const j = old.indexOf(end);
  const text = i >= 0 && j > i ? old.slice(0, i) + section + old.slice(j + end.length) : `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, text);
}

async function main() {
  const args = Object.fromEntries(
    process.argv
      .slice(2)
      .map((a, i, all) => (a.startsWith('--') ? [a.slice(2), all[i + 1]] : null))
      .filter(Boolean),
  );
  const sizes = (args.tables ?? '50,500').split(',').map(Number);
  const runs = Number(args.runs ?? 7);
  const { startPostgres } = await import('../scripts/embedded-pg.mjs');
  const { startPostgres15 } = await import('../scripts/embedded-pg15.mjs');
  const pg = await startPostgres();
  const lines = [];
  const say = (l = '') => {
    lines.push(l);
    process.stdout.write(l + '\n');
  };
  try {
    say(`<!-- measured with: node bench/inspect.mjs${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''} · ${new Date().toISOString()} -->`);
    const targets = await benchInspect({ adminUrl: pg.url, sizes, runs, say, peer15: startPostgres15 });
    say('| target | measured | met |');
    say('| --- | --- | --- |');
    for (const [label, ok, detail] of targets) say(`| ${label} | ${detail} | ${ok === undefined ? 'n/a' : ok ? '✅' : '❌'} |`);
    writeSection(lines);
    process.stderr.write('\nwritten to bench/results.md (its Inspect section)\n');
  } finally {
    await pg.stop();
  }
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  main().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
