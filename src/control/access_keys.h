#pragma once

// Operator access keys for SigV4 (docs/api.md#access-keys). Secrets are sealed with AES-256-GCM
// under a 32-byte master key kept in the data dir (master.key, 0600), so a copy of the database
// alone cannot sign requests. Lookups are served from memory; every change is written through to
// the database first. Thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace tenet::store {
class Db;
}

namespace tenet::control {

struct AccessKeyInfo {
  std::string access_key_id;
  bool active = true;
  std::string description;
  std::string policy;            // operator policy document ("" = full access until issue 5 scopes keys)
  bool bootstrap = false;        // the administrator key created with the data dir
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;  // 0 = permanent; else a temporary credential with a session token
  std::int64_t last_used_at_ms = 0;
};

struct NewAccessKey {
  AccessKeyInfo info;
  std::string secret_access_key;  // shown once
  std::string session_token;      // temporary credentials only
};

struct KeyMaterial {
  std::string secret_access_key;
  std::string session_token;
  bool active = true;
  std::int64_t expires_at_ms = 0;
};

// Seals/opens a secret with AES-256-GCM. `key` must be 32 bytes. Errors: kInvalidArgument (key
// size), kPermissionDenied (tag mismatch: wrong master key or tampered data), kInternal.
core::Result<std::string> seal(std::string_view key, std::string_view plaintext);
core::Result<std::string> unseal(std::string_view key, std::string_view sealed);

class AccessKeys {
 public:
  // Opens the table in the (already migrated) database at `db_path` and loads every key.
  // Errors: kUnavailable, kInternal, kPermissionDenied (a secret does not open with master_key).
  static core::Result<std::unique_ptr<AccessKeys>> open(const std::string& db_path, std::string master_key,
                                                        const core::Clock& clock);
  ~AccessKeys();

  // Inserts the bootstrap administrator key unless a key with this id exists.
  core::Result<void> ensure_bootstrap(std::string_view access_key_id, std::string_view secret);

  // A new key; ttl > 0 makes a temporary credential (with a session token) valid for ttl.
  // Errors: kInvalidArgument (ttl over 36 hours, description over 256 bytes), kInternal.
  core::Result<NewAccessKey> create(std::string_view description, std::chrono::seconds ttl, std::string_view policy = {});
  // Errors: kNotFound; kConflict when deactivating the last active permanent key (the server
  // would become unmanageable).
  core::Result<void> set_active(std::string_view access_key_id, bool active);
  // Errors: kNotFound; kConflict for the last active permanent key.
  core::Result<void> remove(std::string_view access_key_id);
  std::vector<AccessKeyInfo> list() const;
  std::optional<AccessKeyInfo> describe(std::string_view access_key_id) const;

  // The signing material of a key, for SigV4 verification (nullopt when unknown).
  std::optional<KeyMaterial> lookup(std::string_view access_key_id) const;
  std::int64_t now_ms() const { return clock_.unix_ms(); }
  // Records a successful use (persisted at most once a minute per key).
  void touch(std::string_view access_key_id);

 private:
  struct Entry {
    AccessKeyInfo info;
    KeyMaterial material;
    std::int64_t persisted_use_ms = 0;
  };
  AccessKeys(std::unique_ptr<store::Db> db, std::string master_key, const core::Clock& clock);
  core::Result<void> insert(const Entry& e);
  bool last_active_permanent(const std::string& id) const;  // REQUIRES: mu_ held

  mutable std::mutex mu_;
  std::unique_ptr<store::Db> db_;
  std::string master_key_;
  const core::Clock& clock_;
  std::unordered_map<std::string, Entry> keys_;
};

// Random key ids and secrets: "TNTA" + 16 base32 chars for permanent keys, "TNTS" + 16 for
// temporary ones; secrets are 40 base64 characters; session tokens 64.
std::string random_string(std::size_t n, std::string_view alphabet);

}  // namespace tenet::control
