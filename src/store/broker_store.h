#pragma once

// Durable broker state: retained messages, persistent sessions, their subscriptions and queued
// QoS 1/2 messages (docs/formats/sql-schema.md). The SQLite implementation lives in sqlite_*; a
// PostgreSQL backend will implement the same interface for the scale-out mode.
//
// Writes go through a group-commit writer: submit() enqueues a batch of operations and returns at
// once; a background thread applies every batch it has collected in one transaction and one fsync,
// then calls each batch's completion (on the writer thread: post back to your own loop).
// Loads are blocking and happen at startup, before the network is up.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace tenet::store {

// A message as stored. `properties` is an encoded MQTT 5 property block (may be empty) holding the
// properties forwarded to subscribers (payload format, content type, response topic, correlation
// data, user properties); message expiry is kept as an absolute time instead.
struct StoredMessage {
  std::uint64_t id = 0;  // unique, assigned by the broker (monotonic across restarts)
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  std::string properties;
  std::int64_t expires_at_ms = 0;  // unix ms; 0 = never
};

struct StoredSubscription {
  std::string filter;             // as subscribed, "$share/g/f" included
  std::uint8_t options = 0;       // MQTT 5 subscription options byte (QoS, NL, RAP, RH)
  std::uint32_t identifier = 0;   // 0 = none
};

// A QoS>0 message waiting for, or in flight to, a persistent session.
struct QueuedMessage {
  StoredMessage message;
  std::uint8_t qos = 0;           // QoS granted to this session (<= message.qos)
  std::uint16_t packet_id = 0;    // 0 = not yet sent
  std::uint8_t state = 0;         // 0 queued/sent PUBLISH, 1 PUBREC received (awaiting PUBCOMP)
};

struct StoredSession {
  std::string client_id;
  std::uint32_t expiry_interval_s = 0;  // 0xFFFFFFFF = never
  std::int64_t disconnected_at_ms = 0;  // 0 = was connected when the server stopped
  std::vector<StoredSubscription> subscriptions;
  std::vector<QueuedMessage> queue;     // ordered by message id
};

// One write. Sessions are keyed by client id; deleting a session deletes its subscriptions and queue.
namespace op {
struct PutRetained { StoredMessage message; };         // replaces the topic's retained message
struct DeleteRetained { std::string topic; };
struct PutSession { std::string client_id; std::uint32_t expiry_interval_s; std::int64_t disconnected_at_ms; };
struct DeleteSession { std::string client_id; };
struct PutSubscription { std::string client_id; StoredSubscription sub; };
struct DeleteSubscription { std::string client_id; std::string filter; };
// Enqueue one message for several sessions at once; the body is stored once.
struct Enqueue { StoredMessage message; std::vector<std::pair<std::string, std::uint8_t>> targets; };  // (client id, qos)
struct MarkSent { std::string client_id; std::uint64_t message_id; std::uint16_t packet_id; std::uint8_t state; };
struct Dequeue { std::string client_id; std::uint64_t message_id; };  // acked or dropped
}  // namespace op

// Semantics shared by all implementations (docs/formats/sql-schema.md):
// - Ops naming a session that does not exist are no-ops (PutSubscription, MarkSent, Dequeue, ...),
//   and Enqueue skips such targets: a session deleted while a message was being routed is not an
//   error. A body that no target references is not kept.
// - Re-enqueueing a (session, message id) pair that is already queued keeps the existing entry.
// - A batch with an invalid value (QoS above 2, state above 1, id at or above 2^63) fails as a whole
//   with kInvalidArgument; the other batches of the same group commit are unaffected.
// - load_*() also delete what they skip as expired (retained messages, and queued messages that
//   were never sent: [MQTT-3.3.2-5]); messages already in flight are kept and returned.
// - max_message_id() is a high-water mark over every id ever stored (queued or retained), so it
//   does not go down when messages are delivered.
// - A done callback given to submit() after close() runs inline on the caller's thread. flush()
//   from inside a completion does not wait (it would wait for itself); close() from inside a
//   completion stops the writer but leaves the join to the destructor. Never destroy the store
//   from a completion.
using Op = std::variant<op::PutRetained, op::DeleteRetained, op::PutSession, op::DeleteSession, op::PutSubscription,
                        op::DeleteSubscription, op::Enqueue, op::MarkSent, op::Dequeue>;

// Abstract so that the broker can be tested with an in-memory fake and PostgreSQL can come later.
// Thread-safe: submit() may be called from any thread.
class BrokerStore {
 public:
  virtual ~BrokerStore() = default;

  // Blocking; startup only. Expired messages are not returned. Errors: kUnavailable, kInternal.
  virtual core::Result<std::vector<StoredMessage>> load_retained() = 0;
  virtual core::Result<std::vector<StoredSession>> load_sessions() = 0;
  // Largest message id ever stored (0 if none), to seed the id counter.
  virtual core::Result<std::uint64_t> max_message_id() = 0;

  // Queues `ops` to be applied atomically (all or none) in the next group commit; `done` (may be
  // empty) runs on the writer thread once they are durable, or with kUnavailable/kInternal on
  // failure, or kCancelled if the store is closing.
  virtual void submit(std::vector<Op> ops, std::function<void(core::Result<void>)> done) = 0;

  // Waits until everything submitted so far is durable. Blocking.
  virtual void flush() = 0;
  // Flushes, stops the writer thread. Later submits complete with kCancelled.
  virtual void close() = 0;
};

struct SqliteOptions {
  std::string path;            // database file; created if missing
  bool synchronous_full = true;  // fsync at every commit (group commit amortises it)
  std::size_t max_batch_ops = 4096;  // upper bound of ops in one transaction
};

// Opens (creating and migrating as needed) the SQLite store in WAL mode.
// Errors: kUnavailable (cannot open), kInternal (migration failed), kConflict (schema newer than binary).
core::Result<std::unique_ptr<BrokerStore>> open_sqlite(const SqliteOptions& options);

// In-memory implementation for tests; completions run synchronously inside submit().
std::unique_ptr<BrokerStore> make_memory_store();

// As above, with the clock that decides expiry in load_*() (tests inject a fake one). `clock` must
// outlive the store. Also kInvalidArgument (empty path).
core::Result<std::unique_ptr<BrokerStore>> open_sqlite(const SqliteOptions& options, const core::Clock& clock);
std::unique_ptr<BrokerStore> make_memory_store(const core::Clock& clock);

}  // namespace tenet::store
