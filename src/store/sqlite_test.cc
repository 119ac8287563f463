#include "store/sqlite.h"

#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/migrate.h"

namespace tenet::store {
namespace {

using core::Errc;
namespace fs = std::filesystem;

// An in-memory database; aborts if even that cannot be opened.
core::Result<Db> open_memory() {
  auto db = Db::open(DbOptions{.path = ":memory:"});
  if (!db) std::abort();
  return db;
}

class TempFile {
 public:
  TempFile() {
    std::string pattern = (fs::temp_directory_path() / "tenet_sqlite_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path() const { return (dir_ / "test.db").string(); }

 private:
  fs::path dir_;
};

std::int64_t count(Db& db, const std::string& table) {
  auto stmt = db.prepare("SELECT COUNT(*) FROM " + table);
  if (!stmt || !stmt->step()) return -1;
  return stmt->column_int(0);
}

TEST(Stmt, BindsAndReadsBackEveryType) {
  auto opened = open_memory();
  Db& db = *opened;
  ASSERT_TRUE(db.exec("CREATE TABLE t (i BIGINT, s TEXT, b BLOB NOT NULL, n TEXT)"));
  const std::string blob("a\0b", 3);
  auto insert = db.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert) << insert.error();
  insert->bind(1, std::numeric_limits<std::int64_t>::min()).bind_text(2, "h\xc3\xa9llo").bind_blob(3, blob).bind_null(4);
  ASSERT_TRUE(insert->run());
  insert->reset();
  insert->bind(1, 0).bind_text(2, std::string_view()).bind_blob(3, std::string_view()).bind_null(4);
  ASSERT_TRUE(insert->run()) << "an empty view binds an empty value, not NULL";

  auto select = db.prepare("SELECT i, s, b, n FROM t ORDER BY i");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_int(0), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(select->column_text(1), "h\xc3\xa9llo");
  EXPECT_EQ(select->column_blob(2), blob);
  EXPECT_TRUE(select->column_is_null(3));
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_text(1), "");
  EXPECT_FALSE(select->column_is_null(1));
  EXPECT_EQ(select->column_blob(2), "");
  EXPECT_FALSE(*select->step());
}

TEST(Stmt, BindErrorSurfacesAtStep) {
  auto opened = open_memory();
  Db& db = *opened;
  auto stmt = db.prepare("SELECT ?1");
  ASSERT_TRUE(stmt);
  stmt->bind(5, 1);  // no such parameter
  auto r = stmt->step();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInternal);
}

TEST(Db, SyntaxErrorIsInternal) {
  auto opened = open_memory();
  Db& db = *opened;
  auto r = db.prepare("SELEKT 1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInternal);
  EXPECT_NE(r.error().detail.find("syntax error"), std::string::npos) << r.error();
}

TEST(Db, CachedStatementIsReusedAndResetAfterUse) {
  auto opened = open_memory();
  Db& db = *opened;
  ASSERT_TRUE(db.exec("CREATE TABLE t (v BIGINT)"));
  for (int i = 0; i < 3; ++i) {
    auto stmt = db.cached("INSERT INTO t VALUES (?1)");
    ASSERT_TRUE(stmt);
    (*stmt)->bind(1, i);
    ASSERT_TRUE((*stmt)->run());
  }
  EXPECT_EQ(count(db, "t"), 3);
  // A SELECT left mid-way is reset by the handle, so the next use starts from the first row.
  for (int i = 0; i < 2; ++i) {
    auto stmt = db.cached("SELECT v FROM t ORDER BY v");
    ASSERT_TRUE(stmt);
    ASSERT_TRUE(*(*stmt)->step());
    EXPECT_EQ((*stmt)->column_int(0), 0);
  }
}

TEST(Db, CheckConstraintIsInvalidArgument) {
  auto opened = open_memory();
  Db& db = *opened;
  ASSERT_TRUE(db.exec("CREATE TABLE t (q INTEGER CHECK (q BETWEEN 0 AND 2))"));
  auto stmt = db.prepare("INSERT INTO t VALUES (3)");
  ASSERT_TRUE(stmt);
  auto r = stmt->run();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument) << r.error();
  EXPECT_EQ(r.error().cause.category(), sqlite_category());
}

TEST(Txn, RollsBackUnlessCommitted) {
  auto opened = open_memory();
  Db& db = *opened;
  ASSERT_TRUE(db.exec("CREATE TABLE t (v BIGINT)"));
  {
    auto txn = Txn::begin(db);
    ASSERT_TRUE(txn);
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES (1)"));
  }
  EXPECT_EQ(count(db, "t"), 0);
  EXPECT_FALSE(db.in_transaction());
  {
    auto txn = Txn::begin(db);
    ASSERT_TRUE(txn);
    ASSERT_TRUE(db.exec("INSERT INTO t VALUES (1)"));
    ASSERT_TRUE(txn->commit());
  }
  EXPECT_EQ(count(db, "t"), 1);
}

TEST(Txn, WriterLockHeldElsewhereIsUnavailable) {
  TempFile file;
  auto a = Db::open(DbOptions{.path = file.path()});
  auto b = Db::open(DbOptions{.path = file.path(), .busy_timeout_ms = 0});
  ASSERT_TRUE(a && b);
  auto held = Txn::begin(*a, Txn::Mode::kImmediate);
  ASSERT_TRUE(held);
  auto blocked = Txn::begin(*b, Txn::Mode::kImmediate);
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, Errc::kUnavailable) << blocked.error();
}

TEST(Db, OpensInWalModeWithForeignKeys) {
  TempFile file;
  auto db = Db::open(DbOptions{.path = file.path()});
  ASSERT_TRUE(db) << db.error();
  auto mode = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode && *mode->step());
  EXPECT_EQ(mode->column_text(0), "wal");
  auto fk = db->prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(fk && *fk->step());
  EXPECT_EQ(fk->column_int(0), 1);
  auto sync = db->prepare("PRAGMA synchronous");
  ASSERT_TRUE(sync && *sync->step());
  EXPECT_EQ(sync->column_int(0), 2);  // FULL
}

// ---- Migrations ----

constexpr Migration kTwo[] = {
    {1, "first", "CREATE TABLE a (x BIGINT NOT NULL);"},
    {2, "second", "CREATE TABLE b (y BIGINT NOT NULL); INSERT INTO b VALUES (7);"},
};

TEST(Migrate, AppliesInOrderAndOnlyOnce) {
  auto opened = open_memory();
  Db& db = *opened;
  auto v = migrate(db, std::span(kTwo).first(1), 100);
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(*v, 1);
  v = migrate(db, kTwo, 200);
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(*v, 2);
  v = migrate(db, kTwo, 300);  // nothing left to do
  ASSERT_TRUE(v);
  EXPECT_EQ(count(db, "b"), 1);
  EXPECT_EQ(count(db, "schema_version"), 2);
  EXPECT_EQ(*schema_version(db), 2);
}

TEST(Migrate, NewerDatabaseIsConflict) {
  auto opened = open_memory();
  Db& db = *opened;
  ASSERT_TRUE(migrate(db, kTwo, 0));
  auto v = migrate(db, std::span(kTwo).first(1), 0);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::kConflict) << v.error();
}

TEST(Migrate, FailedMigrationChangesNothing) {
  constexpr Migration kBroken[] = {
      {1, "first", "CREATE TABLE a (x BIGINT NOT NULL);"},
      {2, "broken", "CREATE TABLE c (z BIGINT); INSERT INTO nowhere VALUES (1);"},
  };
  auto opened = open_memory();
  Db& db = *opened;
  auto v = migrate(db, kBroken, 0);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::kInternal) << v.error();
  EXPECT_EQ(*schema_version(db), 0);
  EXPECT_FALSE(db.prepare("SELECT * FROM a")) << "migration 1 must have been rolled back too";
}

TEST(Migrate, GapInVersionsIsRejected) {
  constexpr Migration kGap[] = {{1, "a", "SELECT 1;"}, {3, "c", "SELECT 1;"}};
  auto opened = open_memory();
  Db& db = *opened;
  auto v = migrate(db, kGap, 0);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::kInternal);
}

TEST(Migrate, ControlTablesArriveOnABrokerOnlyDatabaseAndKeepItsData) {
  const auto migrations = embedded_migrations();
  ASSERT_GE(migrations.size(), 2u);
  EXPECT_EQ(migrations[1].name, "control");
  auto opened = open_memory();
  Db& db = *opened;
  ASSERT_TRUE(migrate(db, migrations.first(1), 0));  // a database written before the control plane
  ASSERT_TRUE(db.exec("INSERT INTO sessions (client_id, expiry_interval_s, disconnected_at_ms) VALUES ('c', 60, 0)"));
  auto v = migrate(db, migrations.first(2), 0);
  ASSERT_TRUE(v) << v.error();
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(count(db, "sessions"), 1);
  ASSERT_TRUE(db.exec("INSERT INTO access_keys (access_key_id, sealed_secret, status, created_at_ms) "
                      "VALUES ('TNTA1', x'00', 'Active', 1)"));
  EXPECT_FALSE(db.exec("INSERT INTO access_keys (access_key_id, sealed_secret, status, created_at_ms) "
                       "VALUES ('TNTA2', x'00', 'Maybe', 1)"))
      << "status is Active or Inactive";
  ASSERT_TRUE(db.exec("INSERT INTO tags VALUES ('arn', 'k', 'v')"));
  EXPECT_FALSE(db.exec("INSERT INTO tags VALUES ('arn', 'k', 'w')")) << "one value per key";
  EXPECT_EQ(count(db, "idempotency_tokens"), 0);
}

TEST(Migrate, EmbeddedMigrationsAreNumberedFromOne) {
  const auto migrations = embedded_migrations();
  ASSERT_FALSE(migrations.empty());
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1));
    EXPECT_FALSE(migrations[i].sql.empty());
  }
  EXPECT_EQ(migrations[0].name, "broker");
  auto opened = open_memory();
  Db& db = *opened;
  auto v = migrate(db, migrations, 0);
  ASSERT_TRUE(v) << v.error();
  for (const char* table : {"retained", "sessions", "subscriptions", "messages", "session_queue", "store_meta"}) {
    EXPECT_EQ(count(db, table) >= 0, true) << table;
  }
}

}  // namespace
}  // namespace tenet::store
