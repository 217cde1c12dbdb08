// The shells' side of credentials: read the sources from the environment, teach the Redactor every
// password found (before anything can print one), and connect with the resolved URL.
import { join } from 'node:path';
import { resolveCredentials } from '../db/credentials';
import type { Redactor } from './redact';

/** The URL to connect with; every password source is a secret of `redactor` from now on. */
export function connectionUrl(databaseUrl: string, env: NodeJS.ProcessEnv, redactor: Redactor, warn: (message: string) => void): string {
  redactor.add(env.PGPASSWORD).addUrl(databaseUrl);
  if (!databaseUrl) return databaseUrl;
  const found = resolveCredentials(databaseUrl, { pgpassword: env.PGPASSWORD, pgpassFile: env.PGPASSFILE || (env.HOME ? join(env.HOME, '.pgpass') : undefined) });
  for (const s of found.secrets) redactor.add(s);
  if (found.warning) warn(found.warning);
  return found.url;
}
