// `pgshift new <name>`: a new migration file, named by the current UTC time (dbmate's version format).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors';
import { Catalog } from '../files/catalog';
import { formById } from '../files/forms';

/** UTC yyyymmddhhmmss, dbmate's version format. */
export function timestampVersion(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Writes `<timestamp>_<name>.sql` with both sections; returns its path. */
export function newMigration(dir: string, name: string, now = new Date()): string {
  const slug = name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!slug) throw new ConfigError(`"${name}" is not a usable migration name: use letters, digits and underscores, e.g. add_users_email.`);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const catalog = new Catalog(dir);
  // Two files made in the same second (a script, a quick second thought) each get their own version:
  // the next free second, still in dbmate's 14-digit format and still in the order they were made.
  let at = now.getTime();
  while (catalog.find(timestampVersion(new Date(at)))) at += 1000;
  const path = join(dir, `${timestampVersion(new Date(at))}_${slug}.sql`);
  writeFileSync(path, formById('dbmate').template(slug), { flag: 'wx' });
  return path;
}
