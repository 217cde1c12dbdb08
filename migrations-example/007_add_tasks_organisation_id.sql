-- migrate:up
-- Tasks get their organisation's id, so row-level security (migration 009) can filter them without
-- a join. Expand here, backfill and constrain in 008. The two are separate migrations on purpose: a
-- schema change's lock is held until its transaction commits, so an UPDATE of every task after the
-- ALTER TABLE below would keep tasks locked (no reads, no writes) for the whole backfill.

-- 1. A nullable column with no default only touches the catalog: no table rewrite, a brief lock.
ALTER TABLE tasks ADD COLUMN organisation_id uuid;

-- 2. New rows fill it from their project, so application code that does not know the column yet
--    keeps working, and no row written from now on needs the backfill.
CREATE FUNCTION set_task_organisation_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Always derived from the project: a task cannot claim another organisation.
  SELECT p.organisation_id INTO NEW.organisation_id
    FROM projects AS p
   WHERE p.id = NEW.project_id;
  RETURN NEW;
END;
$$;

CREATE TRIGGER tasks_set_organisation_id BEFORE INSERT OR UPDATE OF project_id, organisation_id ON tasks
  FOR EACH ROW EXECUTE FUNCTION set_task_organisation_id();

-- migrate:down
DROP TRIGGER tasks_set_organisation_id ON tasks;
DROP FUNCTION set_task_organisation_id();
ALTER TABLE tasks DROP COLUMN organisation_id;
