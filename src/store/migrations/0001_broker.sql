-- Broker state: retained messages, persistent sessions, their subscriptions and queued messages.
-- Described in docs/formats/sql-schema.md. Portable SQL: PostgreSQL runs the same file with BLOB
-- read as BYTEA. Unsigned 64-bit ids are stored as BIGINT and must stay below 2^63.

CREATE TABLE retained (
  topic TEXT PRIMARY KEY NOT NULL,
  id BIGINT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL CHECK (qos BETWEEN 0 AND 2),
  retain INTEGER NOT NULL CHECK (retain IN (0, 1)),
  properties BLOB NOT NULL,
  expires_at_ms BIGINT NOT NULL
);

CREATE TABLE sessions (
  client_id TEXT PRIMARY KEY NOT NULL,
  expiry_interval_s BIGINT NOT NULL,
  disconnected_at_ms BIGINT NOT NULL
);

CREATE TABLE subscriptions (
  client_id TEXT NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
  filter TEXT NOT NULL,
  options INTEGER NOT NULL,
  identifier BIGINT NOT NULL,
  PRIMARY KEY (client_id, filter)
);

-- Message bodies, stored once however many sessions queue them; a row lives while some
-- session_queue row references it.
CREATE TABLE messages (
  id BIGINT PRIMARY KEY NOT NULL,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  qos INTEGER NOT NULL CHECK (qos BETWEEN 0 AND 2),
  retain INTEGER NOT NULL CHECK (retain IN (0, 1)),
  properties BLOB NOT NULL,
  expires_at_ms BIGINT NOT NULL
);

CREATE TABLE session_queue (
  client_id TEXT NOT NULL REFERENCES sessions (client_id) ON DELETE CASCADE,
  message_id BIGINT NOT NULL REFERENCES messages (id),
  qos INTEGER NOT NULL CHECK (qos BETWEEN 0 AND 2),
  packet_id INTEGER NOT NULL CHECK (packet_id BETWEEN 0 AND 65535),
  state INTEGER NOT NULL CHECK (state IN (0, 1)),
  PRIMARY KEY (client_id, message_id)
);

-- "Is this body still referenced?" after a dequeue, and the foreign key check on messages.
CREATE INDEX session_queue_message_id ON session_queue (message_id);

-- Small named counters. max_message_id is the high-water mark of message ids ever stored, so that
-- ids stay monotonic across restarts even after every queued message has been delivered.
CREATE TABLE store_meta (
  name TEXT PRIMARY KEY NOT NULL,
  value BIGINT NOT NULL
);

INSERT INTO store_meta (name, value) VALUES ('max_message_id', 0);
