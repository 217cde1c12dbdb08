// Test helpers: a fresh database per test on the shared real Postgres, temp migration directories,
// and the built CLI run as a child process the way a user runs it.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The bundles under test; PGSHIFT_DIST points elsewhere for a private build. */
export const DIST = process.env.PGSHIFT_DIST ? resolve(process.env.PGSHIFT_DIST) : join(ROOT, 'dist');
export const CLI = join(DIST, 'cli/index.js');

export function adminUrl(): string {
  const url = process.env.PGSHIFT_TEST_ADMIN_URL;
  if (!url) throw new Error('PGSHIFT_TEST_ADMIN_URL is not set: run the tests through jest (globalSetup starts Postgres).');
  return url;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  /** A client on the test database (max 1 connection), closed by drop(). */
  sql: postgres.Sql;
  drop(): Promise<void>;
}

let counter = 0;
/** A fresh database on the suite's server (or on the server at `serverUrl`), dropped by drop(). */
export async function createDatabase(serverUrl: string = adminUrl(), prefix = 't'): Promise<TestDatabase> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 1 });
      const a = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

/** A new folder under the run's temporary root (removed by the global teardown), or the system's when run alone. */
export function tempDir(prefix = 'pgshift-test-'): string {
  return mkdtempSync(join(process.env.PGSHIFT_TEST_TMP || tmpdir(), prefix));
}

/** Writes `files` (name → content) into `dir`, creating it. Returns dir. */
export function writeMigrations(dir: string, files: Record<string, string | Buffer>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Called once the child is spawned (to send signals). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  timeoutMs?: number;
}

/** Runs `node dist/cli/index.js ...args` with DATABASE_URL unset unless given in env. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: undefined, NODE_OPTIONS: undefined, ...opts.env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    opts.onSpawn?.(child);
  });
}
