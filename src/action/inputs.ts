// The action's inputs, read and checked before any connection. Defaults repeat action.yml's (a test
// keeps them equal) because a runner applies those, but `node dist/index.js` on its own does not.
import * as core from '@actions/core';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseDuration } from '../config/duration';
import { ConfigError } from '../errors';
import { POLICIES, type Policy } from './policy';
import { Catalog } from '../plan/catalog';
import { isVersion, versionKey } from '../files/version';
import type { Direction } from '../types';

export const INPUT_DEFAULTS = {
  'database-url': '',
  environment: 'development',
  'dry-run': 'false',
  direction: 'up',
  steps: '',
  'target-version': '',
  'migrations-dir': 'migrations',
  'tracking-schema': 'public',
  'lock-timeout': '10s',
  'statement-timeout': '',
  'lock-wait': '60s',
  'github-token': '',
  'comment-on-pr': 'true',
  'open-issue-on-failure': 'true',
  'issue-labels': 'database-migration',
  'protected-environments': 'production',
  confirm: '',
  'allow-destructive': 'false',
  'fail-on-lint': 'false',
  policy: '',
} as const;
export type InputName = keyof typeof INPUT_DEFAULTS;

export interface ActionInputs {
  databaseUrl: string;
  environment: string;
  dryRun: boolean;
  direction: Direction;
  steps?: number;
  targetVersion?: string;
  /** As given, for display and the comment marker. */
  migrationsDir: string;
  /** Resolved against GITHUB_WORKSPACE. */
  migrationsPath: string;
  trackingSchema: string;
  lockTimeoutMs: number;
  statementTimeoutMs?: number;
  lockWaitMs: number;
  githubToken: string;
  commentOnPr: boolean;
  openIssueOnFailure: boolean;
  issueLabels: string[];
  protectedEnvironments: string[];
  confirm: string;
  allowDestructive: boolean;
  failOnLint: boolean;
  policy: Policy;
}

export function input(name: InputName): string {
  const value = core.getInput(name);
  return value === '' ? INPUT_DEFAULTS[name] : value;
}

function bool(name: InputName): boolean {
  const v = input(name).trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new ConfigError(`input ${name} must be true or false, not "${input(name)}".`);
}

function list(name: InputName): string[] {
  return input(name)
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function duration(name: InputName): number {
  return parseDuration(input(name), `input ${name}`);
}

/** Reads and validates every input; throws ConfigError with one plain sentence. */
export function readInputs(workspace = process.env.GITHUB_WORKSPACE || process.cwd()): ActionInputs {
  const direction = input('direction').trim();
  if (direction !== 'up' && direction !== 'down') throw new ConfigError(`input direction must be "up" or "down", not "${direction}".`);

  const stepsText = input('steps').trim();
  if (stepsText && !/^\d+$/.test(stepsText)) throw new ConfigError(`input steps must be a whole number of at least 1, not "${stepsText}".`);
  if (stepsText && Number(stepsText) < 1) throw new ConfigError('input steps must be at least 1 (leave it empty for all pending migrations).');

  const migrationsDir = input('migrations-dir').trim();
  const migrationsPath = isAbsolute(migrationsDir) ? migrationsDir : resolve(workspace, migrationsDir);
  if (!existsSync(migrationsPath) || !statSync(migrationsPath).isDirectory()) {
    throw new ConfigError(`migrations directory "${migrationsDir}" does not exist in the workspace: check the migrations-dir input and that the repository is checked out (actions/checkout).`);
  }

  const target = input('target-version').trim();
  if (target) {
    if (!isVersion(target)) throw new ConfigError(`input target-version "${target}" is not a version: use the number at the start of a migration file name.`);
    const isZero = versionKey(target).every((p) => p === 0n);
    if (!(direction === 'down' && isZero) && !new Catalog(migrationsPath).find(target)) {
      throw new ConfigError(`input target-version "${target}" matches no migration in ${migrationsDir}: use an existing version${direction === 'down' ? ', or 0 to roll back everything' : ''}.`);
    }
  }

  const policy = input('policy').trim().toLowerCase() as Policy;
  if (!POLICIES.includes(policy)) throw new ConfigError(`input policy must be empty or "additive-only", not "${input('policy')}".`);

  const statementTimeout = input('statement-timeout').trim();
  return {
    databaseUrl: input('database-url').trim(),
    environment: input('environment').trim() || 'development',
    dryRun: bool('dry-run'),
    direction,
    steps: stepsText ? Number(stepsText) : undefined,
    targetVersion: target || undefined,
    migrationsDir,
    migrationsPath,
    trackingSchema: input('tracking-schema').trim(),
    lockTimeoutMs: duration('lock-timeout'),
    statementTimeoutMs: statementTimeout ? parseDuration(statementTimeout, 'input statement-timeout') : undefined,
    lockWaitMs: duration('lock-wait'),
    githubToken: input('github-token').trim(),
    commentOnPr: bool('comment-on-pr'),
    openIssueOnFailure: bool('open-issue-on-failure'),
    issueLabels: list('issue-labels'),
    protectedEnvironments: list('protected-environments').map((e) => e.toLowerCase()),
    confirm: input('confirm').trim(),
    allowDestructive: bool('allow-destructive'),
    failOnLint: bool('fail-on-lint'),
    policy,
  };
}

/** The phrase that unlocks a down in a protected environment. */
export function confirmPhrase(environment: string): string {
  return `MIGRATE-${environment.toUpperCase()}`;
}
