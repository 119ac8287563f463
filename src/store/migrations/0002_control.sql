-- Control plane: operator access keys, resource tags, idempotency tokens.
-- Described in docs/formats/sql-schema.md.

-- An operator's SigV4 access key. The secret is sealed with AES-256-GCM under the data dir's
-- master.key (nonce || ciphertext || tag), so the database alone cannot sign requests.
-- session_token is set for temporary credentials, which also have expires_at_ms > 0.
CREATE TABLE access_keys (
  access_key_id TEXT PRIMARY KEY NOT NULL,
  sealed_secret BLOB NOT NULL,
  session_token TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
  description TEXT NOT NULL DEFAULT '',
  policy TEXT NOT NULL DEFAULT '',
  bootstrap INTEGER NOT NULL DEFAULT 0 CHECK (bootstrap IN (0, 1)),
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL DEFAULT 0,
  last_used_at_ms BIGINT NOT NULL DEFAULT 0
);

-- Tags of any taggable resource, keyed by its ARN.
CREATE TABLE tags (
  resource_arn TEXT NOT NULL,
  tag_key TEXT NOT NULL,
  tag_value TEXT NOT NULL,
  PRIMARY KEY (resource_arn, tag_key)
);

-- clientRequestToken idempotency: the first response to (operation, token) is replayed for a
-- retry with the same request, and a different request with a used token is a conflict.
CREATE TABLE idempotency_tokens (
  operation TEXT NOT NULL,
  token TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  response TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (operation, token)
);
