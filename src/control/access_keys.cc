#include "control/access_keys.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "store/sqlite.h"

namespace tenet::control {
namespace {

using core::Errc;

constexpr std::size_t kNonce = 12, kTag = 16;
constexpr std::string_view kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kSecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

}  // namespace

std::string random_string(std::size_t n, std::string_view alphabet) {
  std::string out;
  out.reserve(n);
  unsigned char buf[64];
  while (out.size() < n) {
    if (RAND_bytes(buf, sizeof buf) != 1) std::abort();  // the CSPRNG failing is not recoverable
    for (unsigned char b : buf) {
      // Rejection sampling keeps the distribution uniform for any alphabet size.
      const unsigned limit = 256 - (256 % alphabet.size());
      if (b < limit && out.size() < n) out.push_back(alphabet[b % alphabet.size()]);
    }
  }
  return out;
}

core::Result<std::string> seal(std::string_view key, std::string_view plaintext) {
  if (key.size() != 32) return core::fail(Errc::kInvalidArgument, "master key must be 32 bytes");
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(nonce, kNonce) != 1) return core::fail(Errc::kInternal, "RAND_bytes failed");
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  auto* ct = nonce + kNonce;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                                 nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, ct + plaintext.size()) != 1) {
    return core::fail(Errc::kInternal, "AES-GCM seal failed");
  }
  return out;
}

core::Result<std::string> unseal(std::string_view key, std::string_view sealed) {
  if (key.size() != 32) return core::fail(Errc::kInvalidArgument, "master key must be 32 bytes");
  if (sealed.size() < kNonce + kTag) return core::fail(Errc::kPermissionDenied, "sealed secret is truncated");
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const std::size_t n = sealed.size() - kNonce - kTag;
  std::string out(n, '\0');
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string tag(sealed.substr(kNonce + n));
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                         nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, nonce + kNonce,
                        static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1) {
    return core::fail(Errc::kInternal, "AES-GCM open failed");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &len) != 1) {
    return core::fail(Errc::kPermissionDenied, "sealed secret does not open with this master key");
  }
  return out;
}

AccessKeys::AccessKeys(std::unique_ptr<store::Db> db, std::string master_key, const core::Clock& clock)
    : db_(std::move(db)), master_key_(std::move(master_key)), clock_(clock) {}

AccessKeys::~AccessKeys() = default;

core::Result<std::unique_ptr<AccessKeys>> AccessKeys::open(const std::string& db_path, std::string master_key,
                                                           const core::Clock& clock) {
  if (master_key.size() != 32) return core::fail(Errc::kInvalidArgument, "master key must be 32 bytes");
  store::DbOptions o;
  o.path = db_path;
  o.create = false;
  auto db = store::Db::open(o);
  if (!db) return core::propagate(std::move(db));
  auto self = std::unique_ptr<AccessKeys>(
      new AccessKeys(std::make_unique<store::Db>(std::move(*db)), std::move(master_key), clock));
  auto st = self->db_->prepare(
      "SELECT access_key_id, sealed_secret, session_token, status, description, policy, bootstrap, created_at_ms, "
      "expires_at_ms, last_used_at_ms FROM access_keys");
  if (!st) return core::propagate(std::move(st));
  while (true) {
    auto row = st->step();
    if (!row) return core::propagate(std::move(row));
    if (!*row) break;
    Entry e;
    e.info.access_key_id = st->column_text(0);
    auto secret = unseal(self->master_key_, st->column_blob(1));
    if (!secret) return core::fail(std::move(secret).error().with_context("access key " + e.info.access_key_id));
    e.material.secret_access_key = std::move(*secret);
    e.material.session_token = st->column_text(2);
    e.info.active = st->column_text(3) == "Active";
    e.material.active = e.info.active;
    e.info.description = st->column_text(4);
    e.info.policy = st->column_text(5);
    e.info.bootstrap = st->column_int(6) != 0;
    e.info.created_at_ms = st->column_int(7);
    e.info.expires_at_ms = e.material.expires_at_ms = st->column_int(8);
    e.info.last_used_at_ms = e.persisted_use_ms = st->column_int(9);
    self->keys_.emplace(e.info.access_key_id, std::move(e));
  }
  return self;
}

core::Result<void> AccessKeys::insert(const Entry& e) {
  auto sealed = seal(master_key_, e.material.secret_access_key);
  if (!sealed) return core::propagate(std::move(sealed));
  auto st = db_->cached(
      "INSERT INTO access_keys (access_key_id, sealed_secret, session_token, status, description, policy, bootstrap, "
      "created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind_text(1, e.info.access_key_id)
      .bind_blob(2, *sealed)
      .bind_text(3, e.material.session_token)
      .bind_text(4, e.info.active ? "Active" : "Inactive")
      .bind_text(5, e.info.description)
      .bind_text(6, e.info.policy)
      .bind(7, e.info.bootstrap ? 1 : 0)
      .bind(8, e.info.created_at_ms)
      .bind(9, e.info.expires_at_ms);
  return (*st)->run();
}

core::Result<void> AccessKeys::ensure_bootstrap(std::string_view id, std::string_view secret) {
  std::lock_guard lock(mu_);
  if (keys_.count(std::string(id))) return {};
  Entry e;
  e.info.access_key_id = std::string(id);
  e.info.bootstrap = true;
  e.info.description = "bootstrap administrator";
  e.info.created_at_ms = clock_.unix_ms();
  e.material.secret_access_key = std::string(secret);
  if (auto r = insert(e); !r) return r;
  keys_.emplace(e.info.access_key_id, std::move(e));
  return {};
}

core::Result<NewAccessKey> AccessKeys::create(std::string_view description, std::chrono::seconds ttl,
                                              std::string_view policy) {
  if (ttl.count() < 0 || ttl > std::chrono::hours(36)) {
    return core::fail(Errc::kInvalidArgument, "a temporary credential lives from 1 second to 36 hours");
  }
  if (description.size() > 256) return core::fail(Errc::kInvalidArgument, "description is over 256 bytes");
  std::lock_guard lock(mu_);
  Entry e;
  const bool temporary = ttl.count() > 0;
  e.info.access_key_id = (temporary ? "TNTS" : "TNTA") + random_string(16, kBase32);
  e.info.description = std::string(description);
  e.info.policy = std::string(policy);
  e.info.created_at_ms = clock_.unix_ms();
  e.material.secret_access_key = random_string(40, kSecretAlphabet);
  if (temporary) {
    e.material.session_token = random_string(64, kSecretAlphabet);
    e.info.expires_at_ms = e.material.expires_at_ms =
        e.info.created_at_ms + std::chrono::duration_cast<std::chrono::milliseconds>(ttl).count();
  }
  if (auto r = insert(e); !r) return core::propagate(std::move(r));
  NewAccessKey out{e.info, e.material.secret_access_key, e.material.session_token};
  keys_.emplace(e.info.access_key_id, std::move(e));
  return out;
}

bool AccessKeys::last_active_permanent(const std::string& id) const {
  for (const auto& [k, e] : keys_) {
    if (k != id && e.info.active && e.info.expires_at_ms == 0) return false;
  }
  return true;
}

core::Result<void> AccessKeys::set_active(std::string_view id_view, bool active) {
  std::lock_guard lock(mu_);
  const std::string id(id_view);
  auto it = keys_.find(id);
  if (it == keys_.end()) return core::fail(Errc::kNotFound, "access key " + id + " does not exist");
  if (!active && it->second.info.active && it->second.info.expires_at_ms == 0 && last_active_permanent(id)) {
    return core::fail(Errc::kConflict, "access key " + id + " is the last active permanent key; create another first");
  }
  auto st = db_->cached("UPDATE access_keys SET status = ? WHERE access_key_id = ?");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind_text(1, active ? "Active" : "Inactive").bind_text(2, id);
  if (auto r = (*st)->run(); !r) return r;
  it->second.info.active = it->second.material.active = active;
  return {};
}

core::Result<void> AccessKeys::remove(std::string_view id_view) {
  std::lock_guard lock(mu_);
  const std::string id(id_view);
  auto it = keys_.find(id);
  if (it == keys_.end()) return core::fail(Errc::kNotFound, "access key " + id + " does not exist");
  if (it->second.info.active && it->second.info.expires_at_ms == 0 && last_active_permanent(id)) {
    return core::fail(Errc::kConflict, "access key " + id + " is the last active permanent key; create another first");
  }
  auto st = db_->cached("DELETE FROM access_keys WHERE access_key_id = ?");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind_text(1, id);
  if (auto r = (*st)->run(); !r) return r;
  keys_.erase(it);
  return {};
}

std::vector<AccessKeyInfo> AccessKeys::list() const {
  std::lock_guard lock(mu_);
  std::vector<AccessKeyInfo> out;
  for (const auto& [k, e] : keys_) out.push_back(e.info);
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.access_key_id < b.access_key_id; });
  return out;
}

std::optional<AccessKeyInfo> AccessKeys::describe(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(std::string(id));
  if (it == keys_.end()) return std::nullopt;
  return it->second.info;
}

std::optional<KeyMaterial> AccessKeys::lookup(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = keys_.find(std::string(id));
  if (it == keys_.end()) return std::nullopt;
  return it->second.material;
}

void AccessKeys::touch(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(std::string(id));
  if (it == keys_.end()) return;
  const auto now = clock_.unix_ms();
  it->second.info.last_used_at_ms = now;
  if (now - it->second.persisted_use_ms < 60'000) return;
  auto st = db_->cached("UPDATE access_keys SET last_used_at_ms = ? WHERE access_key_id = ?");
  if (!st) return;
  (*st)->bind(1, now).bind_text(2, it->second.info.access_key_id);
  if ((*st)->run()) it->second.persisted_use_ms = now;
}

}  // namespace tenet::control
