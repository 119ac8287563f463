#include "store/sqlite.h"

#include <string>

#include <sqlite3.h>

namespace tenet::store {
namespace {

class SqliteCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int ev) const override { return sqlite3_errstr(ev); }
};

// Non-null even for an empty view: SQLite binds a null pointer as SQL NULL, not as "".
const char* non_null(std::string_view v) { return v.data() != nullptr ? v.data() : ""; }

std::string describe_sql(sqlite3_stmt* stmt) {
  constexpr std::size_t kMax = 120;
  const char* sql = stmt != nullptr ? sqlite3_sql(stmt) : nullptr;
  std::string s = sql != nullptr ? sql : "";
  if (s.size() > kMax) {
    s.resize(kMax);
    s += "...";
  }
  return s;
}

}  // namespace

const std::error_category& sqlite_category() {
  static const SqliteCategory category;
  return category;
}

core::Error to_error(int rc, std::string_view what, sqlite3* db) {
  core::Errc code = core::Errc::kInternal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      code = core::Errc::kUnavailable;
      break;
    default:
      break;
  }
  if (rc == SQLITE_CONSTRAINT_CHECK) code = core::Errc::kInvalidArgument;
  std::string detail(what);
  // The connection's message is often more specific ("no such table: x"); the generic text of
  // `rc` is already in the cause, so skip it when they are the same.
  if (db != nullptr && sqlite3_errcode(db) != SQLITE_OK) {
    const std::string_view message = sqlite3_errmsg(db);
    if (message != sqlite3_errstr(rc)) {
      detail += ": ";
      detail += message;
    }
  }
  return core::Error{code, std::move(detail), std::error_code(rc, sqlite_category())};
}

// ---- Stmt ----

Stmt::Stmt(Stmt&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), bind_rc_(other.bind_rc_) {}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::bind_text(int index, std::string_view value) {
  const int rc = sqlite3_bind_text64(stmt_, index, non_null(value), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::bind_blob(int index, std::string_view value) {
  const int rc = sqlite3_bind_blob64(stmt_, index, non_null(value), value.size(), SQLITE_STATIC);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

core::Result<bool> Stmt::step() {
  if (bind_rc_ != SQLITE_OK) {
    return core::fail(to_error(bind_rc_, "binding parameters of " + describe_sql(stmt_)));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return core::fail(to_error(rc, describe_sql(stmt_), db_));
}

core::Result<void> Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r) return core::propagate(std::move(r));
    if (!*r) return {};
  }
}

std::int64_t Stmt::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Stmt::column_text(int index) const {
  // Pointer first, then size: the documented order for a correct length.
  const auto* p = sqlite3_column_text(stmt_, index);
  const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
  return p != nullptr ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}

std::string Stmt::column_blob(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
  return p != nullptr ? std::string(static_cast<const char*>(p), n) : std::string();
}

bool Stmt::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

// ---- Db ----

void Db::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Db::~Db() = default;

core::Result<Db> Db::open(const DbOptions& options) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (options.create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(options.path.c_str(), &raw, flags, nullptr);
  Db db(raw);  // owns the handle even when the open failed
  if (rc != SQLITE_OK) return core::fail(to_error(rc, "opening " + options.path, raw));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);

  const bool in_memory = options.path.empty() || options.path == ":memory:";
  if (options.wal && !in_memory) {
    // The first statement that reads the file: a non-database or corrupt header fails here.
    auto stmt = db.prepare("PRAGMA journal_mode=WAL");
    if (!stmt) return core::fail(std::move(stmt).error().with_context("opening " + options.path));
    auto row = stmt->step();
    if (!row) return core::fail(std::move(row).error().with_context("opening " + options.path));
    if (!*row || stmt->column_text(0) != "wal") {
      return core::fail(core::Errc::kInternal, "opening " + options.path + ": could not switch to WAL mode");
    }
  }
  if (auto r = db.exec(options.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"); !r) {
    return core::fail(std::move(r).error().with_context("opening " + options.path));
  }
  if (auto r = db.exec("PRAGMA foreign_keys=ON"); !r) {
    return core::fail(std::move(r).error().with_context("opening " + options.path));
  }
  return db;
}

core::Result<void> Db::exec(std::string_view sql) {
  char* message = nullptr;
  const std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string what = message != nullptr ? message : "exec";
  sqlite3_free(message);
  return core::fail(to_error(rc, what));
}

core::Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return core::fail(to_error(rc, "preparing " + std::string(sql.substr(0, 120)), db_.get()));
  }
  return Stmt(stmt, db_.get());
}

core::Result<CachedStmt> Db::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return core::fail(to_error(rc, "preparing " + std::string(sql.substr(0, 120)), db_.get()));
    }
    it = cache_.emplace(std::string(sql), std::make_unique<Stmt>(stmt, db_.get())).first;
  }
  return CachedStmt(it->second.get());
}

std::int64_t Db::changes() const { return sqlite3_changes64(db_.get()); }

bool Db::in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

// ---- Txn ----

core::Result<Txn> Txn::begin(Db& db, Mode mode) {
  if (auto r = db.exec(mode == Mode::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN"); !r) {
    return core::fail(std::move(r).error().with_context("beginning a transaction"));
  }
  return Txn(&db);
}

core::Result<void> Txn::commit() {
  if (db_ == nullptr) return core::fail(core::Errc::kInternal, "commit: transaction already finished");
  auto r = db_->exec("COMMIT");
  if (!r) {
    rollback();  // a failed COMMIT (e.g. SQLITE_BUSY) can leave the transaction open
    return core::fail(std::move(r).error().with_context("committing"));
  }
  db_ = nullptr;
  return {};
}

void Txn::rollback() {
  if (db_ == nullptr) return;
  if (db_->in_transaction()) {
    (void)db_->exec("ROLLBACK");  // nothing useful to do if even this fails
  }
  db_ = nullptr;
}

}  // namespace tenet::store
