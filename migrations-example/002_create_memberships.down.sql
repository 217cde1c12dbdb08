DROP TABLE memberships;
DROP TYPE member_role;
