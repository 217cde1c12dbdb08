// Entry of the GitHub Action (action.yml: runs.main = dist/index.js).
import * as core from '@actions/core';
import { run } from './main';

// A step must never pass without a result: if run() has not settled when Node runs out of work (a
// promise that can never settle), the step fails and says so.
let settled = false;
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  core.setOutput('status', 'failed');
  core.setFailed('pgshift stopped before it finished, with no result: check the database (pgshift status) before running again. This is a bug: please report it.');
});

void run().finally(() => {
  settled = true;
});
