#include "control/idempotency.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "control/errors.h"
#include "sigv4/sigv4.h"
#include "store/sqlite.h"

namespace tenet::control {
namespace {
constexpr std::int64_t kKeepMs = 24LL * 3600 * 1000;

// The request identity: labels, query (minus the token) and body. Order-sensitive on purpose:
// botocore serialises the same call the same way.
std::string request_hash(const Call& call) {
  std::string s = call.operation + "\n";
  for (const auto& [k, v] : call.labels) s += k + "=" + v + "\n";
  for (const auto& [k, v] : call.query) s += k + "=" + v + "\n";
  s += call.body;
  return sigv4::sha256_hex(s);
}
}  // namespace

Idempotency::Idempotency(std::unique_ptr<store::Db> db, const core::Clock& clock)
    : db_(std::move(db)), clock_(clock) {}
Idempotency::~Idempotency() = default;

core::Result<std::unique_ptr<Idempotency>> Idempotency::open(const std::string& db_path, const core::Clock& clock) {
  store::DbOptions o;
  o.path = db_path;
  o.create = false;
  auto db = store::Db::open(o);
  if (!db) return core::propagate(std::move(db));
  return std::unique_ptr<Idempotency>(new Idempotency(std::make_unique<store::Db>(std::move(*db)), clock));
}

Reply Idempotency::run(const Call& call, std::string_view token, const std::function<Reply()>& handler) {
  if (token.empty()) return handler();
  std::lock_guard lock(mu_);
  const auto now = clock_.unix_ms();
  if (auto st = db_->cached("DELETE FROM idempotency_tokens WHERE created_at_ms < ?"); st) {
    (*st)->bind(1, now - kKeepMs);
    (void)(*st)->run();
  }
  const std::string hash = request_hash(call);
  {
    auto st = db_->cached(
        "SELECT request_hash, status, response FROM idempotency_tokens WHERE operation = ? AND token = ?");
    if (!st) return errors::from(st.error());
    (*st)->bind_text(1, call.operation).bind_text(2, token);
    auto row = (*st)->step();
    if (!row) return errors::from(row.error());
    if (*row) {
      if ((*st)->column_text(0) != hash) {
        return errors::conflict("clientRequestToken " + std::string(token) +
                                " was already used with a different request");
      }
      Reply r;
      r.status = static_cast<int>((*st)->column_int(1));
      boost::system::error_code ec;
      r.body = boost::json::parse((*st)->column_text(2), ec);
      if (ec) return errors::internal_failure("stored idempotent reply is corrupt");
      return r;
    }
  }
  Reply r = handler();
  if (!r.ok()) return r;
  auto st = db_->cached(
      "INSERT INTO idempotency_tokens (operation, token, request_hash, status, response, created_at_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!st) return r;
  const std::string body = boost::json::serialize(r.body);
  (*st)->bind_text(1, call.operation).bind_text(2, token).bind_text(3, hash).bind(4, r.status).bind_text(5, body).bind(
      6, now);
  (void)(*st)->run();
  return r;
}

}  // namespace tenet::control
