// Entry of the GitHub Action (action.yml: runs.main = dist/index.js).
import { run } from './main';

void run();
