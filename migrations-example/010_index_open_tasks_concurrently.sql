-- migrate:up transaction:false
-- Indexes on tables that already hold data, built without blocking writes. CREATE INDEX CONCURRENTLY
-- cannot run in a transaction, so this migration runs statement by statement. IF NOT EXISTS makes a
-- retry safe after a partial run; a failed build leaves an INVALID index that must be dropped first.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_assignee_open_idx
  ON tasks (assignee_id, due_date)
  WHERE status <> 'done';

CREATE INDEX CONCURRENTLY IF NOT EXISTS comments_task_id_created_at_idx
  ON comments (task_id, created_at);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS comments_task_id_created_at_idx;
DROP INDEX CONCURRENTLY IF EXISTS tasks_assignee_open_idx;
