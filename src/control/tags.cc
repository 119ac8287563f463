#include "control/tags.h"

#include "control/arn.h"
#include "store/sqlite.h"

namespace tenet::control {
namespace {
using core::Errc;
constexpr std::size_t kMaxTags = 50;
}  // namespace

Tags::Tags(std::unique_ptr<store::Db> db) : db_(std::move(db)) {}
Tags::~Tags() = default;

core::Result<std::unique_ptr<Tags>> Tags::open(const std::string& db_path) {
  store::DbOptions o;
  o.path = db_path;
  o.create = false;
  auto db = store::Db::open(o);
  if (!db) return core::propagate(std::move(db));
  return std::unique_ptr<Tags>(new Tags(std::make_unique<store::Db>(std::move(*db))));
}

void Tags::add_type(std::string resource_type, std::function<bool(std::string_view)> exists) {
  std::lock_guard lock(mu_);
  types_[std::move(resource_type)] = std::move(exists);
}

core::Result<void> Tags::check_resource(std::string_view arn_text) const {
  auto arn = parse_arn(arn_text);
  if (!arn) return core::fail(Errc::kInvalidArgument, "\"" + std::string(arn_text) + "\" is not an ARN");
  auto [type, name] = arn->type_and_name();
  auto it = types_.find(std::string(type));
  if (it == types_.end()) {
    return core::fail(Errc::kInvalidArgument, "resources of type \"" + std::string(type) + "\" cannot be tagged");
  }
  if (!it->second(name)) return core::fail(Errc::kNotFound, std::string(arn_text) + " does not exist");
  return {};
}

core::Result<void> Tags::tag(std::string_view arn, const std::vector<Tag>& tags) {
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128) return core::fail(Errc::kInvalidArgument, "tag keys are 1 to 128 characters");
    if (v.size() > 256) return core::fail(Errc::kInvalidArgument, "tag values are at most 256 characters");
    if (k.rfind("aws:", 0) == 0) return core::fail(Errc::kInvalidArgument, "tag keys starting with aws: are reserved");
  }
  std::lock_guard lock(mu_);
  if (auto r = check_resource(arn); !r) return r;
  std::size_t existing = 0;
  {
    auto st = db_->cached("SELECT tag_key FROM tags WHERE resource_arn = ?");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, arn);
    std::vector<std::string> keys;
    while (true) {
      auto row = (*st)->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      keys.push_back((*st)->column_text(0));
    }
    existing = keys.size();
    for (const auto& [k, v] : tags) {
      bool known = false;
      for (const auto& e : keys) known = known || e == k;
      if (!known) {
        ++existing;
        keys.push_back(k);
      }
    }
  }
  if (existing > kMaxTags) {
    return core::fail(Errc::kResourceExhausted, "a resource has at most " + std::to_string(kMaxTags) + " tags");
  }
  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  for (const auto& [k, v] : tags) {
    auto st = db_->cached(
        "INSERT INTO tags (resource_arn, tag_key, tag_value) VALUES (?, ?, ?) "
        "ON CONFLICT (resource_arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, arn).bind_text(2, k).bind_text(3, v);
    if (auto r = (*st)->run(); !r) return r;
  }
  return txn->commit();
}

core::Result<void> Tags::untag(std::string_view arn, const std::vector<std::string>& keys) {
  std::lock_guard lock(mu_);
  if (auto r = check_resource(arn); !r) return r;
  for (const auto& k : keys) {
    auto st = db_->cached("DELETE FROM tags WHERE resource_arn = ? AND tag_key = ?");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, arn).bind_text(2, k);
    if (auto r = (*st)->run(); !r) return r;
  }
  return {};
}

core::Result<std::vector<Tag>> Tags::list(std::string_view arn) {
  std::lock_guard lock(mu_);
  if (auto r = check_resource(arn); !r) return core::propagate(std::move(r));
  auto st = db_->cached("SELECT tag_key, tag_value FROM tags WHERE resource_arn = ? ORDER BY tag_key");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind_text(1, arn);
  std::vector<Tag> out;
  while (true) {
    auto row = (*st)->step();
    if (!row) return core::propagate(std::move(row));
    if (!*row) break;
    out.emplace_back((*st)->column_text(0), (*st)->column_text(1));
  }
  return out;
}

core::Result<void> Tags::forget(std::string_view arn) {
  std::lock_guard lock(mu_);
  auto st = db_->cached("DELETE FROM tags WHERE resource_arn = ?");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind_text(1, arn);
  return (*st)->run();
}

}  // namespace tenet::control
