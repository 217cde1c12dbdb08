-- migrate:up
-- Keeps updated_at honest whatever client writes the row. Later tables attach the same function.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- An UPDATE that changes nothing keeps its timestamp, and so does a backfill: a migration that
  -- fills a new column says so with SET LOCAL app.backfill = 'on' (see 008).
  IF NEW IS DISTINCT FROM OLD AND current_setting('app.backfill', true) IS DISTINCT FROM 'on' THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER organisations_set_updated_at BEFORE UPDATE ON organisations
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER projects_set_updated_at BEFORE UPDATE ON projects
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- migrate:down
DROP TRIGGER projects_set_updated_at ON projects;
DROP TRIGGER users_set_updated_at ON users;
DROP TRIGGER organisations_set_updated_at ON organisations;
DROP FUNCTION set_updated_at();
