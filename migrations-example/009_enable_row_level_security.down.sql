DROP POLICY comments_tenant_isolation ON comments;
ALTER TABLE comments DISABLE ROW LEVEL SECURITY;

DROP POLICY tasks_tenant_isolation ON tasks;
ALTER TABLE tasks DISABLE ROW LEVEL SECURITY;

DROP POLICY projects_tenant_isolation ON projects;
ALTER TABLE projects DISABLE ROW LEVEL SECURITY;

DROP POLICY memberships_tenant_isolation ON memberships;
ALTER TABLE memberships DISABLE ROW LEVEL SECURITY;

DROP FUNCTION current_organisation_id();
