#include "store/migrate.h"

#include <string>

namespace tenet::store {
namespace {

// Created by migrate() itself rather than by migration 1, so that the version check works on any
// database, including one written by a newer binary.
constexpr std::string_view kCreateVersionTable =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL,"
    " applied_at_ms BIGINT NOT NULL)";

core::Result<int> read_version(Db& db) {
  auto stmt = db.prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!stmt) return core::propagate(std::move(stmt));
  auto row = stmt->step();
  if (!row) return core::propagate(std::move(row));
  if (!*row) return core::fail(core::Errc::kInternal, "schema_version: no result row");
  return static_cast<int>(stmt->column_int(0));
}

core::Result<void> check_sequence(std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i + 1)) {
      return core::fail(core::Errc::kInternal, "migration " + std::string(migrations[i].name) + " has version " +
                                                   std::to_string(migrations[i].version) + ", expected " +
                                                   std::to_string(i + 1));
    }
  }
  return {};
}

}  // namespace

core::Result<int> schema_version(Db& db) {
  auto exists = db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!exists) return core::propagate(std::move(exists));
  auto row = exists->step();
  if (!row) return core::propagate(std::move(row));
  if (!*row || exists->column_int(0) == 0) return 0;
  return read_version(db);
}

core::Result<int> migrate(Db& db, std::span<const Migration> migrations, std::int64_t now_ms) {
  if (auto ok = check_sequence(migrations); !ok) return core::propagate(std::move(ok));
  const int latest = migrations.empty() ? 0 : migrations.back().version;

  auto txn = Txn::begin(db, Txn::Mode::kImmediate);
  if (!txn) return core::propagate(std::move(txn));
  if (auto r = db.exec(kCreateVersionTable); !r) {
    return core::fail(std::move(r).error().with_context("creating schema_version"));
  }
  auto current = read_version(db);
  if (!current) return core::propagate(std::move(current));
  if (*current > latest) {
    return core::fail(core::Errc::kConflict, "database schema version " + std::to_string(*current) +
                                                 " is newer than this binary's (" + std::to_string(latest) + ")");
  }
  for (const Migration& m : migrations) {
    if (m.version <= *current) continue;
    const std::string label = "migration " + std::to_string(m.version) + "_" + std::string(m.name);
    if (auto r = db.exec(m.sql); !r) {
      // DDL errors are our bug, not the caller's: never report them as kInvalidArgument.
      core::Error e = std::move(r).error().with_context(label);
      e.code = e.code == core::Errc::kUnavailable ? e.code : core::Errc::kInternal;
      return core::fail(std::move(e));
    }
    auto record = db.prepare("INSERT INTO schema_version (version, name, applied_at_ms) VALUES (?1, ?2, ?3)");
    if (!record) return core::propagate(std::move(record));
    record->bind(1, m.version).bind_text(2, m.name).bind(3, now_ms);
    if (auto r = record->run(); !r) return core::fail(std::move(r).error().with_context(label));
  }
  if (auto r = txn->commit(); !r) return core::propagate(std::move(r));
  return latest;
}

}  // namespace tenet::store
