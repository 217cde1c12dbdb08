-- migrate:up
-- Fill organisation_id on the tasks written before migration 007, then constrain it. The UPDATE comes
-- first and takes only row locks: readers carry on, and a writer waits only for the rows it touches.
-- (On a big table, backfill in batches, one migration or job per few thousand rows.)

-- 1. A backfill is not an edit: set_updated_at() (004) leaves updated_at alone while app.backfill is
--    on. SET LOCAL ends with this migration's transaction, and a custom setting needs no privilege.
--    Only rows still NULL: running it again changes nothing.
SET LOCAL app.backfill = 'on';
UPDATE tasks AS t
   SET organisation_id = p.organisation_id
  FROM projects AS p
 WHERE p.id = t.project_id
   AND t.organisation_id IS NULL;

-- 2. Only now constrain: a task stays in its project's organisation, and always has one. These locks
--    are taken after the backfill, not held through it.
ALTER TABLE projects ADD CONSTRAINT projects_id_organisation_id_key UNIQUE (id, organisation_id);
ALTER TABLE tasks
  ADD CONSTRAINT tasks_project_organisation_fkey FOREIGN KEY (project_id, organisation_id)
    REFERENCES projects (id, organisation_id) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE tasks ALTER COLUMN organisation_id SET NOT NULL;

-- migrate:down
-- The filled values stay: they are what the trigger of 007 would have written anyway.
ALTER TABLE tasks ALTER COLUMN organisation_id DROP NOT NULL;
ALTER TABLE tasks DROP CONSTRAINT tasks_project_organisation_fkey;
ALTER TABLE projects DROP CONSTRAINT projects_id_organisation_id_key;
