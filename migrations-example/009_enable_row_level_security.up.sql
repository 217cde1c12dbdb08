-- Tenant isolation: a session sees only the organisation it names with
--   SET app.organisation_id = '<uuid>';   (or set_config('app.organisation_id', …, true) per transaction)
-- A session that names none sees nothing. Table owners and superusers bypass these policies (no
-- FORCE ROW LEVEL SECURITY), so migrations and admin jobs are unaffected; the application should
-- connect as a role that does not own the tables.
CREATE FUNCTION current_organisation_id() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('app.organisation_id', true), '')::uuid
$$;

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY memberships_tenant_isolation ON memberships
  USING (organisation_id = current_organisation_id())
  WITH CHECK (organisation_id = current_organisation_id());

ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
CREATE POLICY projects_tenant_isolation ON projects
  USING (organisation_id = current_organisation_id())
  WITH CHECK (organisation_id = current_organisation_id());

ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tasks_tenant_isolation ON tasks
  USING (organisation_id = current_organisation_id())
  WITH CHECK (organisation_id = current_organisation_id());

-- Comments have no organisation column: they follow their task, which its own policy already filters.
ALTER TABLE comments ENABLE ROW LEVEL SECURITY;
CREATE POLICY comments_tenant_isolation ON comments
  USING (EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = comments.task_id))
  WITH CHECK (EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = comments.task_id));
