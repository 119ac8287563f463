// The SQLite BrokerStore: one connection, one group-commit writer thread
// (contract in broker_store.h and docs/formats/sql-schema.md).

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/log.h"
#include "store/broker_store.h"
#include "store/detail/ops.h"
#include "store/migrate.h"
#include "store/sqlite.h"

namespace tenet::store {
namespace {

// ---- SQL (SQLite dialect of standard SQL; the PostgreSQL backend will keep its own copy) ----

constexpr std::string_view kPutRetained =
    "INSERT INTO retained (topic, id, payload, qos, retain, properties, expires_at_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (topic) DO UPDATE SET id = excluded.id, payload = excluded.payload, qos = excluded.qos,"
    " retain = excluded.retain, properties = excluded.properties, expires_at_ms = excluded.expires_at_ms";
constexpr std::string_view kDeleteRetained = "DELETE FROM retained WHERE topic = ?1";
constexpr std::string_view kBumpMaxId =
    "UPDATE store_meta SET value = ?1 WHERE name = 'max_message_id' AND value < ?1";
constexpr std::string_view kPutSession =
    "INSERT INTO sessions (client_id, expiry_interval_s, disconnected_at_ms) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (client_id) DO UPDATE SET expiry_interval_s = excluded.expiry_interval_s,"
    " disconnected_at_ms = excluded.disconnected_at_ms";
constexpr std::string_view kSessionQueueIds = "SELECT message_id FROM session_queue WHERE client_id = ?1";
constexpr std::string_view kDeleteSessionQueue = "DELETE FROM session_queue WHERE client_id = ?1";
constexpr std::string_view kDeleteSessionSubscriptions = "DELETE FROM subscriptions WHERE client_id = ?1";
constexpr std::string_view kDeleteSession = "DELETE FROM sessions WHERE client_id = ?1";
// The WHERE makes writes for a vanished session no-ops (and resolves SQLite's INSERT ... SELECT
// ... ON CONFLICT parsing ambiguity).
constexpr std::string_view kPutSubscription =
    "INSERT INTO subscriptions (client_id, filter, options, identifier)"
    " SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM sessions WHERE client_id = ?1)"
    " ON CONFLICT (client_id, filter) DO UPDATE SET options = excluded.options, identifier = excluded.identifier";
constexpr std::string_view kDeleteSubscription = "DELETE FROM subscriptions WHERE client_id = ?1 AND filter = ?2";
constexpr std::string_view kInsertMessage =
    "INSERT INTO messages (id, topic, payload, qos, retain, properties, expires_at_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING";
constexpr std::string_view kInsertQueue =
    "INSERT INTO session_queue (client_id, message_id, qos, packet_id, state)"
    " SELECT ?1, ?2, ?3, 0, 0 WHERE EXISTS (SELECT 1 FROM sessions WHERE client_id = ?1)"
    " ON CONFLICT (client_id, message_id) DO NOTHING";
constexpr std::string_view kDeleteIfUnreferenced =
    "DELETE FROM messages WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM session_queue WHERE message_id = ?1)";
constexpr std::string_view kMarkSent =
    "UPDATE session_queue SET packet_id = ?3, state = ?4 WHERE client_id = ?1 AND message_id = ?2";
constexpr std::string_view kDequeue = "DELETE FROM session_queue WHERE client_id = ?1 AND message_id = ?2";

constexpr std::string_view kPurgeRetained = "DELETE FROM retained WHERE expires_at_ms <> 0 AND expires_at_ms < ?1";
constexpr std::string_view kSelectRetained =
    "SELECT id, topic, payload, qos, retain, properties, expires_at_ms FROM retained ORDER BY topic";
// [MQTT-3.3.2-5]: only copies whose delivery has not started (packet_id 0) expire.
constexpr std::string_view kPurgeQueue =
    "DELETE FROM session_queue WHERE packet_id = 0 AND message_id IN"
    " (SELECT id FROM messages WHERE expires_at_ms <> 0 AND expires_at_ms < ?1)";
// Also sweeps bodies orphaned by anything else (e.g. the ON DELETE CASCADE safety net).
constexpr std::string_view kPurgeOrphans =
    "DELETE FROM messages WHERE NOT EXISTS (SELECT 1 FROM session_queue q WHERE q.message_id = messages.id)";
constexpr std::string_view kSelectSessions =
    "SELECT client_id, expiry_interval_s, disconnected_at_ms FROM sessions ORDER BY client_id";
constexpr std::string_view kSelectSubscriptions =
    "SELECT client_id, filter, options, identifier FROM subscriptions ORDER BY client_id, filter";
constexpr std::string_view kSelectQueue =
    "SELECT q.client_id, q.qos, q.packet_id, q.state,"
    " m.id, m.topic, m.payload, m.qos, m.retain, m.properties, m.expires_at_ms"
    " FROM session_queue q JOIN messages m ON m.id = q.message_id ORDER BY q.client_id, q.message_id";
constexpr std::string_view kSelectMaxId =
    "SELECT MAX(v) FROM (SELECT value AS v FROM store_meta WHERE name = 'max_message_id'"
    " UNION ALL SELECT MAX(id) FROM messages UNION ALL SELECT MAX(id) FROM retained) AS ids";

using Done = std::function<void(core::Result<void>)>;

// One submit(): applied all-or-none.
struct Batch {
  std::vector<Op> ops;
  Done done;
};

std::int64_t as_db_id(std::uint64_t id) { return static_cast<std::int64_t>(id); }  // < 2^63: validated

// Prepares (cached), binds and runs one statement.
template <typename BindFn>
core::Result<void> run(Db& db, std::string_view sql, BindFn&& bind) {
  auto stmt = db.cached(sql);
  if (!stmt) return core::propagate(std::move(stmt));
  bind(**stmt);
  return (*stmt)->run();
}

// Reads a StoredMessage from columns first..first+6 in the order id, topic, payload, qos, retain,
// properties, expires_at_ms.
StoredMessage read_message(const Stmt& s, int first) {
  StoredMessage m;
  m.id = static_cast<std::uint64_t>(s.column_int(first));
  m.topic = s.column_text(first + 1);
  m.payload = s.column_blob(first + 2);
  m.qos = static_cast<std::uint8_t>(s.column_int(first + 3));
  m.retain = s.column_int(first + 4) != 0;
  m.properties = s.column_blob(first + 5);
  m.expires_at_ms = s.column_int(first + 6);
  return m;
}

void complete(Done& done, const core::Result<void>& result) {
  if (!done) return;
  // The thread boundary: a throwing completion must not take the writer down.
  try {
    done(result);
  } catch (const std::exception& e) {
    core::log::error("store: a write completion threw: {}", e.what());
  } catch (...) {
    core::log::error("store: a write completion threw a non-exception");
  }
}

// Thread-safe. Writes are queued to one writer thread that applies everything pending in one
// transaction (group commit). The queue is unbounded in count on purpose: every submit() is a
// write the broker has already decided to make durable (and may have acknowledged on that
// basis), so dropping or refusing it would lose data; backpressure is the broker's job (it
// bounds in-flight messages per session and waits for completions).
class SqliteStore final : public BrokerStore {
 public:
  SqliteStore(Db db, const SqliteOptions& options, const core::Clock& clock)
      : clock_(clock), max_batch_ops_(std::max<std::size_t>(options.max_batch_ops, 1)), db_(std::move(db)) {
    writer_ = std::thread([this] { run_writer(); });
    writer_id_ = writer_.get_id();
  }
  ~SqliteStore() override { close(); }

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  core::Result<std::vector<StoredMessage>> load_retained() override;
  core::Result<std::vector<StoredSession>> load_sessions() override;
  core::Result<std::uint64_t> max_message_id() override;
  void submit(std::vector<Op> ops, Done done) override;
  void flush() override;
  void close() override;

 private:
  void run_writer();
  // Applies `group` in one transaction, or batch by batch if that fails, and completes each batch.
  void commit_group(std::span<Batch> group);
  // One transaction over `batches`. Takes db_mu_.
  core::Result<void> apply_batches(std::span<Batch> batches);
  core::Result<void> apply(Db& db, const Op& op);

  const core::Clock& clock_;
  const std::size_t max_batch_ops_;

  std::mutex db_mu_;       // held by the writer while it commits and by loads
  std::optional<Db> db_;   // guarded by db_mu_; reset by close() once the writer has stopped

  std::mutex mu_;
  std::condition_variable work_cv_;  // the writer waits for queue_ or closing_
  std::condition_variable done_cv_;  // flush() waits for completed_
  std::deque<Batch> queue_;          // guarded by mu_
  std::uint64_t submitted_ = 0;      // guarded by mu_: batches accepted
  std::uint64_t completed_ = 0;      // guarded by mu_: batches whose done has run
  bool closing_ = false;             // guarded by mu_

  std::mutex join_mu_;  // serialises concurrent close() calls around the join
  std::thread writer_;
  std::thread::id writer_id_;
};

void SqliteStore::submit(std::vector<Op> ops, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!closing_) {
      queue_.push_back(Batch{std::move(ops), std::move(done)});
      ++submitted_;
      work_cv_.notify_one();
      return;
    }
  }
  complete(done, core::fail(core::Errc::kCancelled, "store is closed"));
}

void SqliteStore::flush() {
  std::unique_lock lock(mu_);
  if (std::this_thread::get_id() == writer_id_) return;  // inside a completion: would wait for itself
  const std::uint64_t target = submitted_;
  done_cv_.wait(lock, [&] { return completed_ >= target; });
}

void SqliteStore::close() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  work_cv_.notify_one();
  if (std::this_thread::get_id() == writer_id_) return;  // the destructor joins
  std::lock_guard join_lock(join_mu_);
  if (writer_.joinable()) writer_.join();  // the writer drains the queue before it exits
  std::lock_guard db_lock(db_mu_);
  db_.reset();  // releases the file (and checkpoints the WAL)
}

void SqliteStore::run_writer() {
  for (;;) {
    std::vector<Batch> group;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing and drained
      // Whole batches only, up to max_batch_ops_ ops (at least one batch, however large).
      std::size_t ops = 0;
      while (!queue_.empty()) {
        const std::size_t n = queue_.front().ops.size();
        if (!group.empty() && ops + n > max_batch_ops_) break;
        ops += n;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_group(group);
    {
      std::lock_guard lock(mu_);
      completed_ += group.size();
    }
    done_cv_.notify_all();
  }
}

void SqliteStore::commit_group(std::span<Batch> group) {
  core::Result<void> r = apply_batches(group);
  if (r || group.size() == 1) {
    for (Batch& b : group) complete(b.done, r);
    return;
  }
  // Some batch failed and rolled the group back: retry one by one so only that batch fails.
  for (Batch& b : group) complete(b.done, apply_batches(std::span(&b, 1)));
}

core::Result<void> SqliteStore::apply_batches(std::span<Batch> batches) {
  std::lock_guard lock(db_mu_);
  if (!db_) return core::fail(core::Errc::kCancelled, "store is closed");
  // The thread boundary for everything below (e.g. bad_alloc while binding a huge batch).
  try {
    auto txn = Txn::begin(*db_, Txn::Mode::kImmediate);
    if (!txn) return core::propagate(std::move(txn));
    for (const Batch& b : batches) {
      if (auto valid = detail::validate(b.ops); !valid) return valid;
      for (const Op& op : b.ops) {
        if (auto r = apply(*db_, op); !r) return r;
      }
    }
    return txn->commit();
  } catch (const std::exception& e) {
    return core::fail(core::Errc::kInternal, std::string("store writer: ") + e.what());
  }
}

core::Result<void> SqliteStore::apply(Db& db, const Op& op) {
  auto remove_if_unreferenced = [&db](std::uint64_t id) {
    return run(db, kDeleteIfUnreferenced, [&](Stmt& s) { s.bind(1, as_db_id(id)); });
  };
  auto bump_max_id = [&db](std::uint64_t id) {
    return run(db, kBumpMaxId, [&](Stmt& s) { s.bind(1, as_db_id(id)); });
  };
  return std::visit(
      [&](const auto& o) -> core::Result<void> {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, op::PutRetained>) {
          const StoredMessage& m = o.message;
          auto r = run(db, kPutRetained, [&](Stmt& s) {
            s.bind_text(1, m.topic).bind(2, as_db_id(m.id)).bind_blob(3, m.payload).bind(4, m.qos);
            s.bind(5, m.retain ? 1 : 0).bind_blob(6, m.properties).bind(7, m.expires_at_ms);
          });
          if (!r) return core::fail(std::move(r).error().with_context("PutRetained"));
          return bump_max_id(m.id);
        } else if constexpr (std::is_same_v<T, op::DeleteRetained>) {
          return run(db, kDeleteRetained, [&](Stmt& s) { s.bind_text(1, o.topic); });
        } else if constexpr (std::is_same_v<T, op::PutSession>) {
          return run(db, kPutSession, [&](Stmt& s) {
            s.bind_text(1, o.client_id).bind(2, o.expiry_interval_s).bind(3, o.disconnected_at_ms);
          });
        } else if constexpr (std::is_same_v<T, op::DeleteSession>) {
          std::vector<std::uint64_t> ids;
          {
            auto stmt = db.cached(kSessionQueueIds);
            if (!stmt) return core::propagate(std::move(stmt));
            (*stmt)->bind_text(1, o.client_id);
            for (;;) {
              auto row = (*stmt)->step();
              if (!row) return core::propagate(std::move(row));
              if (!*row) break;
              ids.push_back(static_cast<std::uint64_t>((*stmt)->column_int(0)));
            }
          }
          for (std::string_view sql : {kDeleteSessionQueue, kDeleteSessionSubscriptions, kDeleteSession}) {
            if (auto r = run(db, sql, [&](Stmt& s) { s.bind_text(1, o.client_id); }); !r) {
              return core::fail(std::move(r).error().with_context("DeleteSession"));
            }
          }
          for (std::uint64_t id : ids) {
            if (auto r = remove_if_unreferenced(id); !r) return r;
          }
          return {};
        } else if constexpr (std::is_same_v<T, op::PutSubscription>) {
          return run(db, kPutSubscription, [&](Stmt& s) {
            s.bind_text(1, o.client_id).bind_text(2, o.sub.filter).bind(3, o.sub.options).bind(4, o.sub.identifier);
          });
        } else if constexpr (std::is_same_v<T, op::DeleteSubscription>) {
          return run(db, kDeleteSubscription, [&](Stmt& s) { s.bind_text(1, o.client_id).bind_text(2, o.filter); });
        } else if constexpr (std::is_same_v<T, op::Enqueue>) {
          const StoredMessage& m = o.message;
          auto r = run(db, kInsertMessage, [&](Stmt& s) {
            s.bind(1, as_db_id(m.id)).bind_text(2, m.topic).bind_blob(3, m.payload).bind(4, m.qos);
            s.bind(5, m.retain ? 1 : 0).bind_blob(6, m.properties).bind(7, m.expires_at_ms);
          });
          if (!r) return core::fail(std::move(r).error().with_context("Enqueue"));
          if (r = bump_max_id(m.id); !r) return r;
          bool queued = false;
          for (const auto& target : o.targets) {  // (client id, qos); not a structured binding: clang 14
            r = run(db, kInsertQueue,
                    [&](Stmt& s) { s.bind_text(1, target.first).bind(2, as_db_id(m.id)).bind(3, target.second); });
            if (!r) return core::fail(std::move(r).error().with_context("Enqueue"));
            queued = queued || db.changes() > 0;
          }
          // Every target was gone: do not keep a body nobody references (unless queued earlier).
          return queued ? core::Result<void>{} : remove_if_unreferenced(m.id);
        } else if constexpr (std::is_same_v<T, op::MarkSent>) {
          return run(db, kMarkSent, [&](Stmt& s) {
            s.bind_text(1, o.client_id).bind(2, as_db_id(o.message_id)).bind(3, o.packet_id).bind(4, o.state);
          });
        } else if constexpr (std::is_same_v<T, op::Dequeue>) {
          auto r = run(db, kDequeue, [&](Stmt& s) { s.bind_text(1, o.client_id).bind(2, as_db_id(o.message_id)); });
          if (!r) return r;
          return remove_if_unreferenced(o.message_id);
        }
      },
      op);
}

core::Result<std::vector<StoredMessage>> SqliteStore::load_retained() {
  std::lock_guard lock(db_mu_);
  if (!db_) return core::fail(core::Errc::kUnavailable, "store is closed");
  const std::int64_t now = clock_.unix_ms();
  auto txn = Txn::begin(*db_, Txn::Mode::kImmediate);
  if (!txn) return core::propagate(std::move(txn));
  if (auto r = run(*db_, kPurgeRetained, [&](Stmt& s) { s.bind(1, now); }); !r) return core::propagate(std::move(r));
  std::vector<StoredMessage> out;
  {
    auto stmt = db_->cached(kSelectRetained);
    if (!stmt) return core::propagate(std::move(stmt));
    for (;;) {
      auto row = (*stmt)->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      out.push_back(read_message(**stmt, 0));
    }
  }
  if (auto r = txn->commit(); !r) return core::propagate(std::move(r));
  return out;
}

core::Result<std::vector<StoredSession>> SqliteStore::load_sessions() {
  std::lock_guard lock(db_mu_);
  if (!db_) return core::fail(core::Errc::kUnavailable, "store is closed");
  Db& db = *db_;
  const std::int64_t now = clock_.unix_ms();
  auto txn = Txn::begin(db, Txn::Mode::kImmediate);
  if (!txn) return core::propagate(std::move(txn));
  if (auto r = run(db, kPurgeQueue, [&](Stmt& s) { s.bind(1, now); }); !r) return core::propagate(std::move(r));
  if (auto r = run(db, kPurgeOrphans, [](Stmt&) {}); !r) return core::propagate(std::move(r));

  std::vector<StoredSession> out;
  std::unordered_map<std::string, std::size_t> index;  // client id -> position in out
  // Steps `sql` and hands each row to `on_row`.
  auto for_each_row = [&db](std::string_view sql, auto&& on_row) -> core::Result<void> {
    auto stmt = db.cached(sql);
    if (!stmt) return core::propagate(std::move(stmt));
    for (;;) {
      auto row = (*stmt)->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) return {};
      on_row(**stmt);
    }
  };
  auto r = for_each_row(kSelectSessions, [&](const Stmt& s) {
    StoredSession session;
    session.client_id = s.column_text(0);
    session.expiry_interval_s = static_cast<std::uint32_t>(s.column_int(1));
    session.disconnected_at_ms = s.column_int(2);
    index.emplace(session.client_id, out.size());
    out.push_back(std::move(session));
  });
  if (!r) return core::propagate(std::move(r));
  r = for_each_row(kSelectSubscriptions, [&](const Stmt& s) {
    auto it = index.find(s.column_text(0));
    if (it == index.end()) return;  // impossible with foreign keys on
    out[it->second].subscriptions.push_back(StoredSubscription{
        s.column_text(1), static_cast<std::uint8_t>(s.column_int(2)), static_cast<std::uint32_t>(s.column_int(3))});
  });
  if (!r) return core::propagate(std::move(r));
  r = for_each_row(kSelectQueue, [&](const Stmt& s) {
    auto it = index.find(s.column_text(0));
    if (it == index.end()) return;
    QueuedMessage q;
    q.qos = static_cast<std::uint8_t>(s.column_int(1));
    q.packet_id = static_cast<std::uint16_t>(s.column_int(2));
    q.state = static_cast<std::uint8_t>(s.column_int(3));
    q.message = read_message(s, 4);
    out[it->second].queue.push_back(std::move(q));
  });
  if (!r) return core::propagate(std::move(r));
  if (r = txn->commit(); !r) return core::propagate(std::move(r));
  return out;
}

core::Result<std::uint64_t> SqliteStore::max_message_id() {
  std::lock_guard lock(db_mu_);
  if (!db_) return core::fail(core::Errc::kUnavailable, "store is closed");
  auto stmt = db_->cached(kSelectMaxId);
  if (!stmt) return core::propagate(std::move(stmt));
  auto row = (*stmt)->step();
  if (!row) return core::propagate(std::move(row));
  if (!*row || (*stmt)->column_is_null(0)) return std::uint64_t{0};
  return static_cast<std::uint64_t>((*stmt)->column_int(0));
}

}  // namespace

core::Result<std::unique_ptr<BrokerStore>> open_sqlite(const SqliteOptions& options, const core::Clock& clock) {
  if (options.path.empty()) return core::fail(core::Errc::kInvalidArgument, "store: empty database path");
  DbOptions db_options;
  db_options.path = options.path;
  db_options.synchronous_full = options.synchronous_full;
  auto db = Db::open(db_options);
  if (!db) return core::propagate(std::move(db));
  if (auto v = migrate(*db, embedded_migrations(), clock.unix_ms()); !v) {
    return core::fail(std::move(v).error().with_context("migrating " + options.path));
  }
  try {
    return std::unique_ptr<BrokerStore>(std::make_unique<SqliteStore>(std::move(*db), options, clock));
  } catch (const std::system_error& e) {  // the writer thread could not start
    return core::fail(core::Errc::kUnavailable, std::string("store: starting the writer: ") + e.what());
  }
}

core::Result<std::unique_ptr<BrokerStore>> open_sqlite(const SqliteOptions& options) {
  static const core::SystemClock clock;
  return open_sqlite(options, clock);
}

}  // namespace tenet::store
