#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/log.h"
#include "policies/policies.h"
#include "store/sqlite.h"

namespace tenet::policies {
namespace {

using core::Errc;

class FaultCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tenet.policies"; }
  std::string message(int v) const override {
    switch (static_cast<Fault>(v)) {
      case Fault::kInvalidRequest: return "InvalidRequestException";
      case Fault::kNotFound: return "ResourceNotFoundException";
      case Fault::kAlreadyExists: return "ResourceAlreadyExistsException";
      case Fault::kMalformedPolicy: return "MalformedPolicyException";
      case Fault::kVersionsLimitExceeded: return "VersionsLimitExceededException";
      case Fault::kDeleteConflict: return "DeleteConflictException";
      case Fault::kLimitExceeded: return "LimitExceededException";
    }
    return "unknown";
  }
};

core::Unexpected fault(Fault f, std::string message) {
  Errc code = Errc::kInvalidArgument;
  switch (f) {
    case Fault::kInvalidRequest:
    case Fault::kMalformedPolicy: code = Errc::kInvalidArgument; break;
    case Fault::kNotFound: code = Errc::kNotFound; break;
    case Fault::kAlreadyExists: code = Errc::kAlreadyExists; break;
    case Fault::kVersionsLimitExceeded:
    case Fault::kDeleteConflict: code = Errc::kConflict; break;
    case Fault::kLimitExceeded: code = Errc::kResourceExhausted; break;
  }
  return core::fail(code, std::move(message), std::error_code(static_cast<int>(f), fault_category()));
}

core::Unexpected no_policy(std::string_view name) {
  return fault(Fault::kNotFound, "policy " + std::string(name) + " does not exist");
}

std::optional<std::uint64_t> parse_version(std::string_view id) {
  std::uint64_t v = 0;
  if (id.empty() || id.size() > 18) return std::nullopt;
  auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  if (ec != std::errc() || p != id.data() + id.size()) return std::nullopt;
  return v;
}

bool run(store::Db& db, std::string_view sql, const std::function<void(store::Stmt&)>& bind,
         core::Error* error) {
  auto st = db.cached(sql);
  if (!st) {
    *error = std::move(st).error();
    return false;
  }
  bind(**st);
  if (auto r = (*st)->run(); !r) {
    *error = std::move(r).error();
    return false;
  }
  return true;
}

}  // namespace

const std::error_category& fault_category() {
  static const FaultCategory c;
  return c;
}

std::optional<Fault> fault_of(const core::Error& e) {
  if (e.cause.category() != fault_category()) return std::nullopt;
  return static_cast<Fault>(e.cause.value());
}

bool valid_policy_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '+' || c == '=' || c == ',' || c == '.' || c == '@' || c == '-';
  });
}

std::optional<TargetType> parse_target(std::string_view text, const control::Partition& partition) {
  auto arn = control::parse_arn(text);
  if (!arn || arn->partition != "aws" || arn->service != "iot" || arn->region != partition.region ||
      arn->account_id != partition.account_id) {
    return std::nullopt;
  }
  auto [type, name] = arn->type_and_name();
  if (name.empty() || name.find('/') != std::string_view::npos) return std::nullopt;
  if (type == "cert") return TargetType::kCertificate;
  if (type == "thinggroup") return TargetType::kThingGroup;
  return std::nullopt;
}

const Version* Policy::find_version(std::string_view id) const {
  for (const auto& v : versions) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

const Version& Policy::default_version() const {
  const Version* v = find_version(default_version_id);
  return v != nullptr ? *v : versions.front();
}

PolicyStore::PolicyStore(std::unique_ptr<store::Db> db, control::Partition partition, const core::Clock& clock,
                         Options options)
    : partition_(std::move(partition)), clock_(clock), options_(options), db_(std::move(db)) {}

PolicyStore::~PolicyStore() = default;

policy::Scope PolicyStore::scope() const { return policy::Scope{"aws", partition_.region, partition_.account_id}; }

core::Result<std::unique_ptr<PolicyStore>> PolicyStore::open(const std::string& db_path, control::Partition partition,
                                                              const core::Clock& clock, Options options) {
  store::DbOptions o;
  o.path = db_path;
  o.create = false;
  auto db = store::Db::open(o);
  if (!db) return core::propagate(std::move(db));
  auto self = std::unique_ptr<PolicyStore>(
      new PolicyStore(std::make_unique<store::Db>(std::move(*db)), std::move(partition), clock, options));
  if (auto r = self->load(); !r) return core::fail(std::move(r).error().with_context("loading policies"));
  return self;
}

core::Result<std::shared_ptr<const policy::Policy>> PolicyStore::compile(std::string_view name,
                                                                         std::string_view version_id,
                                                                         std::string_view document) const {
  policy::CompileOptions co;
  co.scope = scope();
  co.policy_name = std::string(name);
  co.version_id = std::string(version_id);
  auto p = policy::compile(document, co);
  if (!p) return fault(Fault::kMalformedPolicy, "malformed policy document: " + p.error().detail);
  return std::move(*p);
}

core::Result<void> PolicyStore::load() {
  std::lock_guard w(write_mu_);
  std::map<std::string, std::shared_ptr<Policy>, std::less<>> loaded;
  {
    auto st = db_->prepare(
        "SELECT policy_name, default_version_id, last_version_id, generation_id, created_at_ms, modified_at_ms "
        "FROM policies");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      auto p = std::make_shared<Policy>();
      p->name = st->column_text(0);
      p->arn = partition_.arn("policy", p->name);
      p->default_version_id = std::to_string(st->column_int(1));
      p->last_version = static_cast<std::uint64_t>(st->column_int(2));
      p->generation_id = st->column_text(3);
      p->created_at_ms = st->column_int(4);
      p->modified_at_ms = st->column_int(5);
      loaded.emplace(p->name, p);
    }
  }
  {
    auto st = db_->prepare(
        "SELECT policy_name, version_id, document, created_at_ms FROM policy_versions ORDER BY policy_name, version_id");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      auto it = loaded.find(st->column_text(0));
      if (it == loaded.end()) continue;
      Version v;
      v.id = std::to_string(st->column_int(1));
      v.document = st->column_text(2);
      v.created_at_ms = st->column_int(3);
      auto c = compile(it->first, v.id, v.document);
      if (c) {
        v.compiled = std::move(*c);
      } else {
        core::log::error("policies: stored version {} of policy {} no longer compiles (it grants nothing): {}", v.id,
                         it->first, c.error().detail);
      }
      it->second->versions.push_back(std::move(v));
    }
  }
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> by_target, targets;
  {
    auto st = db_->prepare("SELECT policy_name, target_arn FROM policy_targets");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      std::string name = st->column_text(0), target = st->column_text(1);
      if (!loaded.count(name)) continue;
      by_target[target].insert(name);
      targets[name].insert(target);
    }
  }
  std::unique_lock lock(mu_);
  for (auto& [name, p] : loaded) {
    if (p->versions.empty() || p->find_version(p->default_version_id) == nullptr) {
      core::log::error("policies: policy {} has no default version in the database; ignored", name);
      continue;
    }
    policies_.emplace(name, std::move(p));
  }
  by_target_ = std::move(by_target);
  targets_ = std::move(targets);
  return {};
}

std::string PolicyStore::new_generation_id() const {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1) std::abort();  // the CSPRNG failing is not recoverable
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char c : b) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

void PolicyStore::publish(Change change) {
  change.generation = generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
  for (const auto& o : observers_) o(change);
}

bool PolicyStore::target_exists(std::string_view arn) const { return !target_query_ || target_query_(arn); }

void PolicyStore::on_change(std::function<void(const Change&)> observer) { observers_.push_back(std::move(observer)); }
void PolicyStore::set_target_query(std::function<bool(std::string_view)> exists) { target_query_ = std::move(exists); }
void PolicyStore::set_group_ancestors(std::function<std::vector<std::string>(std::string_view)> ancestors) {
  group_ancestors_ = std::move(ancestors);
}
void PolicyStore::set_thing_groups(std::function<std::vector<std::string>(std::string_view)> groups) {
  thing_groups_ = std::move(groups);
}
void PolicyStore::set_context_builder(std::function<policy::Context(std::string_view, std::string_view)> builder) {
  context_builder_ = std::move(builder);
}

// ---- reads ----

std::vector<std::shared_ptr<const policy::Policy>> PolicyStore::policies_for_targets(
    std::span<const std::string> target_arns) const {
  std::vector<std::shared_ptr<const policy::Policy>> out;
  std::shared_lock lock(mu_);
  std::size_t n = 0;
  for (const auto& t : target_arns) {
    if (auto it = by_target_.find(t); it != by_target_.end()) n += it->second.size();
  }
  out.reserve(n);
  for (const auto& t : target_arns) {
    auto it = by_target_.find(t);
    if (it == by_target_.end()) continue;
    for (const auto& name : it->second) {
      auto p = policies_.find(name);
      if (p == policies_.end()) continue;
      const auto& compiled = p->second->default_version().compiled;
      if (!compiled) continue;
      if (std::find(out.begin(), out.end(), compiled) != out.end()) continue;
      out.push_back(compiled);
    }
  }
  return out;
}

PolicyPtr PolicyStore::find(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = policies_.find(name);
  return it == policies_.end() ? nullptr : it->second;
}

std::vector<PolicyPtr> PolicyStore::list() const {
  std::shared_lock lock(mu_);
  std::vector<PolicyPtr> out;
  out.reserve(policies_.size());
  for (const auto& [n, p] : policies_) out.push_back(p);
  return out;
}

std::vector<std::string> PolicyStore::targets_of(std::string_view policy_name) const {
  std::shared_lock lock(mu_);
  auto it = targets_.find(policy_name);
  if (it == targets_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<std::string> PolicyStore::policies_of(std::string_view target_arn) const {
  std::shared_lock lock(mu_);
  auto it = by_target_.find(target_arn);
  if (it == by_target_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

bool PolicyStore::has_attachments(std::string_view target_arn) const {
  std::shared_lock lock(mu_);
  auto it = by_target_.find(target_arn);
  return it != by_target_.end() && !it->second.empty();
}

// ---- writes ----

core::Result<PolicyPtr> PolicyStore::create(std::string_view name, std::string_view document) {
  if (!valid_policy_name(name)) {
    return fault(Fault::kInvalidRequest, "policyName must be 1 to 128 characters of [A-Za-z0-9_+=,.@-]");
  }
  auto compiled = compile(name, "1", document);
  if (!compiled) return core::propagate(std::move(compiled));
  std::lock_guard w(write_mu_);
  if (find(name)) return fault(Fault::kAlreadyExists, "policy " + std::string(name) + " already exists");
  auto p = std::make_shared<Policy>();
  p->name = std::string(name);
  p->arn = partition_.arn("policy", name);
  p->default_version_id = "1";
  p->created_at_ms = p->modified_at_ms = clock_.unix_ms();
  p->generation_id = new_generation_id();
  p->last_version = 1;
  p->versions.push_back(Version{"1", std::string(document), p->created_at_ms, std::move(*compiled)});

  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  core::Error err;
  if (!run(*db_,
           "INSERT INTO policies (policy_name, default_version_id, last_version_id, generation_id, created_at_ms, "
           "modified_at_ms) VALUES (?, 1, 1, ?, ?, ?)",
           [&](store::Stmt& s) {
             s.bind_text(1, p->name).bind_text(2, p->generation_id).bind(3, p->created_at_ms).bind(4, p->modified_at_ms);
           },
           &err) ||
      !run(*db_, "INSERT INTO policy_versions (policy_name, version_id, document, created_at_ms) VALUES (?, 1, ?, ?)",
           [&](store::Stmt& s) { s.bind_text(1, p->name).bind_text(2, document).bind(3, p->created_at_ms); }, &err)) {
    return core::fail(std::move(err));
  }
  if (auto r = txn->commit(); !r) return core::propagate(std::move(r));
  {
    std::unique_lock lock(mu_);
    policies_[p->name] = p;
  }
  publish(Change{Change::Kind::kCreated, p->name, {}, 0});
  return PolicyPtr(p);
}

core::Result<PolicyPtr> PolicyStore::create_version(std::string_view name, std::string_view document,
                                                    bool set_as_default) {
  std::lock_guard w(write_mu_);
  auto old = find(name);
  if (!old) return no_policy(name);
  if (old->versions.size() >= kMaxVersions) {
    return fault(Fault::kVersionsLimitExceeded, "policy " + old->name + " already has " + std::to_string(kMaxVersions) +
                                                    " versions; delete one with DeletePolicyVersion first");
  }
  const std::string id = std::to_string(old->last_version + 1);
  auto compiled = compile(name, id, document);
  if (!compiled) return core::propagate(std::move(compiled));
  auto p = std::make_shared<Policy>(*old);
  p->last_version += 1;
  p->modified_at_ms = clock_.unix_ms();
  p->generation_id = new_generation_id();
  p->versions.push_back(Version{id, std::string(document), p->modified_at_ms, std::move(*compiled)});
  if (set_as_default) p->default_version_id = id;

  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  core::Error err;
  if (!run(*db_, "INSERT INTO policy_versions (policy_name, version_id, document, created_at_ms) VALUES (?, ?, ?, ?)",
           [&](store::Stmt& s) {
             s.bind_text(1, p->name).bind(2, static_cast<std::int64_t>(p->last_version)).bind_text(3, document)
                 .bind(4, p->modified_at_ms);
           },
           &err) ||
      !run(*db_,
           "UPDATE policies SET default_version_id = ?, last_version_id = ?, generation_id = ?, modified_at_ms = ? "
           "WHERE policy_name = ?",
           [&](store::Stmt& s) {
             s.bind(1, static_cast<std::int64_t>(*parse_version(p->default_version_id)))
                 .bind(2, static_cast<std::int64_t>(p->last_version))
                 .bind_text(3, p->generation_id)
                 .bind(4, p->modified_at_ms)
                 .bind_text(5, p->name);
           },
           &err)) {
    return core::fail(std::move(err));
  }
  if (auto r = txn->commit(); !r) return core::propagate(std::move(r));
  std::vector<std::string> affected;
  {
    std::unique_lock lock(mu_);
    policies_[p->name] = p;
    if (set_as_default) {
      if (auto t = targets_.find(p->name); t != targets_.end()) affected.assign(t->second.begin(), t->second.end());
    }
  }
  publish(Change{Change::Kind::kVersionCreated, p->name, std::move(affected), 0});
  return PolicyPtr(p);
}

core::Result<void> PolicyStore::set_default(std::string_view name, std::string_view version_id) {
  std::lock_guard w(write_mu_);
  auto old = find(name);
  if (!old) return no_policy(name);
  if (!old->find_version(version_id)) {
    return fault(Fault::kNotFound, "policy " + old->name + " has no version " + std::string(version_id));
  }
  if (old->default_version_id == version_id) return {};
  auto p = std::make_shared<Policy>(*old);
  p->default_version_id = std::string(version_id);
  p->modified_at_ms = clock_.unix_ms();
  p->generation_id = new_generation_id();
  core::Error err;
  if (!run(*db_,
           "UPDATE policies SET default_version_id = ?, generation_id = ?, modified_at_ms = ? WHERE policy_name = ?",
           [&](store::Stmt& s) {
             s.bind(1, static_cast<std::int64_t>(*parse_version(version_id)))
                 .bind_text(2, p->generation_id)
                 .bind(3, p->modified_at_ms)
                 .bind_text(4, p->name);
           },
           &err)) {
    return core::fail(std::move(err));
  }
  std::vector<std::string> affected;
  {
    std::unique_lock lock(mu_);
    policies_[p->name] = p;
    if (auto t = targets_.find(p->name); t != targets_.end()) affected.assign(t->second.begin(), t->second.end());
  }
  publish(Change{Change::Kind::kDefaultChanged, p->name, std::move(affected), 0});
  return {};
}

core::Result<void> PolicyStore::remove_version(std::string_view name, std::string_view version_id) {
  std::lock_guard w(write_mu_);
  auto old = find(name);
  if (!old) return no_policy(name);
  if (!old->find_version(version_id)) {
    return fault(Fault::kNotFound, "policy " + old->name + " has no version " + std::string(version_id));
  }
  if (old->default_version_id == version_id) {
    return fault(Fault::kDeleteConflict, "version " + std::string(version_id) + " is the default version of policy " +
                                             old->name + "; make another version the default first");
  }
  auto p = std::make_shared<Policy>(*old);
  std::erase_if(p->versions, [&](const Version& v) { return v.id == version_id; });
  p->modified_at_ms = clock_.unix_ms();
  p->generation_id = new_generation_id();
  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  core::Error err;
  if (!run(*db_, "DELETE FROM policy_versions WHERE policy_name = ? AND version_id = ?",
           [&](store::Stmt& s) { s.bind_text(1, p->name).bind(2, static_cast<std::int64_t>(*parse_version(version_id))); },
           &err) ||
      !run(*db_, "UPDATE policies SET generation_id = ?, modified_at_ms = ? WHERE policy_name = ?",
           [&](store::Stmt& s) { s.bind_text(1, p->generation_id).bind(2, p->modified_at_ms).bind_text(3, p->name); },
           &err)) {
    return core::fail(std::move(err));
  }
  if (auto r = txn->commit(); !r) return core::propagate(std::move(r));
  {
    std::unique_lock lock(mu_);
    policies_[p->name] = p;
  }
  publish(Change{Change::Kind::kVersionDeleted, p->name, {}, 0});
  return {};
}

core::Result<void> PolicyStore::remove(std::string_view name) {
  std::lock_guard w(write_mu_);
  auto old = find(name);
  if (!old) return no_policy(name);
  if (has_any_target(name)) {
    return fault(Fault::kDeleteConflict, "policy " + old->name + " is attached to " +
                                             std::to_string(targets_of(name).size()) +
                                             " target(s); detach it first (ListTargetsForPolicy)");
  }
  if (old->versions.size() > 1) {
    return fault(Fault::kDeleteConflict, "policy " + old->name + " has " + std::to_string(old->versions.size() - 1) +
                                             " non-default version(s); delete them first (DeletePolicyVersion)");
  }
  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  core::Error err;
  if (!run(*db_, "DELETE FROM policy_versions WHERE policy_name = ?", [&](store::Stmt& s) { s.bind_text(1, old->name); },
           &err) ||
      !run(*db_, "DELETE FROM policies WHERE policy_name = ?", [&](store::Stmt& s) { s.bind_text(1, old->name); },
           &err)) {
    return core::fail(std::move(err));
  }
  if (auto r = txn->commit(); !r) return core::propagate(std::move(r));
  {
    std::unique_lock lock(mu_);
    policies_.erase(old->name);
    targets_.erase(old->name);
  }
  publish(Change{Change::Kind::kDeleted, old->name, {}, 0});
  return {};
}

bool PolicyStore::has_any_target(std::string_view name) const {
  std::shared_lock lock(mu_);
  auto it = targets_.find(name);
  return it != targets_.end() && !it->second.empty();
}

core::Result<void> PolicyStore::attach(std::string_view name, std::string_view target) {
  if (!parse_target(target, partition_)) {
    return fault(Fault::kInvalidRequest, "target " + std::string(target) +
                                             " is not a certificate or thing-group ARN of this hub (arn:aws:iot:" +
                                             partition_.region + ":" + partition_.account_id + ":cert/<id> or ...:thinggroup/<name>)");
  }
  std::lock_guard w(write_mu_);
  auto p = find(name);
  if (!p) return no_policy(name);
  if (!target_exists(target)) return fault(Fault::kNotFound, "target " + std::string(target) + " does not exist");
  {
    std::shared_lock lock(mu_);
    auto it = by_target_.find(target);
    if (it != by_target_.end()) {
      if (it->second.count(name)) return {};
      if (it->second.size() >= options_.max_policies_per_target) {
        return fault(Fault::kLimitExceeded, "target " + std::string(target) + " already has " +
                                                std::to_string(it->second.size()) + " policies attached (the limit is " +
                                                std::to_string(options_.max_policies_per_target) + ")");
      }
    }
  }
  core::Error err;
  if (!run(*db_, "INSERT INTO policy_targets (policy_name, target_arn, attached_at_ms) VALUES (?, ?, ?)",
           [&](store::Stmt& s) { s.bind_text(1, p->name).bind_text(2, target).bind(3, clock_.unix_ms()); }, &err)) {
    return core::fail(std::move(err));
  }
  {
    std::unique_lock lock(mu_);
    by_target_[std::string(target)].insert(p->name);
    targets_[p->name].insert(std::string(target));
  }
  publish(Change{Change::Kind::kAttached, p->name, {std::string(target)}, 0});
  return {};
}

core::Result<void> PolicyStore::detach(std::string_view name, std::string_view target) {
  if (!parse_target(target, partition_)) {
    return fault(Fault::kInvalidRequest, "target " + std::string(target) + " is not a certificate or thing-group ARN of this hub");
  }
  std::lock_guard w(write_mu_);
  auto p = find(name);
  if (!p) return no_policy(name);
  {
    std::shared_lock lock(mu_);
    auto it = by_target_.find(target);
    if (it == by_target_.end() || !it->second.count(name)) return {};
  }
  core::Error err;
  if (!run(*db_, "DELETE FROM policy_targets WHERE policy_name = ? AND target_arn = ?",
           [&](store::Stmt& s) { s.bind_text(1, p->name).bind_text(2, target); }, &err)) {
    return core::fail(std::move(err));
  }
  {
    std::unique_lock lock(mu_);
    if (auto it = by_target_.find(target); it != by_target_.end()) {
      it->second.erase(p->name);
      if (it->second.empty()) by_target_.erase(it);
    }
    if (auto it = targets_.find(p->name); it != targets_.end()) {
      it->second.erase(std::string(target));
      if (it->second.empty()) targets_.erase(it);
    }
  }
  publish(Change{Change::Kind::kDetached, p->name, {std::string(target)}, 0});
  return {};
}

core::Result<void> PolicyStore::forget_target(std::string_view target) {
  std::lock_guard w(write_mu_);
  std::vector<std::string> names = policies_of(target);
  if (names.empty()) return {};
  core::Error err;
  if (!run(*db_, "DELETE FROM policy_targets WHERE target_arn = ?", [&](store::Stmt& s) { s.bind_text(1, target); },
           &err)) {
    return core::fail(std::move(err));
  }
  {
    std::unique_lock lock(mu_);
    by_target_.erase(std::string(target));
    for (const auto& n : names) {
      if (auto it = targets_.find(n); it != targets_.end()) {
        it->second.erase(std::string(target));
        if (it->second.empty()) targets_.erase(it);
      }
    }
  }
  for (const auto& n : names) publish(Change{Change::Kind::kDetached, n, {std::string(target)}, 0});
  return {};
}

}  // namespace tenet::policies
