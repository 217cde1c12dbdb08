// The GitHub Action's run(): a thin shell over the engine (built out in the action issue).
import * as core from '@actions/core';
import { migrate } from './engine';

export async function run(): Promise<void> {
  try {
    const databaseUrl = core.getInput('database-url');
    if (databaseUrl) core.setSecret(databaseUrl);
    const result = await migrate({ dir: core.getInput('migrations-dir') || 'migrations', databaseUrl, environment: core.getInput('environment') || 'development' }, { direction: 'up' });
    core.setOutput('status', result.status);
    if (result.error) core.setFailed(result.error.message);
  } catch (err) {
    core.setFailed((err as Error).message);
  }
}
