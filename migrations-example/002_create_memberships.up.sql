-- Who belongs to which organisation, and with what rights.
CREATE TYPE member_role AS ENUM ('owner', 'admin', 'member', 'viewer');

CREATE TABLE memberships (
  organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role             member_role NOT NULL DEFAULT 'member',
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, user_id)
);

-- "Which organisations is this user in?" reads by user_id, which the primary key does not lead with.
CREATE INDEX memberships_user_id_idx ON memberships (user_id);
