// The action's inputs, read through the settings table and checked before any connection. Defaults
// come from the table (a test keeps action.yml equal to it) because a runner applies action.yml's, but
// `node dist/index.js` on its own does not.
import * as core from '@actions/core';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, knownVersion } from '../commands';
import { readSettings, SETTING_ROWS, type SettingValues } from '../settings';

/** Every input of action.yml with the default the bundle applies ('' for github-token: the runner's). */
export const INPUT_DEFAULTS: Record<string, string> = Object.fromEntries(SETTING_ROWS.filter((s) => s.input).map((s) => [s.input!, s.input === 'github-token' ? '' : s.shown]));

export interface ActionInputs {
  settings: SettingValues;
  /** migrations-dir as given, for display and the comment marker. */
  migrationsDir: string;
  /** Resolved against GITHUB_WORKSPACE. */
  migrationsPath: string;
}

/** Reads and validates every input; throws ConfigError with one plain sentence. */
export function readInputs(workspace = process.env.GITHUB_WORKSPACE || process.cwd()): ActionInputs {
  const settings = readSettings('action', (s) => (s.input ? core.getInput(s.input) : undefined));
  const migrationsDir = settings.dir;
  const migrationsPath = isAbsolute(migrationsDir) ? migrationsDir : resolve(workspace, migrationsDir);
  if (!existsSync(migrationsPath) || !statSync(migrationsPath).isDirectory()) {
    throw new ConfigError(`migrations directory "${migrationsDir}" does not exist in the workspace: check the migrations-dir input and that the repository is checked out (actions/checkout).`);
  }
  const target = settings.target;
  if (target) {
    const known = knownVersion(migrationsPath, target, settings.direction);
    if (known === 'not-a-version') throw new ConfigError(`input target-version "${target}" is not a version: use the number at the start of a migration file name.`);
    if (known === 'unknown')
      throw new ConfigError(
        `input target-version "${target}" matches no migration in ${migrationsDir}: use an existing version${settings.direction === 'down' ? ', or 0 to roll back everything' : ''}.`,
      );
  }
  return { settings: { ...settings, dir: migrationsPath }, migrationsDir, migrationsPath };
}
