#pragma once

// Test helper: a migrated SQLite database in a fresh temporary directory, removed afterwards.

#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/migrate.h"
#include "store/sqlite.h"

namespace tenet::control::testing {

class TempDb {
 public:
  TempDb() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tenet-control-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    path_ = dir_ + "/tenet.db";
    store::DbOptions o;
    o.path = path_;
    auto db = store::Db::open(o);
    if (db) (void)store::migrate(*db, store::embedded_migrations(), 0);
  }
  ~TempDb() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, path_;
};

}  // namespace tenet::control::testing
