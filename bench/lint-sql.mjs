// Generates realistic mixed migration SQL for the lint benchmark: DDL, PL/pgSQL functions with $$
// bodies, DO blocks, triggers, indexes, backfills — the statements the linter meets in real projects.
import { writeFileSync } from 'node:fs';

function chunk(i) {
  return `-- block ${i}: orders for tenant ${i}
CREATE TABLE orders_${i} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id bigint NOT NULL,
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped')),
  total numeric(12, 2) NOT NULL DEFAULT 0,
  note text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_${i}_tenant_idx ON orders_${i} (tenant_id, created_at DESC);
ALTER TABLE accounts ADD COLUMN flag_${i} boolean;
CREATE INDEX accounts_flag_${i}_idx ON accounts (flag_${i});
ALTER TABLE accounts ADD CONSTRAINT accounts_flag_${i}_fk FOREIGN KEY (id) REFERENCES tenants (id) NOT VALID;
CREATE OR REPLACE FUNCTION orders_${i}_touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- a ';' inside the body must not split the statement
  NEW.note := coalesce(NEW.note, 'touched; again');
  IF NEW.total < 0 THEN
    RAISE EXCEPTION 'negative total for order %', NEW.id;
  END IF;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER orders_${i}_touch BEFORE INSERT OR UPDATE ON orders_${i} FOR EACH ROW EXECUTE FUNCTION orders_${i}_touch();
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT id FROM orders_${i} WHERE status = 'new' LOOP
    UPDATE orders_${i} SET status = 'paid' WHERE id = r.id;
  END LOOP;
END $$;
UPDATE accounts SET flag_${i} = false WHERE flag_${i} IS NULL AND id % 100 = ${i % 100};
COMMENT ON TABLE orders_${i} IS 'orders of tenant ${i}; kept for /* audits */ and E''escapes''';

`;
}

/** Writes about `bytes` of SQL to `path`; returns the number of statements' blocks written. */
export function writeMixedSql(path, bytes = 1 << 20) {
  const parts = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const c = chunk(i);
    parts.push(c);
    size += Buffer.byteLength(c);
  }
  writeFileSync(path, parts.join(''));
  return { blocks: parts.length, bytes: size };
}
