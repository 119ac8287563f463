-- The thing registry (issue 4): things, thing types, thing groups, group membership, thing <->
-- principal attachments, the indexing configuration. Described in docs/formats/sql-schema.md
-- ("Thing registry"). Connectivity and dynamic-group membership are derived and never stored.
-- Portable SQL. Attribute maps and lists are JSON text.

CREATE TABLE thing_types (
  name TEXT PRIMARY KEY NOT NULL,
  type_id TEXT NOT NULL,
  description TEXT NOT NULL,
  searchable_attributes TEXT NOT NULL,
  deprecated INTEGER NOT NULL CHECK (deprecated IN (0, 1)),
  deprecated_at_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

-- type_name is '' for an untyped thing (no foreign key: '' is not a type).
CREATE TABLE things (
  name TEXT PRIMARY KEY NOT NULL,
  thing_id TEXT NOT NULL,
  type_name TEXT NOT NULL,
  attributes TEXT NOT NULL,
  version BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

-- Static and dynamic groups share one name space. parent_name is '' for a root group;
-- query_string, query_version and index_name are '' for static groups.
CREATE TABLE thing_groups (
  name TEXT PRIMARY KEY NOT NULL,
  group_id TEXT NOT NULL,
  parent_name TEXT NOT NULL,
  description TEXT NOT NULL,
  attributes TEXT NOT NULL,
  version BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  dynamic INTEGER NOT NULL CHECK (dynamic IN (0, 1)),
  query_string TEXT NOT NULL,
  query_version TEXT NOT NULL,
  index_name TEXT NOT NULL
);

-- Static group membership only (dynamic membership is re-evaluated at load).
CREATE TABLE thing_group_members (
  group_name TEXT NOT NULL REFERENCES thing_groups (name) ON DELETE CASCADE,
  thing_name TEXT NOT NULL REFERENCES things (name) ON DELETE CASCADE,
  added_at_ms BIGINT NOT NULL,
  PRIMARY KEY (group_name, thing_name)
);
CREATE INDEX thing_group_members_thing ON thing_group_members (thing_name);

CREATE TABLE thing_principals (
  thing_name TEXT NOT NULL REFERENCES things (name) ON DELETE CASCADE,
  principal_arn TEXT NOT NULL,
  exclusive INTEGER NOT NULL CHECK (exclusive IN (0, 1)),
  attached_at_ms BIGINT NOT NULL,
  PRIMARY KEY (thing_name, principal_arn)
);
CREATE INDEX thing_principals_principal ON thing_principals (principal_arn);

-- Named JSON settings of the registry: 'indexing_configuration'.
CREATE TABLE registry_settings (
  name TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
);
