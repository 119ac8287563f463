-- Policies (issue 5): the policy store of src/policies (docs/policy.md#policy-operations).
-- Described in docs/formats/sql-schema.md ("Policies").

-- A named policy. Version ids are per-policy integers; last_version_id is the highest ever issued,
-- so ids are never reused after DeletePolicyVersion. default_version_id names a policy_versions row.
CREATE TABLE policies (
  policy_name TEXT PRIMARY KEY NOT NULL,
  default_version_id BIGINT NOT NULL,
  last_version_id BIGINT NOT NULL,
  generation_id TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  modified_at_ms BIGINT NOT NULL
);

-- The immutable versions of a policy (at most 5), each a policy document as submitted.
CREATE TABLE policy_versions (
  policy_name TEXT NOT NULL REFERENCES policies (policy_name) ON DELETE CASCADE,
  version_id BIGINT NOT NULL,
  document TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (policy_name, version_id)
);

-- A policy attached to a target: a certificate ARN (...:cert/<id>) or a thing-group ARN
-- (...:thinggroup/<name>).
CREATE TABLE policy_targets (
  policy_name TEXT NOT NULL REFERENCES policies (policy_name) ON DELETE CASCADE,
  target_arn TEXT NOT NULL,
  attached_at_ms BIGINT NOT NULL,
  PRIMARY KEY (policy_name, target_arn)
);
CREATE INDEX policy_targets_target ON policy_targets (target_arn);
