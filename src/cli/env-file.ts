// `.env` files, read as dbmate reads them: NAME=value lines, an optional `export ` before the name,
// `#` comments (a whole line, or after an unquoted value), 'single quotes' taken literally, "double
// quotes" with \n, \t, \" and \\ escapes. Variables already in the real environment win over the file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../commands';

const NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** The file's variables; a line that is not NAME=value is refused with its file:line (never its text, which may hold a password). */
export function parseEnvFile(text: string, path: string): Record<string, string> {
  const vars: Record<string, string> = {};
  text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\n|\r/)
    .forEach((raw, i) => {
      const where = `${path}:${i + 1}`;
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      const name = (eq < 0 ? line : line.slice(0, eq)).replace(/^export\s+/, '').trim();
      if (eq < 0 || !NAME.test(name)) {
        throw new ConfigError(`${where}: not a NAME=value line (write it as DATABASE_URL=postgres://…; a line starting with # is a comment).`);
      }
      vars[name] = value(line.slice(eq + 1).trim(), `${where}: the value of ${name}`);
    });
  return vars;
}

function value(text: string, what: string): string {
  const quote = text[0];
  if (quote !== '"' && quote !== "'") return text.replace(/\s+#.*$/, '');
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === quote) {
      if (!/^\s*(#.*)?$/.test(text.slice(i + 1))) throw new ConfigError(`${what} has text after its closing quote: put a # before a comment.`);
      return out;
    }
    if (quote === '"' && c === '\\' && i + 1 < text.length) {
      const next = text[++i];
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
      continue;
    }
    out += c;
  }
  throw new ConfigError(`${what} opens a ${quote === '"' ? 'double' : 'single'} quote that does not close on its line.`);
}

/**
 * The environment the CLI runs with: `env` over the variables of `--env-file`, or of `.env` in `cwd`
 * when it exists. A given file that is missing is an error; a missing `.env` is not.
 */
export function withEnvFile(env: NodeJS.ProcessEnv, given: string | undefined, cwd: string): NodeJS.ProcessEnv {
  const path = resolve(cwd, given ?? '.env');
  if (given === undefined && !existsSync(path)) return env;
  if (!existsSync(path)) throw new ConfigError(`--env-file ${given}: there is no such file${isAbsolute(given!) ? '' : ` in ${cwd}`}.`);
  if (!statSync(path).isFile()) throw new ConfigError(`${given !== undefined ? `--env-file ${given}: ` : ''}${path} is not a file: pass a file of NAME=value lines with --env-file.`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Check its permissions, or pass another file with --env-file.`);
  }
  const vars = parseEnvFile(text, given ?? '.env');
  // The real environment wins: an empty DATABASE_URL set on purpose is still the environment's.
  return { ...vars, ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) };
}
