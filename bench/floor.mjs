// The floor: a bare postgres.js loop sending exactly the work any runner with one transaction per
// migration must do (BEGIN; CREATE TABLE; INSERT INTO tracking; COMMIT for each), and nothing else.
import postgres from 'postgres';

const [mode, n] = [process.argv[2], Number(process.argv[3])];
const sql = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
await sql`create table if not exists floor_migrations (version text primary key)`;
if (mode === 'apply') {
  const done = new Set((await sql`select version from floor_migrations`).map((r) => r.version));
  for (let i = 1; i <= n; i++) {
    if (done.has(String(i))) continue;
    await sql.begin(async (tx) => {
      await tx.unsafe(`CREATE TABLE t_${i} (id int)`);
      await tx`insert into floor_migrations (version) values (${String(i)})`;
    });
  }
} else {
  // noop and status: all a runner must learn is which versions are applied.
  await sql`select version from floor_migrations`;
}
await sql.end();
