#include "store/broker_store.h"

#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/memory_store.h"
#include "store/migrate.h"
#include "store/sqlite.h"

namespace tenet::store {

// Equality and printing for the stored structs, found by ADL from GoogleTest's macros.
bool operator==(const StoredMessage& a, const StoredMessage& b) {
  return a.id == b.id && a.topic == b.topic && a.payload == b.payload && a.qos == b.qos && a.retain == b.retain &&
         a.properties == b.properties && a.expires_at_ms == b.expires_at_ms;
}
bool operator==(const StoredSubscription& a, const StoredSubscription& b) {
  return a.filter == b.filter && a.options == b.options && a.identifier == b.identifier;
}
bool operator==(const QueuedMessage& a, const QueuedMessage& b) {
  return a.message == b.message && a.qos == b.qos && a.packet_id == b.packet_id && a.state == b.state;
}
bool operator==(const StoredSession& a, const StoredSession& b) {
  return a.client_id == b.client_id && a.expiry_interval_s == b.expiry_interval_s &&
         a.disconnected_at_ms == b.disconnected_at_ms && a.subscriptions == b.subscriptions && a.queue == b.queue;
}
std::ostream& operator<<(std::ostream& os, const StoredMessage& m) {
  return os << "{id=" << m.id << " topic=" << m.topic << " payload=" << m.payload.size() << "B qos=" << int{m.qos}
            << " retain=" << m.retain << " props=" << m.properties.size() << "B expires=" << m.expires_at_ms << "}";
}
std::ostream& operator<<(std::ostream& os, const StoredSubscription& s) {
  return os << "{" << s.filter << " options=" << int{s.options} << " id=" << s.identifier << "}";
}
std::ostream& operator<<(std::ostream& os, const QueuedMessage& q) {
  return os << "{" << q.message << " qos=" << int{q.qos} << " packet_id=" << q.packet_id << " state=" << int{q.state}
            << "}";
}
std::ostream& operator<<(std::ostream& os, const StoredSession& s) {
  os << "{" << s.client_id << " expiry=" << s.expiry_interval_s << " disconnected=" << s.disconnected_at_ms << " subs=[";
  for (const auto& sub : s.subscriptions) os << sub;
  os << "] queue=[";
  for (const auto& q : s.queue) os << q;
  return os << "]}";
}

namespace {

using core::Errc;
namespace fs = std::filesystem;

class FakeClock final : public core::Clock {
 public:
  std::chrono::steady_clock::time_point now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  std::chrono::system_clock::time_point wall() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void set_unix_ms(std::int64_t ms) { ms_.store(ms); }

 private:
  std::atomic<std::int64_t> ms_{1'000'000};
};

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tenet_store_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

StoredMessage message(std::uint64_t id, std::string topic, std::string payload, std::uint8_t qos = 1,
                      std::int64_t expires_at_ms = 0) {
  StoredMessage m;
  m.id = id;
  m.topic = std::move(topic);
  m.payload = std::move(payload);
  m.qos = qos;
  m.expires_at_ms = expires_at_ms;
  return m;
}

StoredMessage retained(std::uint64_t id, std::string topic, std::string payload, std::int64_t expires_at_ms = 0) {
  StoredMessage m = message(id, std::move(topic), std::move(payload), 1, expires_at_ms);
  m.retain = true;
  return m;
}

std::vector<std::string> topics(const std::vector<StoredMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.topic);
  return out;
}

std::vector<std::uint64_t> queued_ids(const StoredSession& s) {
  std::vector<std::uint64_t> out;
  for (const auto& q : s.queue) out.push_back(q.message.id);
  return out;
}

// Submits and waits for the completion, wherever it runs.
core::Result<void> apply(BrokerStore& store, std::vector<Op> ops) {
  std::promise<core::Result<void>> promise;
  auto future = promise.get_future();
  store.submit(std::move(ops), [&promise](core::Result<void> r) { promise.set_value(std::move(r)); });
  return future.get();
}

core::Result<std::int64_t> count_rows(const fs::path& db_path, const std::string& table) {
  auto db = Db::open(DbOptions{.path = db_path.string(), .create = false});
  if (!db) return core::propagate(std::move(db));
  auto stmt = db->prepare("SELECT COUNT(*) FROM " + table);
  if (!stmt) return core::propagate(std::move(stmt));
  auto row = stmt->step();
  if (!row) return core::propagate(std::move(row));
  return stmt->column_int(0);
}

// ---- Both implementations ----

enum class Backend { kMemory, kSqlite };

class BrokerStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { store_ = open(); }

  bool sqlite() const { return GetParam() == Backend::kSqlite; }
  fs::path db_path() const { return dir_.path() / "broker.db"; }

  std::unique_ptr<BrokerStore> open() {
    if (!sqlite()) return make_memory_store(clock_);
    auto r = open_sqlite(SqliteOptions{.path = db_path().string()}, clock_);
    if (!r) {
      ADD_FAILURE() << "open_sqlite: " << r.error();
      return nullptr;
    }
    return std::move(r).value();
  }

  // SQLite: close and open the file again, so what follows reads what was made durable.
  // Memory: nothing to reopen; keeps the same store.
  void reopen() {
    if (!sqlite()) return;
    store_->close();
    store_.reset();
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  core::Result<void> apply(std::vector<Op> ops) { return store::apply(*store_, std::move(ops)); }

  void apply_ok(std::vector<Op> ops) {
    auto r = apply(std::move(ops));
    ASSERT_TRUE(r) << r.error();
  }

  std::vector<StoredMessage> retained_now() {
    auto r = store_->load_retained();
    EXPECT_TRUE(r) << r.error();
    return r ? *r : std::vector<StoredMessage>{};
  }

  std::vector<StoredSession> sessions_now() {
    auto r = store_->load_sessions();
    EXPECT_TRUE(r) << r.error();
    return r ? *r : std::vector<StoredSession>{};
  }

  // Message bodies stored (not counting retained messages).
  std::int64_t message_bodies() {
    if (!sqlite()) return static_cast<std::int64_t>(static_cast<MemoryStore&>(*store_).message_count_for_test());
    store_->flush();
    auto n = count_rows(db_path(), "messages");
    EXPECT_TRUE(n) << n.error();
    return n ? *n : -1;
  }

  FakeClock clock_;  // outlives store_
  TempDir dir_;
  std::unique_ptr<BrokerStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Backends, BrokerStoreTest, ::testing::Values(Backend::kMemory, Backend::kSqlite),
                         [](const ::testing::TestParamInfo<Backend>& p) { return p.param == Backend::kMemory ? "Memory" : "Sqlite"; });

TEST_P(BrokerStoreTest, RetainedMessagesRoundTrip) {
  StoredMessage a = retained(1, "a/b", std::string("bin\0ary", 7));
  a.properties = std::string("\x03\x00\x04text", 7);
  a.qos = 2;
  StoredMessage b = retained(2, "a/c", "");  // empty payload and properties are not NULL
  apply_ok({op::PutRetained{a}, op::PutRetained{b}});
  reopen();
  EXPECT_EQ(retained_now(), (std::vector<StoredMessage>{a, b}));
}

TEST_P(BrokerStoreTest, PutRetainedReplacesTheTopicsMessage) {
  apply_ok({op::PutRetained{retained(1, "t", "old")}});
  apply_ok({op::PutRetained{retained(2, "t", "new")}});
  reopen();
  EXPECT_EQ(retained_now(), (std::vector<StoredMessage>{retained(2, "t", "new")}));
}

TEST_P(BrokerStoreTest, DeleteRetainedRemovesOnlyThatTopic) {
  apply_ok({op::PutRetained{retained(1, "t/1", "x")}, op::PutRetained{retained(2, "t/2", "y")}});
  apply_ok({op::DeleteRetained{"t/1"}, op::DeleteRetained{"never/there"}});
  reopen();
  EXPECT_EQ(topics(retained_now()), (std::vector<std::string>{"t/2"}));
}

TEST_P(BrokerStoreTest, ExpiredRetainedIsNotLoaded) {
  clock_.set_unix_ms(10'000);
  apply_ok({op::PutRetained{retained(1, "expired", "x", 9'999)},
            op::PutRetained{retained(2, "expires-now", "x", 10'000)},  // still alive at exactly its expiry
            op::PutRetained{retained(3, "later", "x", 20'000)}, op::PutRetained{retained(4, "never", "x", 0)}});
  reopen();
  EXPECT_EQ(topics(retained_now()), (std::vector<std::string>{"expires-now", "later", "never"}));
  clock_.set_unix_ms(30'000);
  EXPECT_EQ(topics(retained_now()), (std::vector<std::string>{"never"}));
  clock_.set_unix_ms(0);  // expired rows were deleted by the loads, not just skipped
  EXPECT_EQ(topics(retained_now()), (std::vector<std::string>{"never"}));
}

TEST_P(BrokerStoreTest, SessionWithSubscriptionsAndQueueRoundTrips) {
  StoredMessage m5 = message(5, "s/five", std::string("\0\1\2", 3), 2, 50'000'000);
  m5.properties = "props";
  m5.retain = true;
  const StoredMessage m3 = message(3, "s/three", "three", 1);
  apply_ok({op::PutSession{"dev-1", 3600, 123'456}, op::PutSubscription{"dev-1", {"s/#", 0x01, 0}},
            op::PutSubscription{"dev-1", {"$share/g/x/+", 0x2a, 77}}, op::Enqueue{m5, {{"dev-1", 2}}},
            op::Enqueue{m3, {{"dev-1", 1}}}});
  apply_ok({op::PutSession{"dev-2", 0xFFFFFFFF, 0}});
  reopen();

  StoredSession dev1{"dev-1", 3600, 123'456,
                     {{"$share/g/x/+", 0x2a, 77}, {"s/#", 0x01, 0}},  // by filter
                     {{m3, 1, 0, 0}, {m5, 2, 0, 0}}};                 // by message id, not by enqueue order
  StoredSession dev2{"dev-2", 0xFFFFFFFF, 0, {}, {}};
  EXPECT_EQ(sessions_now(), (std::vector<StoredSession>{dev1, dev2}));
}

TEST_P(BrokerStoreTest, PutSessionUpdatesTheSessionAndKeepsItsState) {
  apply_ok({op::PutSession{"c", 60, 0}, op::PutSubscription{"c", {"f", 1, 0}},
            op::Enqueue{message(1, "f", "x"), {{"c", 1}}}});
  apply_ok({op::PutSession{"c", 120, 999}});
  reopen();
  auto sessions = sessions_now();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].expiry_interval_s, 120u);
  EXPECT_EQ(sessions[0].disconnected_at_ms, 999);
  EXPECT_EQ(sessions[0].subscriptions.size(), 1u);
  EXPECT_EQ(queued_ids(sessions[0]), (std::vector<std::uint64_t>{1}));
}

TEST_P(BrokerStoreTest, PutSubscriptionReplacesAndDeleteSubscriptionRemoves) {
  apply_ok({op::PutSession{"c", 60, 0}, op::PutSubscription{"c", {"a", 1, 0}}, op::PutSubscription{"c", {"b", 1, 0}}});
  apply_ok({op::PutSubscription{"c", {"a", 2, 9}}, op::DeleteSubscription{"c", "b"}});
  reopen();
  auto sessions = sessions_now();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].subscriptions, (std::vector<StoredSubscription>{{"a", 2, 9}}));
}

TEST_P(BrokerStoreTest, EnqueueToManyTargetsStoresTheBodyOnce) {
  apply_ok({op::PutSession{"a", 60, 0}, op::PutSession{"b", 60, 0}, op::PutSession{"c", 60, 0}});
  const StoredMessage m = message(10, "t", std::string(1000, 'p'), 2);
  apply_ok({op::Enqueue{m, {{"a", 0}, {"b", 1}, {"c", 2}}}});
  EXPECT_EQ(message_bodies(), 1);
  reopen();
  auto sessions = sessions_now();
  ASSERT_EQ(sessions.size(), 3u);
  for (std::uint8_t i = 0; i < 3; ++i) {
    ASSERT_EQ(sessions[i].queue.size(), 1u) << sessions[i].client_id;
    EXPECT_EQ(sessions[i].queue[0], (QueuedMessage{m, i, 0, 0}));
  }
}

TEST_P(BrokerStoreTest, DequeueOfTheLastReferenceDeletesTheBody) {
  apply_ok({op::PutSession{"a", 60, 0}, op::PutSession{"b", 60, 0},
            op::Enqueue{message(10, "t", "x"), {{"a", 1}, {"b", 1}}}});
  apply_ok({op::Dequeue{"a", 10}});
  EXPECT_EQ(message_bodies(), 1);  // b still needs it
  apply_ok({op::Dequeue{"b", 10}});
  EXPECT_EQ(message_bodies(), 0);
  apply_ok({op::Dequeue{"b", 10}});  // twice: a no-op
  reopen();
  for (const auto& s : sessions_now()) EXPECT_TRUE(s.queue.empty()) << s.client_id;
}

TEST_P(BrokerStoreTest, DeleteSessionCascadesToSubscriptionsQueueAndUnsharedBodies) {
  apply_ok({op::PutSession{"a", 60, 0}, op::PutSession{"b", 60, 0}, op::PutSubscription{"a", {"x/#", 1, 0}},
            op::PutSubscription{"b", {"y/#", 1, 0}}, op::Enqueue{message(1, "shared", "s"), {{"a", 1}, {"b", 1}}},
            op::Enqueue{message(2, "only-a", "o"), {{"a", 1}}}});
  EXPECT_EQ(message_bodies(), 2);
  apply_ok({op::DeleteSession{"a"}, op::DeleteSession{"nobody"}});
  EXPECT_EQ(message_bodies(), 1);
  reopen();
  auto sessions = sessions_now();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0].client_id, "b");
  EXPECT_EQ(sessions[0].subscriptions, (std::vector<StoredSubscription>{{"y/#", 1, 0}}));
  EXPECT_EQ(queued_ids(sessions[0]), (std::vector<std::uint64_t>{1}));

  // Re-creating the session starts empty.
  apply_ok({op::PutSession{"a", 60, 0}});
  sessions = sessions_now();
  ASSERT_EQ(sessions.size(), 2u);
  EXPECT_TRUE(sessions[0].subscriptions.empty());
  EXPECT_TRUE(sessions[0].queue.empty());
}

TEST_P(BrokerStoreTest, MarkSentUpdatesPacketIdAndState) {
  apply_ok({op::PutSession{"c", 60, 0}, op::Enqueue{message(1, "t", "x", 2), {{"c", 2}}},
            op::Enqueue{message(2, "t", "y", 2), {{"c", 2}}}});
  apply_ok({op::MarkSent{"c", 1, 17, 0}});
  apply_ok({op::MarkSent{"c", 1, 17, 1}, op::MarkSent{"c", 99, 5, 0}});  // unknown message: no-op
  reopen();
  auto sessions = sessions_now();
  ASSERT_EQ(sessions.size(), 1u);
  ASSERT_EQ(sessions[0].queue.size(), 2u);
  EXPECT_EQ(sessions[0].queue[0].packet_id, 17);
  EXPECT_EQ(sessions[0].queue[0].state, 1);
  EXPECT_EQ(sessions[0].queue[1].packet_id, 0);
  EXPECT_EQ(sessions[0].queue[1].state, 0);
}

TEST_P(BrokerStoreTest, OpsForUnknownSessionsAreNoOps) {
  apply_ok({op::PutSession{"real", 60, 0}});
  apply_ok({op::Enqueue{message(1, "t", "x"), {{"ghost", 1}, {"real", 1}}}});
  apply_ok({op::Enqueue{message(2, "t", "y"), {{"ghost", 1}}}, op::PutSubscription{"ghost", {"f", 1, 0}},
            op::MarkSent{"ghost", 1, 3, 0}, op::Dequeue{"ghost", 1}, op::DeleteSubscription{"ghost", "f"}});
  EXPECT_EQ(message_bodies(), 1);  // message 2 had no live target
  reopen();
  auto sessions = sessions_now();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(queued_ids(sessions[0]), (std::vector<std::uint64_t>{1}));
}

TEST_P(BrokerStoreTest, ReenqueueKeepsTheExistingEntry) {
  apply_ok({op::PutSession{"c", 60, 0}, op::Enqueue{message(1, "t", "first"), {{"c", 1}}}});
  apply_ok({op::MarkSent{"c", 1, 9, 0}});
  apply_ok({op::Enqueue{message(1, "t", "second"), {{"c", 2}}}});
  auto sessions = sessions_now();
  ASSERT_EQ(sessions.size(), 1u);
  ASSERT_EQ(sessions[0].queue.size(), 1u);
  EXPECT_EQ(sessions[0].queue[0].message.payload, "first");
  EXPECT_EQ(sessions[0].queue[0].packet_id, 9);
}

TEST_P(BrokerStoreTest, ExpiredQueuedMessagesAreDroppedUnlessInFlight) {  // [MQTT-3.3.2-5]
  clock_.set_unix_ms(10'000);
  apply_ok({op::PutSession{"c", 60, 0}, op::Enqueue{message(1, "unsent", "x", 1, 5'000), {{"c", 1}}},
            op::Enqueue{message(2, "in-flight", "x", 1, 5'000), {{"c", 1}}},
            op::Enqueue{message(3, "alive", "x", 1, 20'000), {{"c", 1}}}, op::MarkSent{"c", 2, 44, 0}});
  reopen();
  auto sessions = sessions_now();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(queued_ids(sessions[0]), (std::vector<std::uint64_t>{2, 3}));
  EXPECT_EQ(message_bodies(), 2);  // the dropped copy's body went with it
}

TEST_P(BrokerStoreTest, MaxMessageIdIsAHighWaterMark) {
  auto empty = store_->max_message_id();
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_EQ(*empty, 0u);
  apply_ok({op::PutSession{"c", 60, 0}, op::Enqueue{message(7, "t", "x"), {{"c", 1}}},
            op::PutRetained{retained(9, "r", "y")}});
  apply_ok({op::Dequeue{"c", 7}, op::DeleteRetained{"r"}, op::Enqueue{message(3, "t", "z"), {{"c", 1}}}});
  reopen();
  auto max = store_->max_message_id();
  ASSERT_TRUE(max) << max.error();
  EXPECT_EQ(*max, 9u);
}

TEST_P(BrokerStoreTest, InvalidBatchFailsAsAWhole) {
  auto r = apply({op::PutRetained{retained(1, "ok", "x")}, op::PutRetained{message(2, "bad", "x", 3)}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << r.error();
  r = apply({op::PutSession{"c", 60, 0}, op::MarkSent{"c", 1, 1, 2}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << r.error();
  r = apply({op::PutSession{"c", 60, 0}, op::Enqueue{message(1ull << 63, "t", "x"), {{"c", 1}}}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << r.error();
  reopen();
  EXPECT_TRUE(retained_now().empty());
  EXPECT_TRUE(sessions_now().empty());
  apply_ok({op::PutRetained{retained(1, "ok", "x")}});  // the store still works
}

TEST_P(BrokerStoreTest, EmptyBatchAndEmptyCompletionAreFine) {
  apply_ok({});
  store_->submit({op::PutRetained{retained(1, "t", "x")}}, nullptr);
  store_->flush();
  EXPECT_EQ(topics(retained_now()), (std::vector<std::string>{"t"}));
}

TEST_P(BrokerStoreTest, ConcurrentSubmitsAllCompleteAndAreDurableAfterFlush) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        store_->submit({op::PutRetained{retained(static_cast<std::uint64_t>(n + 1), "t/" + std::to_string(n), "x")}},
                       [&](core::Result<void> r) { (r ? ok : failed).fetch_add(1); });
      }
    });
  }
  for (auto& t : threads) t.join();
  store_->flush();
  // flush() returns after the completions of everything submitted before it have run.
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  reopen();
  EXPECT_EQ(retained_now().size(), static_cast<std::size_t>(kThreads * kPerThread));
  auto max = store_->max_message_id();
  ASSERT_TRUE(max);
  EXPECT_EQ(*max, static_cast<std::uint64_t>(kThreads * kPerThread));
}

TEST_P(BrokerStoreTest, SubmitAfterCloseCompletesWithCancelled) {
  store_->close();
  bool called = false;
  core::Result<void> result;
  store_->submit({op::PutRetained{retained(1, "t", "x")}}, [&](core::Result<void> r) {
    called = true;  // inline: the writer is gone
    result = std::move(r);
  });
  ASSERT_TRUE(called);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, Errc::kCancelled);
  store_->flush();  // returns at once
  store_->close();  // idempotent
  auto loaded = store_->load_retained();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code, Errc::kUnavailable);
}

TEST_P(BrokerStoreTest, CompletionMaySubmitAndFlush) {
  std::promise<core::Result<void>> inner;
  store_->submit({op::PutRetained{retained(1, "outer", "x")}}, [&](core::Result<void>) {
    store_->flush();  // must not deadlock on the writer thread
    store_->submit({op::PutRetained{retained(2, "inner", "x")}},
                   [&](core::Result<void> r) { inner.set_value(std::move(r)); });
  });
  auto r = inner.get_future().get();
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(topics(retained_now()), (std::vector<std::string>{"inner", "outer"}));
}

// ---- Memory only ----

TEST(MemoryStore, CompletesInsideSubmit) {
  auto store = make_memory_store();
  bool done = false;
  store->submit({op::PutRetained{retained(1, "t", "x")}}, [&](core::Result<void> r) { done = r.has_value(); });
  EXPECT_TRUE(done);
}

// ---- SQLite only ----

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return (dir_.path() / "broker.db").string(); }

  std::unique_ptr<BrokerStore> open_ok(SqliteOptions options = {}) {
    options.path = path();
    auto r = open_sqlite(options, clock_);
    if (!r) {
      ADD_FAILURE() << "open_sqlite: " << r.error();
      return nullptr;
    }
    return std::move(r).value();
  }

  void write_file(const std::string& bytes) {
    std::ofstream out(path(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  FakeClock clock_;
  TempDir dir_;
};

TEST_F(SqliteStoreTest, OneBadBatchInAGroupFailsAlone) {
  auto store = open_ok();
  ASSERT_NE(store, nullptr);
  // Hold the writer inside the first completion so that the next three batches queue up and are
  // taken as one group.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  store->submit({}, [released](core::Result<void>) { released.wait(); });
  std::vector<std::future<core::Result<void>>> results;
  std::vector<std::promise<core::Result<void>>> promises(3);
  for (auto& p : promises) results.push_back(p.get_future());
  store->submit({op::PutRetained{retained(1, "a", "x")}},
                [&p = promises[0]](core::Result<void> r) { p.set_value(std::move(r)); });
  store->submit({op::PutRetained{retained(2, "bad-but-valid-op", "x")}, op::PutRetained{message(3, "bad", "x", 7)}},
                [&p = promises[1]](core::Result<void> r) { p.set_value(std::move(r)); });
  store->submit({op::PutRetained{retained(4, "c", "x")}},
                [&p = promises[2]](core::Result<void> r) { p.set_value(std::move(r)); });
  release.set_value();

  auto a = results[0].get();
  auto bad = results[1].get();
  auto c = results[2].get();
  EXPECT_TRUE(a) << a.error();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(c) << c.error();
  store->close();
  store = open_ok();
  ASSERT_NE(store, nullptr);
  auto loaded = store->load_retained();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(topics(*loaded), (std::vector<std::string>{"a", "c"}));
}

TEST_F(SqliteStoreTest, BatchLargerThanMaxBatchOpsStaysWhole) {
  auto store = open_ok(SqliteOptions{.max_batch_ops = 2});
  ASSERT_NE(store, nullptr);
  std::vector<Op> ops;
  for (int i = 0; i < 5; ++i) ops.push_back(op::PutRetained{retained(i + 1, "t/" + std::to_string(i), "x")});
  for (int i = 0; i < 3; ++i) store->submit({op::PutRetained{retained(10 + i, "u/" + std::to_string(i), "x")}}, {});
  auto r = apply(*store, std::move(ops));
  ASSERT_TRUE(r) << r.error();
  auto loaded = store->load_retained();
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->size(), 8u);
}

TEST_F(SqliteStoreTest, SynchronousNormalRoundTrips) {
  auto store = open_ok(SqliteOptions{.synchronous_full = false});
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(apply(*store, {op::PutRetained{retained(1, "t", "x")}}));
  store.reset();  // the destructor closes
  store = open_ok();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->load_retained()->size(), 1u);
}

TEST_F(SqliteStoreTest, RecordsTheSchemaVersion) {
  open_ok().reset();
  auto db = Db::open(DbOptions{.path = path(), .create = false});
  ASSERT_TRUE(db) << db.error();
  auto v = schema_version(*db);
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(*v, static_cast<int>(embedded_migrations().size()));
}

TEST_F(SqliteStoreTest, NewerSchemaVersionIsConflict) {
  open_ok().reset();
  {
    auto db = Db::open(DbOptions{.path = path(), .create = false});
    ASSERT_TRUE(db) << db.error();
    ASSERT_TRUE(db->exec("INSERT INTO schema_version (version, name, applied_at_ms) VALUES (9999, 'future', 0)"));
  }
  auto r = open_sqlite(SqliteOptions{.path = path()}, clock_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kConflict) << r.error();
  auto db = Db::open(DbOptions{.path = path(), .create = false});
  ASSERT_TRUE(db);
  EXPECT_EQ(*schema_version(*db), 9999);  // left as it was
}

TEST_F(SqliteStoreTest, GarbageFileIsAnErrorNotACrash) {
  std::mt19937 rng(42);  // fixed seed: the same "golden" garbage every run
  std::string garbage(8192, '\0');
  for (char& c : garbage) c = static_cast<char>(rng());
  write_file(garbage);
  auto r = open_sqlite(SqliteOptions{.path = path()}, clock_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInternal) << r.error();
}

TEST_F(SqliteStoreTest, TruncatedDatabaseIsAnErrorNotACrash) {
  {
    auto store = open_ok();
    ASSERT_NE(store, nullptr);
    std::vector<Op> ops{op::PutSession{"c", 60, 0}};
    for (int i = 0; i < 200; ++i) {
      ops.push_back(op::Enqueue{message(i + 1, "t", std::string(2000, 'x')), {{"c", 1}}});
      ops.push_back(op::PutRetained{retained(i + 1, "r/" + std::to_string(i), std::string(500, 'y'))});
    }
    ASSERT_TRUE(apply(*store, std::move(ops)));
  }  // closed: the WAL is checkpointed into the main file and removed
  const auto full = fs::file_size(path());
  ASSERT_GT(full, 100'000u);
  for (const std::uintmax_t size : {full / 2, std::uintmax_t{4096}, std::uintmax_t{50}}) {
    SCOPED_TRACE("truncated to " + std::to_string(size));
    fs::resize_file(path(), size);
    auto r = open_sqlite(SqliteOptions{.path = path()}, clock_);
    if (!r) {
      EXPECT_EQ(r.error().code, Errc::kInternal) << r.error();
      continue;
    }
    // SQLite may open a file cut after the schema; the missing pages must then fail the loads.
    auto sessions = (*r)->load_sessions();
    auto retained_messages = (*r)->load_retained();
    EXPECT_TRUE(!sessions || !retained_messages) << "a truncated database loaded without error";
    if (!sessions) {
      EXPECT_EQ(sessions.error().code, Errc::kInternal) << sessions.error();
    }
  }
}

TEST_F(SqliteStoreTest, EmptyPathIsInvalidArgument) {
  auto r = open_sqlite(SqliteOptions{.path = ""}, clock_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
}

TEST_F(SqliteStoreTest, MissingDirectoryIsUnavailable) {
  auto r = open_sqlite(SqliteOptions{.path = (dir_.path() / "no" / "such" / "dir.db").string()}, clock_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnavailable) << r.error();
}

// Simulates kill -9 right after the acknowledgement: the child opens the store, waits for its
// write to complete and _exit()s without close() or any destructor.
TEST_F(SqliteStoreTest, AcknowledgedWritesSurviveProcessDeath) {
  const std::string db_path = path();
  const StoredMessage m = message(42, "d/t", "durable", 1);
  const pid_t pid = fork();
  ASSERT_NE(pid, -1);
  if (pid == 0) {
    auto store = open_sqlite(SqliteOptions{.path = db_path});
    if (!store) _exit(2);
    std::promise<bool> acked;
    (*store)->submit({op::PutSession{"dev", 3600, 0}, op::PutSubscription{"dev", {"d/#", 1, 0}},
                      op::Enqueue{m, {{"dev", 1}}}, op::PutRetained{retained(43, "d/r", "kept")}},
                     [&acked](core::Result<void> r) { acked.set_value(r.has_value()); });
    _exit(acked.get_future().get() ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  EXPECT_TRUE(fs::exists(db_path + "-wal")) << "the child should have died without checkpointing";

  auto store = open_ok();
  ASSERT_NE(store, nullptr);
  auto sessions = store->load_sessions();
  ASSERT_TRUE(sessions) << sessions.error();
  EXPECT_EQ(*sessions, (std::vector<StoredSession>{{"dev", 3600, 0, {{"d/#", 1, 0}}, {{m, 1, 0, 0}}}}));
  auto loaded = store->load_retained();
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(topics(*loaded), (std::vector<std::string>{"d/r"}));
}

}  // namespace
}  // namespace tenet::store
