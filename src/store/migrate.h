#pragma once

// Schema migrations (rules in docs/formats/sql-schema.md). Each migration is a numbered SQL file
// src/store/migrations/NNNN_name.sql, embedded into the binary at build time by
// embed_migrations.cmake. A database records the migrations applied to it in `schema_version`.

#include <cstdint>
#include <span>
#include <string_view>

#include "core/result.h"
#include "store/sqlite.h"

namespace tenet::store {

struct Migration {
  int version = 0;        // NNNN of the file name; versions are 1, 2, 3, ... without gaps
  std::string_view name;  // the file name's "name" part
  std::string_view sql;   // the file's contents: one or more statements
};

// The migrations compiled into this binary, in version order.
std::span<const Migration> embedded_migrations();

// Brings `db` to the last version in `migrations`: in one transaction, creates `schema_version` if
// missing, then runs each migration newer than the recorded version and records it (with
// `now_ms`). Returns the resulting version. On any error nothing has changed.
// Errors: kConflict (the database's version is newer than the last of `migrations`: written by a
// newer binary), kInternal (a migration failed, gaps in `migrations`, not a database),
// kUnavailable (another connection holds the write lock).
core::Result<int> migrate(Db& db, std::span<const Migration> migrations, std::int64_t now_ms);

// The highest version recorded in `db`, 0 for a database never migrated.
// Errors: kInternal, kUnavailable.
core::Result<int> schema_version(Db& db);

}  // namespace tenet::store
