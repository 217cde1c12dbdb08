-- Labels are per organisation; a task can carry several.
CREATE TABLE labels (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  colour           text NOT NULL DEFAULT '#6b7280' CHECK (colour ~ '^#[0-9a-f]{6}$'),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX labels_organisation_id_name_key ON labels (organisation_id, lower(name));

CREATE TABLE task_labels (
  task_id   bigint NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  label_id  bigint NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
  PRIMARY KEY (task_id, label_id)
);
CREATE INDEX task_labels_label_id_idx ON task_labels (label_id);

ALTER TABLE labels ENABLE ROW LEVEL SECURITY;
CREATE POLICY labels_tenant_isolation ON labels
  USING (organisation_id = current_organisation_id())
  WITH CHECK (organisation_id = current_organisation_id());

ALTER TABLE task_labels ENABLE ROW LEVEL SECURITY;
CREATE POLICY task_labels_tenant_isolation ON task_labels
  USING (EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = task_labels.task_id))
  WITH CHECK (EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = task_labels.task_id));
