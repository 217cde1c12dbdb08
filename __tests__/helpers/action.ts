// Runs the committed action bundle the way the runner does: `node dist/index.js` with INPUT_*
// variables, an event payload file, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files to read back.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, DIST, tempDir, writeMigrations, type TestDatabase } from './db';
import { FakeGitHub } from './github-server';

export interface ActionRunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** Annotation commands (::error file=…::message) printed to stdout. */
  annotations: string[];
}

export interface ActionRunOptions {
  inputs: Record<string, string>;
  eventName?: string;
  /** The event payload (GITHUB_EVENT_PATH). */
  event?: Record<string, unknown>;
  apiUrl?: string;
  workspace?: string;
  env?: Record<string, string>;
  /** The bundle to run; defaults to <DIST>/index.js. */
  entry?: string;
}

/** Parses the `name<<DELIMITER\nvalue\nDELIMITER` records of a GITHUB_OUTPUT file. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^([^<=]+)<<(.+)$/);
    if (m) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]);
      out[m[1]] = value.join('\n');
    } else if (lines[i].includes('=')) {
      const [k, ...v] = lines[i].split('=');
      out[k] = v.join('=');
    }
  }
  return out;
}

export function runAction(opts: ActionRunOptions): Promise<ActionRunResult> {
  const dir = tempDir('pgshift-action-');
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary');
  const eventFile = join(dir, 'event.json');
  const runnerTemp = join(dir, 'runner-temp');
  mkdirSync(runnerTemp);
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  writeFileSync(eventFile, JSON.stringify(opts.event ?? {}));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: opts.eventName ?? 'push',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_API_URL: opts.apiUrl ?? 'http://127.0.0.1:9',
    GITHUB_SERVER_URL: 'https://github.test',
    GITHUB_RUN_ID: '4242',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_ACTOR: 'octocat',
    GITHUB_WORKSPACE: opts.workspace ?? dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: runnerTemp,
    ...opts.env,
  };
  for (const [name, value] of Object.entries(opts.inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [opts.entry ?? join(DIST, 'index.js')], { env, cwd: opts.workspace ?? dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
        summary: readFileSync(summaryFile, 'utf8'),
        annotations: stdout.split('\n').filter((l) => /^::(error|warning|notice)/.test(l)),
      });
    });
  });
}

/** The migrations most action tests start from: a dbmate file and a pair, each with a down. */
export const USERS_AND_ORDERS: Record<string, string> = {
  '1_users.sql': '-- migrate:up\nCREATE TABLE users (id int);\n-- migrate:down\nDROP TABLE users;\n',
  '2_orders.up.sql': 'CREATE TABLE orders (id int);\n',
  '2_orders.down.sql': 'DROP TABLE orders;\n',
};

export interface ActionFixture {
  db: TestDatabase;
  gh: FakeGitHub;
  workspace: string;
}

/** A fresh database, a fake GitHub API and a workspace whose `migrations/` holds `files`. */
export async function startActionFixture(files: Record<string, string> = USERS_AND_ORDERS): Promise<ActionFixture> {
  const db = await createDatabase();
  const gh = await new FakeGitHub().start();
  const workspace = tempDir();
  writeMigrations(join(workspace, 'migrations'), files);
  return { db, gh, workspace };
}

export async function stopActionFixture(f: ActionFixture): Promise<void> {
  await f.gh.stop();
  await f.db.drop();
}
