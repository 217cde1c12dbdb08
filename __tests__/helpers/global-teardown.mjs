import { rmSync } from 'node:fs';

export default async function globalTeardown() {
  await globalThis.__pgshiftPostgres?.stop();
  if (process.env.PGSHIFT_TEST_TMP) rmSync(process.env.PGSHIFT_TEST_TMP, { recursive: true, force: true });
}
