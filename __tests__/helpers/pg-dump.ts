// The pg_dump the backup tests run: PGSHIFT_PG_DUMP, else pg_dump on PATH, else the newest under
// /usr/lib/postgresql/<major>/bin (Debian and Ubuntu install each major's client there, side by side).
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** The pg_dump to test with, with where it was found; undefined when there is none on this machine. */
export function locatePgDump(env: NodeJS.ProcessEnv = process.env): { path: string; from: string } | undefined {
  if (env.PGSHIFT_PG_DUMP) return { path: env.PGSHIFT_PG_DUMP, from: 'PGSHIFT_PG_DUMP' };
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'pg_dump'))) return { path: join(dir, 'pg_dump'), from: 'PATH' };
  }
  let majors: number[] = [];
  try {
    majors = readdirSync('/usr/lib/postgresql')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .sort((a, b) => b - a);
  } catch {
    /* no Debian-style client installed */
  }
  for (const major of majors) {
    const path = `/usr/lib/postgresql/${major}/bin/pg_dump`;
    if (isExecutable(path)) return { path, from: '/usr/lib/postgresql' };
  }
  return undefined;
}
