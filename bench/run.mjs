#!/usr/bin/env node
// pgshift against its peers, on the same Postgres, in the same run. Absolute times on shared machines
// are noisy; the ratios (pgshift ÷ peer, pgshift ÷ floor) are the result.
//
//   npm run bench                      # N = 100, 1000, 10000; 3 runs each
//   node bench/run.mjs --sizes 100,1000 --runs 5 --tools pgshift,dbmate,floor
//   node bench/inspect.mjs             # only the schema model's inspect (50 and 500 tables)
//
// Each command is timed in its own process through bench/measure.py, which reports wall time and
// the peak resident memory of that process (getrusage of the child).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { startPostgres } from '../scripts/embedded-pg.mjs';
import { startPostgres15 } from '../scripts/embedded-pg15.mjs';
import { benchInspect } from './inspect.mjs';
import { writeMixedSql } from './lint-sql.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(root, 'bench/.work');
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .map((a, i, all) => (a.startsWith('--') ? [a.slice(2), all[i + 1]] : null))
    .filter(Boolean),
);
const sizes = (args.sizes ?? '100,1000,10000').split(',').map(Number);
const runs = Number(args.runs ?? 3);
const tools = (args.tools ?? 'pgshift,dbmate,node-pg-migrate,floor').split(',');
/** At 10,000 only pgshift, the floor and the fastest peer run, to bound the time. */
const BIG = 10_000;
const BIG_TOOLS = new Set(['pgshift', 'dbmate', 'floor']);

const CLI = join(root, 'dist/cli/index.js');
const DBMATE = join(root, 'node_modules/@dbmate/linux-x64/bin/dbmate');
const NPM_MIGRATE = join(root, 'node_modules/node-pg-migrate/bin/node-pg-migrate.js');
const FLOOR = join(root, 'bench/floor.mjs');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

function measure(cmd, env, okCodes = [0]) {
  const out = execFileSync('python3', [join(root, 'bench/measure.py'), ...cmd], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const r = JSON.parse(out);
  if (!okCodes.includes(r.code)) throw new Error(`${cmd.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return { ms: r.wall * 1000, rssMb: r.maxrss_kb / 1024 };
}

function generate(n) {
  const dir = join(work, `n${n}`);
  const dbmateDir = join(dir, 'dbmate');
  const npmDir = join(dir, 'npm');
  if (existsSync(join(dir, 'done'))) return { dbmateDir, npmDir };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dbmateDir, { recursive: true });
  mkdirSync(npmDir, { recursive: true });
  const width = String(n + 1).length;
  for (let i = 1; i <= n; i++) {
    const v = String(i).padStart(width, '0');
    // dbmate's format, which pgshift reads as it is: both run the very same files.
    writeFileSync(join(dbmateDir, `${v}_t_${i}.sql`), `-- migrate:up\nCREATE TABLE t_${i} (id int);\n\n-- migrate:down\nDROP TABLE t_${i};\n`);
    writeFileSync(join(npmDir, `${v}_t_${i}.sql`), `-- Up Migration\nCREATE TABLE t_${i} (id int);\n\n-- Down Migration\nDROP TABLE t_${i};\n`);
  }
  writeFileSync(join(dir, 'done'), '');
  return { dbmateDir, npmDir };
}

/** How each tool applies, re-runs with nothing to do, and reports status. */
function commands(tool, url, dirs, n) {
  const dbmateUrl = url + (url.includes('?') ? '&' : '?') + 'sslmode=disable';
  switch (tool) {
    case 'pgshift':
      return {
        apply: ['node', CLI, 'up', '--dir', dirs.dbmateDir],
        noop: ['node', CLI, 'up', '--dir', dirs.dbmateDir],
        status: ['node', CLI, 'status', '--dir', dirs.dbmateDir],
        env: { DATABASE_URL: url },
      };
    case 'dbmate': {
      const base = [DBMATE, '--url', dbmateUrl, '--migrations-dir', dirs.dbmateDir, '--no-dump-schema'];
      return { apply: [...base, 'up'], noop: [...base, 'up'], status: [...base, 'status'], env: {} };
    }
    case 'node-pg-migrate': {
      // --no-single-transaction: one transaction per migration, like the others.
      const base = ['node', NPM_MIGRATE, '-m', dirs.npmDir, '--verbose', 'false', '--no-single-transaction'];
      return { apply: [...base, 'up'], noop: [...base, 'up'], status: null, env: { DATABASE_URL: url } };
    }
    case 'floor':
      return { apply: ['node', FLOOR, 'apply', String(n)], noop: ['node', FLOOR, 'noop', String(n)], status: ['node', FLOOR, 'status', String(n)], env: { DATABASE_URL: url } };
  }
  throw new Error(`unknown tool ${tool}`);
}

function databaseUrl(adminUrl, name) {
  const u = new URL(adminUrl);
  u.pathname = '/' + name;
  return u.toString();
}

async function freshDatabase(admin, adminUrl, name) {
  await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.unsafe(`create database "${name}"`);
  return databaseUrl(adminUrl, name);
}

const fmtMs = (ms) => (Number.isFinite(ms) ? (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`) : 'n/a');
const fmtMb = (mb) => (Number.isFinite(mb) ? `${mb.toFixed(0)} MB` : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

async function main() {
  if (!existsSync(CLI)) throw new Error('dist/cli/index.js is missing: run `npm run build` first (npm run bench does).');
  const pg = await startPostgres();
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  const results = {}; // results[n][tool][phase] = {ms[], rss[]}
  const lines = [];
  const say = (l = '') => {
    lines.push(l);
    process.stdout.write(l + '\n');
  };
  try {
    say(`# pgshift benchmark`);
    say();
    say(`${new Date().toISOString()} · ${runs} runs each, medians · Postgres ${(await admin`show server_version`)[0].server_version}${pg.embedded ? ' (embedded)' : ''}`);
    for (const n of sizes) {
      const dirs = generate(n);
      results[n] = {};
      const here = tools.filter((tool) => n < BIG || BIG_TOOLS.has(tool));
      for (const tool of here) results[n][tool] = { apply: [], noop: [], status: [] };
      // Tools take turns within each run, and every measurement starts after a CHECKPOINT, so no tool
      // pays for the server's clean-up of another's databases.
      for (let run = 0; run < runs; run++) {
        for (const tool of run % 2 ? [...here].reverse() : here) {
          const name = `bench_${tool.replace(/-/g, '_')}_${n}`;
          const url = await freshDatabase(admin, pg.url, name);
          const c = commands(tool, url, dirs, n);
          const r = results[n][tool];
          await admin.unsafe('checkpoint');
          r.apply.push(measure(c.apply, c.env));
          await admin.unsafe('checkpoint');
          r.noop.push(measure(c.noop, c.env));
          if (c.status) r.status.push(measure(c.status, c.env));
          await admin.unsafe(`drop database if exists "${name}" with (force)`);
        }
        process.stderr.write(`  N=${n}: run ${run + 1} of ${runs} measured\n`);
      }
    }

    const med = (n, tool, phase, key = 'ms') => median((results[n]?.[tool]?.[phase] ?? []).map((x) => x[key]));
    for (const phase of ['apply', 'noop', 'status']) {
      say();
      say(`## ${phase === 'apply' ? 'Apply all' : phase === 'noop' ? 'No-op re-run (all applied, checksums checked)' : 'Status'}`);
      say();
      say(`| N | tool | time | peak memory | pgshift ÷ this |`);
      say(`| ---: | --- | ---: | ---: | ---: |`);
      for (const n of sizes)
        for (const tool of tools) {
          if (!results[n][tool] || !results[n][tool][phase].length) continue;
          say(`| ${n} | ${tool} | ${fmtMs(med(n, tool, phase))} | ${fmtMb(med(n, tool, phase, 'rssMb'))} | ${ratio(med(n, 'pgshift', phase), med(n, tool, phase))} |`);
        }
    }

    // 10,000 applied and one new one pending: the deploy that matters most in a large project.
    const big = Math.max(...sizes);
    let oneMore;
    if (tools.includes('pgshift')) {
      const dirs = generate(big);
      const url = await freshDatabase(admin, pg.url, 'bench_one_more');
      execFileSync('node', [CLI, 'up', '--dir', dirs.dbmateDir], { env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' });
      const extra = [];
      for (let run = 0; run < runs; run++) {
        const file = join(dirs.dbmateDir, `${String(big + 1)}_one_more_${run}.sql`);
        writeFileSync(file, `-- migrate:up\nCREATE TABLE one_more_${run} (id int);\n-- migrate:down\nDROP TABLE one_more_${run};\n`);
        extra.push(measure(['node', CLI, 'up', '--dir', dirs.dbmateDir], { DATABASE_URL: url }));
        execFileSync('node', [CLI, 'down', '--dir', dirs.dbmateDir], { env: { ...process.env, DATABASE_URL: url }, stdio: 'ignore' });
        rmSync(file);
      }
      await admin.unsafe(`drop database if exists bench_one_more with (force)`);
      oneMore = { ms: median(extra.map((x) => x.ms)), rss: median(extra.map((x) => x.rssMb)) };
      say();
      say(`## ${big} applied, 1 pending (checksums of all applied files verified)`);
      say();
      say(`pgshift up: ${fmtMs(oneMore.ms)}, peak memory ${fmtMb(oneMore.rss)}`);
    }

    // Cold start of the bundled CLI against bare node.
    const cold = { pgshift: [], node: [] };
    for (let i = 0; i < 15; i++) {
      cold.pgshift.push(measure(['node', CLI, '--version'], {}).ms);
      cold.node.push(measure(['node', '-e', '0'], {}).ms);
    }
    const coldOver = median(cold.pgshift) - median(cold.node);
    say();
    say(`## Cold start`);
    say();
    say(`pgshift --version ${fmtMs(median(cold.pgshift))} · node -e 0 ${fmtMs(median(cold.node))} · difference ${fmtMs(coldOver)}`);

    // Linting 1 MB of mixed SQL through the bundled CLI, start-up included (exit 1: it has findings).
    mkdirSync(work, { recursive: true });
    const lintFile = join(work, 'lint-1mb.sql');
    const lintInput = writeMixedSql(lintFile);
    const lintRuns = Array.from({ length: Math.max(3, runs) }, () => measure(['node', CLI, 'lint', lintFile], {}, [0, 1]));
    const lintMs = median(lintRuns.map((x) => x.ms));
    say();
    say('## Lint');
    say();
    say(
      `pgshift lint of ${(lintInput.bytes / 1048576).toFixed(2)} MB of mixed SQL (${lintInput.blocks} blocks of DDL, $$ functions, DO blocks, triggers): ${fmtMs(lintMs)}, peak memory ${fmtMb(median(lintRuns.map((x) => x.rssMb)))}`,
    );

    // The schema model's inspect at 50 and 500 tables, against pg_dump --schema-only (bench/inspect.mjs).
    say();
    say('<!-- bench:inspect:start -->');
    const inspectTargets = await benchInspect({ adminUrl: pg.url, runs: Math.max(5, runs), say, peer15: startPostgres15 });
    say('<!-- bench:inspect:end -->');

    // Targets from the performance issues.
    const t = [];
    const check = (label, ok, detail) => t.push(`| ${label} | ${detail} | ${ok === undefined ? 'n/a' : ok ? '✅' : '❌'} |`);
    const a1k = med(1000, 'pgshift', 'apply');
    const n1k = med(1000, 'pgshift', 'noop');
    check('apply 1,000 ≤ 0.6× dbmate', results[1000]?.dbmate ? a1k / med(1000, 'dbmate', 'apply') <= 0.6 : undefined, ratio(a1k, med(1000, 'dbmate', 'apply')));
    check('apply 1,000 ≤ 1.2× floor', results[1000]?.floor ? a1k / med(1000, 'floor', 'apply') <= 1.2 : undefined, ratio(a1k, med(1000, 'floor', 'apply')));
    check('no-op 1,000 ≤ 1.2× dbmate', results[1000]?.dbmate ? n1k / med(1000, 'dbmate', 'noop') <= 1.2 : undefined, ratio(n1k, med(1000, 'dbmate', 'noop')));
    check('no-op 10,000 < 1 s', results[BIG]?.pgshift ? med(BIG, 'pgshift', 'noop') < 1000 : undefined, fmtMs(med(BIG, 'pgshift', 'noop')));
    check('apply grows ≤ 12× from 1,000 to 10,000', results[BIG]?.pgshift && a1k ? med(BIG, 'pgshift', 'apply') / a1k <= 12 : undefined, ratio(med(BIG, 'pgshift', 'apply'), a1k));
    check('no-op grows ≤ 12× from 1,000 to 10,000', results[BIG]?.pgshift && n1k ? med(BIG, 'pgshift', 'noop') / n1k <= 12 : undefined, ratio(med(BIG, 'pgshift', 'noop'), n1k));
    check('cold start < 150 ms over node -e 0', coldOver < 150, fmtMs(coldOver));
    check('lint 1 MB of mixed SQL < 1 s', lintMs < 1000, fmtMs(lintMs));
    for (const [label, ok, detail] of inspectTargets) check(label, ok, detail);
    say();
    say('## Targets');
    say();
    say('| target | measured | met |');
    say('| --- | --- | --- |');
    for (const l of t) say(l);
    writeFileSync(join(root, 'bench/results.md'), lines.join('\n') + '\n');
    process.stderr.write(`\nwritten to bench/results.md\n`);
  } finally {
    await admin.end();
    await pg.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
