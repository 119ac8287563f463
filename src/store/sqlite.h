#pragma once

// A thin RAII wrapper over the SQLite C API: Db (a connection), Stmt (a prepared statement) and
// Txn (a transaction that rolls back unless committed). Errors come back as core::Result with the
// store's Errc mapping (see to_error()). Only store/ headers may expose this file's types.
//
// Threading: none of these types is thread-safe. A Db and everything made from it must be used by
// one thread at a time (the owner serialises access, e.g. with a mutex).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tenet::store {

// The error category of SQLite result codes (extended codes included), for core::Error::cause.
const std::error_category& sqlite_category();

// Maps an SQLite result code to a core::Error:
//   SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN -> kUnavailable
//   SQLITE_CONSTRAINT_CHECK (a CHECK in the schema rejected a value) -> kInvalidArgument
//   everything else (corrupt, not a database, I/O error, full, misuse, ...) -> kInternal
// `what` says what was being done; the connection's error message is appended when `db` is set.
core::Error to_error(int rc, std::string_view what, sqlite3* db = nullptr);

// A prepared statement. Move-only. Parameter indexes are 1-based, column indexes 0-based (as in
// SQLite). bind_*() never fail on their own: the first bind error is kept and step() returns it,
// so that binding reads as a chain.
class Stmt {
 public:
  Stmt() = default;
  Stmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  // Text and blob binds do not copy: the bytes must stay valid until reset() or destruction.
  Stmt& bind(int index, std::int64_t value);
  Stmt& bind_text(int index, std::string_view value);
  Stmt& bind_blob(int index, std::string_view value);
  Stmt& bind_null(int index);

  // true: a row is available through column_*(); false: the statement has finished.
  // Errors: see to_error().
  core::Result<bool> step();
  // Steps until the statement finishes, discarding any rows (for DML and pragmas).
  core::Result<void> run();

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  std::string column_blob(int index) const;
  bool column_is_null(int index) const;

  // Makes the statement ready to run again and drops all bindings.
  void reset();

  sqlite3_stmt* handle() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int bind_rc_ = 0;  // first failed bind (SQLITE_OK = 0 if none)
};

// A statement borrowed from Db's cache; reset (and unbound) when the handle goes out of scope.
// Must not outlive the Db it came from.
class CachedStmt {
 public:
  explicit CachedStmt(Stmt* stmt) : stmt_(stmt) {}
  CachedStmt(CachedStmt&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
  CachedStmt& operator=(CachedStmt&&) = delete;
  CachedStmt(const CachedStmt&) = delete;
  CachedStmt& operator=(const CachedStmt&) = delete;
  ~CachedStmt() {
    if (stmt_ != nullptr) stmt_->reset();
  }

  Stmt* operator->() const { return stmt_; }
  Stmt& operator*() const { return *stmt_; }

 private:
  Stmt* stmt_;
};

struct DbOptions {
  std::string path;                 // file name, or ":memory:"
  bool create = true;               // create the file if missing
  bool wal = true;                  // journal_mode=WAL (ignored for ":memory:")
  bool synchronous_full = true;     // synchronous=FULL, else NORMAL
  int busy_timeout_ms = 5000;       // how long a statement waits for another connection's lock
};

// One SQLite connection, configured with foreign keys on and the options above. Move-only; closing
// happens in the destructor (after every cached statement is finalised).
class Db {
 public:
  // Opens and configures the connection. SQLite opens files lazily, so a file that is not a
  // database (or is corrupt) is reported here, by the first pragma that reads it.
  // Errors: kUnavailable (cannot open, locked), kInternal (not a database, I/O error, ...).
  static core::Result<Db> open(const DbOptions& options);

  Db(Db&&) noexcept = default;
  Db& operator=(Db&&) noexcept = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Runs one or more `;`-separated statements that take no parameters (DDL, pragmas).
  core::Result<void> exec(std::string_view sql);
  // Compiles one statement. Errors: kInternal (syntax error, unknown table, ...), kUnavailable.
  core::Result<Stmt> prepare(std::string_view sql);
  // As prepare(), but compiles each distinct `sql` once per connection and reuses it.
  // REQUIRES: the previous CachedStmt for the same `sql` has been released.
  core::Result<CachedStmt> cached(std::string_view sql);

  // Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
  std::int64_t changes() const;
  bool in_transaction() const;
  sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  struct SqlHash {  // lets cached() look up by string_view without allocating
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  explicit Db(sqlite3* db) : db_(db) {}

  // Declared before the cache so that statements are finalised before the connection closes.
  std::unique_ptr<sqlite3, Closer> db_;
  std::unordered_map<std::string, std::unique_ptr<Stmt>, SqlHash, std::equal_to<>> cache_;
};

// A transaction that rolls back on destruction unless commit() succeeded. Move-only.
class Txn {
 public:
  enum class Mode {
    kDeferred,   // BEGIN: takes the write lock at the first write
    kImmediate,  // BEGIN IMMEDIATE: takes the write lock now (use for writers: no upgrade deadlock)
  };

  // Errors: kUnavailable (another connection holds the write lock past the busy timeout),
  // kInternal (already in a transaction, ...).
  static core::Result<Txn> begin(Db& db, Mode mode = Mode::kImmediate);

  Txn(Txn&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Txn& operator=(Txn&&) = delete;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { rollback(); }

  // On failure the transaction has been rolled back. Errors: kUnavailable, kInternal.
  core::Result<void> commit();
  // Idempotent; a no-op after commit().
  void rollback();

 private:
  explicit Txn(Db* db) : db_(db) {}
  Db* db_;  // null once committed or rolled back
};

}  // namespace tenet::store
