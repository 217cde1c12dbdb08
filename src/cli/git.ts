// `--since <git-ref>`: the files added or changed since the ref, read from git. What that means for
// the migrations (pending or applied) is the commands' decision; this only asks git.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, parseNameStatus } from '../commands';
import type { Baseline } from '../types';

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 512 * 1024 * 1024 });
}

/** The nearest existing folder at or above `path`, where git is asked. */
function folderOf(path: string): string {
  let p = resolve(path);
  if (existsSync(p) && !statSync(p).isDirectory()) p = dirname(p);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * What changed since `ref` in the repository holding `path`: the commits since the point where this
 * branch left `ref` (git merge-base), plus changes not committed yet and files git does not track yet,
 * so a migration written a minute ago counts as pending.
 */
export function sinceBaseline(ref: string, path: string): Baseline {
  if (ref.startsWith('-')) throw new ConfigError(`--since ${ref} is not a git ref: name a branch, tag or commit (--since main).`);
  const cwd = folderOf(path);
  let top: string;
  try {
    top = git(['rev-parse', '--show-toplevel'], cwd).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ConfigError('--since needs git, and git is not installed (or not on PATH).');
    throw new ConfigError(`--since ${ref}: ${cwd} is not inside a git repository, so there is no history to compare with. Run pgshift inside the repository, or leave --since out.`);
  }
  let base: string;
  try {
    base = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], top).trim();
  } catch {
    throw new ConfigError(`--since ${ref}: git knows no commit by that name in ${top}. Name a branch, tag or commit that exists here (a remote branch may need "git fetch" first).`);
  }
  let from = base;
  try {
    from = git(['merge-base', base, 'HEAD'], top).trim() || base;
  } catch {
    // No common history (or a shallow clone): compare with the ref itself.
  }
  try {
    const changed = [
      ...parseNameStatus(git(['diff', '--name-status', '-z', '--no-renames', from, '--'], top), top),
      ...parseNameStatus(git(['ls-files', '--others', '--exclude-standard', '-z'], top), top, true),
    ];
    return { label: `${ref} (${from.slice(0, 7)})`, changed };
  } catch (err) {
    const said = String((err as { stderr?: string }).stderr ?? (err as Error).message)
      .trim()
      .split('\n')[0];
    throw new ConfigError(`--since ${ref}: git could not list the files changed since ${from.slice(0, 7)} in ${top} (${said}).`);
  }
}
