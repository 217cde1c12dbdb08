-- migrate:up
-- Tasks get their organisation's id, so row-level security (migration 008) can filter them without
-- a join. Expand, backfill, then constrain; the whole migration is one transaction, so readers never
-- see a half-filled column.

-- 1. A nullable column with no default only touches the catalog: no table rewrite.
ALTER TABLE tasks ADD COLUMN organisation_id uuid;

-- 2. New rows fill it from their project, so application code that does not know the column yet
--    keeps working.
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

-- 3. Backfill the existing rows. Only rows still NULL: running it again changes nothing. A backfill
--    is not an edit, so updated_at keeps its value (its trigger is off for this one statement).
ALTER TABLE tasks DISABLE TRIGGER tasks_set_updated_at;
UPDATE tasks AS t
   SET organisation_id = p.organisation_id
  FROM projects AS p
 WHERE p.id = t.project_id
   AND t.organisation_id IS NULL;
ALTER TABLE tasks ENABLE TRIGGER tasks_set_updated_at;

-- 4. Only now constrain: a task stays in its project's organisation, and always has one.
ALTER TABLE projects ADD CONSTRAINT projects_id_organisation_id_key UNIQUE (id, organisation_id);
ALTER TABLE tasks
  ADD CONSTRAINT tasks_project_organisation_fkey FOREIGN KEY (project_id, organisation_id)
    REFERENCES projects (id, organisation_id) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE tasks ALTER COLUMN organisation_id SET NOT NULL;

-- migrate:down
DROP TRIGGER tasks_set_organisation_id ON tasks;
DROP FUNCTION set_task_organisation_id();
ALTER TABLE tasks DROP COLUMN organisation_id;
ALTER TABLE projects DROP CONSTRAINT projects_id_organisation_id_key;
