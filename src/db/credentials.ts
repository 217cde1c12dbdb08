// Where a connection's password comes from, resolved once before connecting, so that every source is
// also a secret the Redactor knows: the URL's user:password@, a `?password=` parameter (libpq's
// spelling, which postgres.js would otherwise send to the server as a setting), PGPASSWORD, and a
// .pgpass file (as libpq reads it). The shells read the environment and pass what they found.
import { readFileSync, statSync } from 'node:fs';

export interface CredentialSources {
  /** The PGPASSWORD environment variable, if set. */
  pgpassword?: string;
  /** The .pgpass file to consult (PGPASSFILE, or ~/.pgpass); absent or missing: none. */
  pgpassFile?: string;
}

export interface Credentials {
  /** The URL to connect with: the password in its user-info part, no `password` parameter. */
  url: string;
  /** Every password found, for the Redactor (also those not used). */
  secrets: string[];
  /** Where the password in use came from. */
  source: 'url' | 'parameter' | 'PGPASSWORD' | 'pgpass' | 'none';
  /** Something the user should know (a .pgpass file that libpq would ignore). */
  warning?: string;
}

/** One `host:port:database:user:password` line; `*` matches anything, `\:` and `\\` are escapes. */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':' && out.length < 4) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The password .pgpass holds for this host, port, database and user, as libpq matches it. */
export function pgpassLookup(text: string, target: { host: string; port: string; database: string; user: string }): string | undefined {
  const want = [target.host, target.port, target.database, target.user];
  for (const raw of text.split(/\r?\n/)) {
    if (!raw.trim() || raw.startsWith('#')) continue;
    const f = fields(raw);
    if (f.length < 5) continue;
    if (want.every((w, i) => f[i] === '*' || f[i] === w || (i === 0 && f[i] === 'localhost' && (w === '127.0.0.1' || w === '::1')))) return f[4];
  }
  return undefined;
}

export function resolveCredentials(databaseUrl: string, sources: CredentialSources = {}): Credentials {
  const secrets = [sources.pgpassword].filter((s): s is string => !!s);
  let u: URL;
  try {
    u = new URL(databaseUrl);
  } catch {
    return { url: databaseUrl, secrets, source: 'none' };
  }
  const param = u.searchParams.get('password');
  if (param) secrets.push(param);
  if (u.password) {
    secrets.push(decodeURIComponent(u.password));
    if (!param) return { url: databaseUrl, secrets, source: 'url' };
    u.searchParams.delete('password');
    return { url: u.toString(), secrets, source: 'url' };
  }
  const use = (password: string, source: Credentials['source'], warning?: string): Credentials => {
    u.searchParams.delete('password');
    u.password = encodeURIComponent(password);
    return { url: u.toString(), secrets: [...new Set([...secrets, password])], source, warning };
  };
  if (param) return use(param, 'parameter');
  if (sources.pgpassword) return use(sources.pgpassword, 'PGPASSWORD');
  if (sources.pgpassFile) {
    let text: string | undefined;
    let warning: string | undefined;
    try {
      // libpq ignores a .pgpass that others can read; so does pgshift, and says so.
      if ((statSync(sources.pgpassFile).mode & 0o077) !== 0) warning = `${sources.pgpassFile} can be read by other users, so it is ignored (as libpq does): chmod 0600 it.`;
      else text = readFileSync(sources.pgpassFile, 'utf8');
    } catch {
      /* no .pgpass: nothing to use */
    }
    const user = decodeURIComponent(u.username) || '';
    const target = { host: decodeURIComponent(u.hostname) || 'localhost', port: u.port || '5432', database: decodeURIComponent(u.pathname.replace(/^\//, '')) || user, user };
    const found = text !== undefined ? pgpassLookup(text, target) : undefined;
    if (found) return use(found, 'pgpass');
    if (warning) return { url: databaseUrl, secrets, source: 'none', warning };
  }
  return { url: databaseUrl, secrets, source: 'none' };
}
