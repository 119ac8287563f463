#include "registry/registry.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <boost/json.hpp>

#include "core/log.h"
#include "fleet_index/document.h"
#include "fleet_index/json.h"
#include "store/sqlite.h"

namespace tenet::registry {
namespace {

namespace json = boost::json;
using core::Errc;

class FaultCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tenet.registry"; }
  std::string message(int v) const override {
    switch (static_cast<Fault>(v)) {
      case Fault::kInvalidRequest: return "InvalidRequestException";
      case Fault::kNotFound: return "ResourceNotFoundException";
      case Fault::kAlreadyExists: return "ResourceAlreadyExistsException";
      case Fault::kVersionConflict: return "VersionConflictException";
      case Fault::kInvalidQuery: return "InvalidQueryException";
      case Fault::kLimitExceeded: return "LimitExceededException";
    }
    return "unknown";
  }
};

core::Unexpected fault(Fault f, std::string message) {
  Errc code = Errc::kInvalidArgument;
  switch (f) {
    case Fault::kInvalidRequest: code = Errc::kInvalidArgument; break;
    case Fault::kNotFound: code = Errc::kNotFound; break;
    case Fault::kAlreadyExists: code = Errc::kAlreadyExists; break;
    case Fault::kVersionConflict: code = Errc::kConflict; break;
    case Fault::kInvalidQuery: code = Errc::kInvalidArgument; break;
    case Fault::kLimitExceeded: code = Errc::kResourceExhausted; break;
  }
  return core::fail(code, std::move(message), std::error_code(static_cast<int>(f), fault_category()));
}

std::string new_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) std::abort();  // the CSPRNG failing is not recoverable
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return out;
}

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// Thing, thing type and thing group names: [a-zA-Z0-9:_-]+, 1..128 (botocore model).
core::Result<void> check_name(std::string_view what, std::string_view name) {
  const bool ok = !name.empty() && name.size() <= 128 &&
                  std::all_of(name.begin(), name.end(), [](char c) { return alnum(c) || c == ':' || c == '_' || c == '-'; });
  if (!ok) return fault(Fault::kInvalidRequest, std::string(what) + " name must match [a-zA-Z0-9:_-]+ (1-128 characters)");
  return {};
}

// Attribute names [a-zA-Z0-9_.,@/:#-]+ (<= 128) and values [a-zA-Z0-9_.,@/:#=\[\]-]* (<= 800).
core::Result<void> check_attributes(const std::map<std::string, std::string>& attrs, bool allow_empty_values) {
  auto name_char = [](char c) { return alnum(c) || std::string_view("_.,@/:#-").find(c) != std::string_view::npos; };
  auto value_char = [&](char c) { return name_char(c) || c == '=' || c == '[' || c == ']'; };
  for (const auto& [k, v] : attrs) {
    if (k.empty() || k.size() > 128 || !std::all_of(k.begin(), k.end(), name_char)) {
      return fault(Fault::kInvalidRequest, "attribute name '" + k + "' must match [a-zA-Z0-9_.,@/:#-]+ (1-128 characters)");
    }
    if (v.size() > 800 || !std::all_of(v.begin(), v.end(), value_char)) {
      return fault(Fault::kInvalidRequest, "value of attribute '" + k + "' must match [a-zA-Z0-9_.,@/:#=\\[\\]-]* (up to 800 characters)");
    }
    if (v.empty() && !allow_empty_values) {
      return fault(Fault::kInvalidRequest, "attribute '" + k + "' has an empty value");
    }
  }
  return {};
}

// Applies an AttributePayload to `attrs`: merge keeps others and an empty value removes;
// otherwise the payload replaces everything (empty values dropped).
std::map<std::string, std::string> apply_payload(std::map<std::string, std::string> attrs, const AttributePayload& p) {
  if (!p.merge) attrs.clear();
  for (const auto& [k, v] : p.attributes) {
    if (v.empty()) {
      attrs.erase(k);
    } else {
      attrs[k] = v;
    }
  }
  return attrs;
}

std::string map_json(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return json::serialize(o);
}

std::string list_json(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.push_back(json::string(s));
  return json::serialize(a);
}

core::Result<std::map<std::string, std::string>> parse_map(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return core::fail(Errc::kInternal, "stored attributes are not a JSON object");
  std::map<std::string, std::string> out;
  for (const auto& kv : v.as_object()) {
    if (!kv.value().is_string()) return core::fail(Errc::kInternal, "stored attribute value is not a string");
    out[std::string(kv.key())] = std::string(kv.value().as_string());
  }
  return out;
}

core::Result<std::vector<std::string>> parse_list(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_array()) return core::fail(Errc::kInternal, "stored list is not a JSON array");
  std::vector<std::string> out;
  for (const auto& e : v.as_array()) {
    if (!e.is_string()) return core::fail(Errc::kInternal, "stored list element is not a string");
    out.emplace_back(e.as_string());
  }
  return out;
}

core::Result<fleet_index::Query> compile(std::string_view query_string) {
  auto q = fleet_index::parse(query_string);
  if (!q) return fault(Fault::kInvalidQuery, q.error().detail);
  return q;
}

// Whether a query reading `fields` can be affected by `changed` (exact fields, or prefixes that
// end in '.'; empty = everything).
bool affected(const std::vector<std::string>& fields, const std::vector<std::string>& changed) {
  if (changed.empty()) return true;
  for (const auto& f : fields) {
    if (f == "*") return true;
    for (const auto& c : changed) {
      if (c.ends_with('.') ? f.starts_with(c) : f == c) return true;
    }
  }
  return false;
}

const json::value kDefaultIndexingConfig = json::parse(
    R"({"thingIndexingConfiguration":{"thingIndexingMode":"REGISTRY","thingConnectivityIndexingMode":"STATUS",)"
    R"("deviceDefenderIndexingMode":"OFF","namedShadowIndexingMode":"OFF"},)"
    R"("thingGroupIndexingConfiguration":{"thingGroupIndexingMode":"ON"}})");

}  // namespace

const std::error_category& fault_category() {
  static const FaultCategory c;
  return c;
}

std::optional<Fault> fault_of(const core::Error& e) {
  if (e.cause.category() != fault_category() || e.cause.value() == 0) return std::nullopt;
  return static_cast<Fault>(e.cause.value());
}

PresenceEvent build_presence_event(const PresenceFields& f) {
  json::object o;
  o["clientId"] = f.client_id;
  o["timestamp"] = f.timestamp_ms;
  o["eventType"] = f.connected ? "connected" : "disconnected";
  o["sessionIdentifier"] = f.session_id;
  o["principalIdentifier"] = f.principal;
  if (f.connected) {
    o["ipAddress"] = f.ip_address;
  } else {
    o["clientInitiatedDisconnect"] = f.client_initiated;
    o["disconnectReason"] = f.disconnect_reason;
  }
  o["versionNumber"] = f.version_number;
  return PresenceEvent{std::string("$aws/events/presence/") + (f.connected ? "connected/" : "disconnected/") + f.client_id,
                       json::serialize(o)};
}

// ---- open / load --------------------------------------------------------------------------------

Registry::Registry(std::unique_ptr<store::Db> db, control::Partition partition, const core::Clock& clock)
    : partition_(std::move(partition)), clock_(clock), db_(std::move(db)), indexing_config_(kDefaultIndexingConfig) {}

Registry::~Registry() = default;

core::Result<std::unique_ptr<Registry>> Registry::open(const std::string& db_path, control::Partition partition,
                                                       const core::Clock& clock) {
  store::DbOptions o;
  o.path = db_path;
  o.create = false;
  auto db = store::Db::open(o);
  if (!db) return core::propagate(std::move(db));
  auto self = std::unique_ptr<Registry>(
      new Registry(std::make_unique<store::Db>(std::move(*db)), std::move(partition), clock));
  if (auto r = self->load(); !r) return core::fail(std::move(r).error().with_context("loading the thing registry"));
  return self;
}

core::Result<void> Registry::load() {
  std::lock_guard w(write_mu_);
  std::unique_lock l(mu_);
  {
    auto st = db_->prepare(
        "SELECT name, type_id, description, searchable_attributes, deprecated, deprecated_at_ms, created_at_ms "
        "FROM thing_types");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      auto t = std::make_shared<ThingType>();
      t->name = st->column_text(0);
      t->id = st->column_text(1);
      t->arn = partition_.arn("thingtype", t->name);
      t->description = st->column_text(2);
      auto attrs = parse_list(st->column_text(3));
      if (!attrs) return core::propagate(std::move(attrs));
      t->searchable_attributes = std::move(*attrs);
      t->deprecated = st->column_int(4) != 0;
      t->deprecated_ms = st->column_int(5);
      t->created_ms = st->column_int(6);
      types_[t->name] = std::move(t);
    }
  }
  {
    auto st = db_->prepare("SELECT name, thing_id, type_name, attributes, version, created_at_ms FROM things");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      auto t = std::make_shared<Thing>();
      t->name = st->column_text(0);
      t->id = st->column_text(1);
      t->arn = partition_.arn("thing", t->name);
      t->type_name = st->column_text(2);
      auto attrs = parse_map(st->column_text(3));
      if (!attrs) return core::propagate(std::move(attrs));
      t->attributes = std::move(*attrs);
      t->version = st->column_int(4);
      t->created_ms = st->column_int(5);
      things_[t->name].thing = std::move(t);
    }
  }
  {
    auto st = db_->prepare(
        "SELECT name, group_id, parent_name, description, attributes, version, created_at_ms, dynamic, query_string, "
        "query_version, index_name FROM thing_groups");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      auto g = std::make_shared<ThingGroup>();
      g->name = st->column_text(0);
      g->id = st->column_text(1);
      g->arn = partition_.arn("thinggroup", g->name);
      g->parent = st->column_text(2);
      g->description = st->column_text(3);
      auto attrs = parse_map(st->column_text(4));
      if (!attrs) return core::propagate(std::move(attrs));
      g->attributes = std::move(*attrs);
      g->version = st->column_int(5);
      g->created_ms = st->column_int(6);
      g->dynamic = st->column_int(7) != 0;
      g->query_string = st->column_text(8);
      g->query_version = st->column_text(9);
      g->index_name = st->column_text(10);
      if (g->dynamic) {
        auto q = compile(g->query_string);
        if (q) {
          queries_.emplace(g->name, DynamicQuery{*q, fleet_index::fields(*q)});
        } else {
          core::log::warn("dynamic thing group {}: stored query no longer parses ({}); the group stays empty", g->name,
                          q.error().detail);
        }
      }
      members_[g->name];
      groups_[g->name] = std::move(g);
    }
  }
  {
    auto st = db_->prepare("SELECT group_name, thing_name FROM thing_group_members");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      const std::string g = st->column_text(0), t = st->column_text(1);
      auto it = things_.find(t);
      if (it == things_.end() || !groups_.count(g)) continue;  // foreign keys make this impossible
      it->second.static_groups.insert(g);
      members_[g].insert(t);
    }
  }
  {
    auto st = db_->prepare("SELECT thing_name, principal_arn, exclusive FROM thing_principals");
    if (!st) return core::propagate(std::move(st));
    while (true) {
      auto row = st->step();
      if (!row) return core::propagate(std::move(row));
      if (!*row) break;
      const std::string t = st->column_text(0), p = st->column_text(1);
      const bool exclusive = st->column_int(2) != 0;
      auto it = things_.find(t);
      if (it == things_.end()) continue;
      it->second.principals[p] = exclusive;
      principal_things_[p][t] = exclusive;
    }
  }
  {
    auto st = db_->prepare("SELECT value FROM registry_settings WHERE name = 'indexing_configuration'");
    if (!st) return core::propagate(std::move(st));
    auto row = st->step();
    if (!row) return core::propagate(std::move(row));
    if (*row) {
      boost::system::error_code ec;
      auto v = json::parse(st->column_text(0), ec);
      if (!ec && v.is_object()) indexing_config_ = std::move(v);
    }
  }
  std::vector<Change> ignored;  // nobody observes yet
  for (const auto& [name, q] : queries_) reevaluate_group(name, ignored);
  return {};
}

// ---- internal helpers ---------------------------------------------------------------------------

void Registry::notify(const std::vector<Change>& changes) {
  if (changes.empty()) return;
  std::vector<std::function<void(const Change&)>> observers;
  {
    std::shared_lock l(mu_);
    observers = observers_;
  }
  for (const auto& c : changes) {
    for (const auto& o : observers) o(c);
  }
}

void Registry::build_document(const std::string& name, const ThingState& t, bool with_dynamic,
                              fleet_index::Document& doc) const {
  using fleet_index::Value;
  doc.add("thingName", Value::string_value(name));
  doc.add("thingId", Value::string_value(t.thing->id));
  if (!t.thing->type_name.empty()) doc.add("thingTypeName", Value::string_value(t.thing->type_name));
  std::set<std::string> groups = t.static_groups;
  if (with_dynamic) groups.insert(t.dynamic_groups.begin(), t.dynamic_groups.end());
  for (const auto& g : groups) doc.add("thingGroupNames", Value::string_value(g));
  for (const auto& [k, v] : t.thing->attributes) doc.add("attributes." + k, Value::string_value(v));
  auto c = connectivity_.find(name);
  if (c != connectivity_.end()) {
    doc.add("connectivity.connected", Value::bool_value(c->second.connected));
    doc.add("connectivity.timestamp", Value::number_value(static_cast<double>(c->second.timestamp_ms)));
    if (!c->second.disconnect_reason.empty()) {
      doc.add("connectivity.disconnectReason", Value::string_value(c->second.disconnect_reason));
    }
  } else {
    doc.add("connectivity.connected", Value::bool_value(false));
  }
  auto e = extra_.find(name);
  if (e != extra_.end()) {
    for (const auto& [prefix, v] : e->second) fleet_index::add_json(doc, prefix, v);
  }
}

void Registry::reevaluate_thing(const std::string& name, ThingState& t, const std::vector<std::string>& changed,
                                std::vector<Change>& out) {
  std::optional<fleet_index::Document> doc;
  for (const auto& [group, q] : queries_) {
    if (!affected(q.fields, changed)) continue;
    if (!doc) {
      doc.emplace();
      build_document(name, t, false, *doc);
    }
    const bool now = fleet_index::matches(q.query, *doc);
    const bool was = t.dynamic_groups.count(group) != 0;
    if (now == was) continue;
    if (now) {
      t.dynamic_groups.insert(group);
      members_[group].insert(name);
    } else {
      t.dynamic_groups.erase(group);
      members_[group].erase(name);
    }
    out.push_back(Change{Change::kGroupMembership, name, "", group});
  }
}

void Registry::reevaluate_group(const std::string& group, std::vector<Change>& out) {
  auto q = queries_.find(group);
  auto& members = members_[group];
  for (auto& [name, t] : things_) {
    bool now = false;
    if (q != queries_.end()) {
      fleet_index::Document doc;
      build_document(name, t, false, doc);
      now = fleet_index::matches(q->second.query, doc);
    }
    const bool was = t.dynamic_groups.count(group) != 0;
    if (now == was) continue;
    if (now) {
      t.dynamic_groups.insert(group);
      members.insert(name);
    } else {
      t.dynamic_groups.erase(group);
      members.erase(name);
    }
    out.push_back(Change{Change::kGroupMembership, name, "", group});
  }
}

std::size_t Registry::depth_of(std::string_view group) const {
  std::size_t depth = 0;
  std::string cur(group);
  while (!cur.empty() && depth <= kMaxGroupDepth + 1) {
    auto it = groups_.find(cur);
    if (it == groups_.end()) break;
    ++depth;
    cur = it->second->parent;
  }
  return depth;
}

// ---- reads --------------------------------------------------------------------------------------

ThingPtr Registry::thing_for_connection(std::string_view certificate_arn, std::string_view client_id) const {
  std::shared_lock l(mu_);
  auto p = principal_things_.find(std::string(certificate_arn));
  if (p == principal_things_.end()) return nullptr;
  for (const auto& [thing, exclusive] : p->second) {
    if (exclusive) {
      auto it = things_.find(thing);
      return it == things_.end() ? nullptr : it->second.thing;
    }
  }
  if (p->second.count(std::string(client_id)) == 0) return nullptr;
  auto it = things_.find(client_id);
  return it == things_.end() ? nullptr : it->second.thing;
}

bool Registry::is_attached(std::string_view principal_arn, std::string_view thing_name) const {
  std::shared_lock l(mu_);
  auto p = principal_things_.find(std::string(principal_arn));
  return p != principal_things_.end() && p->second.count(std::string(thing_name)) != 0;
}

bool Registry::has_things(std::string_view principal_arn) const {
  std::shared_lock l(mu_);
  auto p = principal_things_.find(std::string(principal_arn));
  return p != principal_things_.end() && !p->second.empty();
}

ThingPtr Registry::find_thing(std::string_view name) const {
  std::shared_lock l(mu_);
  auto it = things_.find(name);
  return it == things_.end() ? nullptr : it->second.thing;
}

ThingTypePtr Registry::find_type(std::string_view name) const {
  std::shared_lock l(mu_);
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : it->second;
}

ThingGroupPtr Registry::find_group(std::string_view name) const {
  std::shared_lock l(mu_);
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : it->second;
}

std::vector<std::string> Registry::static_groups_with_ancestors(std::string_view thing_name) const {
  std::shared_lock l(mu_);
  std::set<std::string> out;
  auto it = things_.find(thing_name);
  if (it == things_.end()) return {};
  for (const auto& g : it->second.static_groups) {
    std::string cur = g;
    while (!cur.empty() && out.insert(cur).second) {
      auto gi = groups_.find(cur);
      if (gi == groups_.end()) break;
      cur = gi->second->parent;
    }
  }
  return {out.begin(), out.end()};
}

std::vector<std::string> Registry::groups_of(std::string_view thing_name) const {
  std::shared_lock l(mu_);
  auto it = things_.find(thing_name);
  if (it == things_.end()) return {};
  std::set<std::string> out = it->second.static_groups;
  out.insert(it->second.dynamic_groups.begin(), it->second.dynamic_groups.end());
  return {out.begin(), out.end()};
}

std::vector<std::string> Registry::things_in_group(std::string_view group, bool recursive) const {
  std::shared_lock l(mu_);
  std::set<std::string> out;
  std::vector<std::string> todo{std::string(group)};
  std::set<std::string> seen;
  while (!todo.empty()) {
    std::string g = std::move(todo.back());
    todo.pop_back();
    if (!seen.insert(g).second) continue;
    auto m = members_.find(g);
    if (m != members_.end()) out.insert(m->second.begin(), m->second.end());
    if (!recursive) break;
    for (const auto& [name, grp] : groups_) {
      if (grp->parent == g) todo.push_back(name);
    }
  }
  return {out.begin(), out.end()};
}

std::optional<Connectivity> Registry::connectivity(std::string_view thing_name) const {
  std::shared_lock l(mu_);
  auto it = connectivity_.find(std::string(thing_name));
  if (it == connectivity_.end()) return std::nullopt;
  return it->second;
}

std::vector<ThingPtr> Registry::list_things(const ThingFilter& f) const {
  std::shared_lock l(mu_);
  std::vector<ThingPtr> out;
  for (const auto& [name, t] : things_) {
    if (!f.type_name.empty() && t.thing->type_name != f.type_name) continue;
    if (!f.attribute_name.empty()) {
      auto a = t.thing->attributes.find(f.attribute_name);
      if (a == t.thing->attributes.end()) continue;
      if (!f.attribute_value.empty() &&
          !(f.attribute_prefix ? a->second.starts_with(f.attribute_value) : a->second == f.attribute_value)) {
        continue;
      }
    }
    out.push_back(t.thing);
  }
  return out;
}

std::vector<ThingTypePtr> Registry::list_types() const {
  std::shared_lock l(mu_);
  std::vector<ThingTypePtr> out;
  for (const auto& [n, t] : types_) out.push_back(t);
  return out;
}

std::vector<ThingGroupPtr> Registry::list_groups() const {
  std::shared_lock l(mu_);
  std::vector<ThingGroupPtr> out;
  for (const auto& [n, g] : groups_) out.push_back(g);
  return out;
}

std::vector<ThingGroupPtr> Registry::children_of(std::string_view group, bool recursive) const {
  std::shared_lock l(mu_);
  std::vector<ThingGroupPtr> out;
  for (const auto& [n, g] : groups_) {
    if (g->parent.empty()) continue;
    if (g->parent == group) {
      out.push_back(g);
      continue;
    }
    if (!recursive) continue;
    // Is `group` an ancestor? Depth is bounded by kMaxGroupDepth.
    std::string cur = g->parent;
    for (std::size_t i = 0; i <= kMaxGroupDepth && !cur.empty(); ++i) {
      if (cur == group) {
        out.push_back(g);
        break;
      }
      auto it = groups_.find(cur);
      if (it == groups_.end()) break;
      cur = it->second->parent;
    }
  }
  return out;
}

std::vector<ThingGroupPtr> Registry::ancestors_of(std::string_view group) const {
  std::shared_lock l(mu_);
  std::vector<ThingGroupPtr> out;
  auto it = groups_.find(group);
  if (it == groups_.end()) return out;
  std::string cur = it->second->parent;
  for (std::size_t i = 0; i <= kMaxGroupDepth && !cur.empty(); ++i) {
    auto p = groups_.find(cur);
    if (p == groups_.end()) break;
    out.push_back(p->second);
    cur = p->second->parent;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::string> Registry::principals_of(std::string_view thing) const {
  std::shared_lock l(mu_);
  auto it = things_.find(thing);
  if (it == things_.end()) return {};
  std::vector<std::string> out;
  for (const auto& [p, e] : it->second.principals) out.push_back(p);
  return out;
}

std::vector<std::string> Registry::things_of_principal(std::string_view principal) const {
  std::shared_lock l(mu_);
  auto it = principal_things_.find(std::string(principal));
  if (it == principal_things_.end()) return {};
  std::vector<std::string> out;
  for (const auto& [t, e] : it->second) out.push_back(t);
  return out;
}

// ---- connectivity -------------------------------------------------------------------------------

PresenceEvent Registry::connected(std::string_view client_id, std::string_view principal, std::string_view ip,
                                  std::int64_t ts_ms, std::string session_id) {
  PresenceFields f;
  f.client_id = std::string(client_id);
  f.timestamp_ms = ts_ms;
  f.connected = true;
  f.principal = std::string(principal);
  f.ip_address = std::string(ip);
  f.session_id = session_id;
  std::vector<Change> changes;
  {
    std::unique_lock l(mu_);
    auto& c = connectivity_[f.client_id];
    c.connected = true;
    c.timestamp_ms = ts_ms;
    c.disconnect_reason.clear();
    c.session_id = std::move(session_id);
    f.version_number = c.version_number++;
    auto it = things_.find(f.client_id);
    if (it != things_.end()) reevaluate_thing(it->first, it->second, {"connectivity."}, changes);
  }
  notify(changes);
  return build_presence_event(f);
}

PresenceEvent Registry::disconnected(std::string_view client_id, std::string_view principal, std::string_view reason,
                                     bool client_initiated, std::int64_t ts_ms, std::string session_id) {
  PresenceFields f;
  f.client_id = std::string(client_id);
  f.timestamp_ms = ts_ms;
  f.connected = false;
  f.principal = std::string(principal);
  f.session_id = session_id;
  f.client_initiated = client_initiated;
  f.disconnect_reason = std::string(reason);
  std::vector<Change> changes;
  {
    std::unique_lock l(mu_);
    auto& c = connectivity_[f.client_id];
    f.version_number = c.version_number++;
    // A stale disconnect (a newer session of the same client id already connected) leaves the
    // indexed state alone.
    if (c.session_id.empty() || c.session_id == session_id) {
      c.connected = false;
      c.timestamp_ms = ts_ms;
      c.disconnect_reason = f.disconnect_reason;
      c.session_id = std::move(session_id);
      auto it = things_.find(f.client_id);
      if (it != things_.end()) {
        reevaluate_thing(it->first, it->second, {"connectivity."}, changes);
      } else {
        connectivity_.erase(f.client_id);  // bounded: only things and connected clients are kept
      }
    }
  }
  notify(changes);
  return build_presence_event(f);
}

// ---- hooks --------------------------------------------------------------------------------------

void Registry::on_change(std::function<void(const Change&)> observer) {
  std::unique_lock l(mu_);
  observers_.push_back(std::move(observer));
}

void Registry::set_principal_query(std::function<bool(std::string_view)> query) {
  std::unique_lock l(mu_);
  principal_query_ = std::move(query);
}

bool Registry::set_extra_fields(std::string_view thing_name, std::string_view prefix, const boost::json::value& fields) {
  std::vector<Change> changes;
  {
    std::unique_lock l(mu_);
    auto it = things_.find(thing_name);
    if (it == things_.end()) return false;
    auto& slot = extra_[it->first];
    if (fields.is_null()) {
      slot.erase(std::string(prefix));
      if (slot.empty()) extra_.erase(it->first);
    } else {
      slot[std::string(prefix)] = fields;
    }
    reevaluate_thing(it->first, it->second, {std::string(prefix) + "."}, changes);
  }
  notify(changes);
  return true;
}

// ---- things -------------------------------------------------------------------------------------

core::Result<ThingPtr> Registry::create_thing(const NewThing& req) {
  if (auto r = check_name("thing", req.name); !r) return core::propagate(std::move(r));
  if (!req.type_name.empty()) {
    if (auto r = check_name("thing type", req.type_name); !r) return core::propagate(std::move(r));
  }
  if (auto r = check_attributes(req.attributes, false); !r) return core::propagate(std::move(r));
  if (req.attributes.size() > kMaxAttributes) {
    return fault(Fault::kInvalidRequest, "a thing has at most " + std::to_string(kMaxAttributes) + " attributes");
  }
  std::lock_guard w(write_mu_);
  {
    std::shared_lock l(mu_);
    if (auto it = things_.find(req.name); it != things_.end()) {
      const auto& t = *it->second.thing;
      if (t.type_name == req.type_name && t.attributes == req.attributes) return it->second.thing;
      return fault(Fault::kAlreadyExists, "thing " + req.name + " already exists with a different configuration");
    }
    if (!req.type_name.empty()) {
      auto ty = types_.find(req.type_name);
      if (ty == types_.end()) return fault(Fault::kNotFound, "thing type " + req.type_name + " does not exist");
      if (ty->second->deprecated) {
        return fault(Fault::kInvalidRequest, "thing type " + req.type_name + " is deprecated: new things cannot use it");
      }
    }
  }
  auto t = std::make_shared<Thing>();
  t->name = req.name;
  t->id = new_uuid();
  t->arn = partition_.arn("thing", t->name);
  t->type_name = req.type_name;
  t->attributes = req.attributes;
  t->version = 1;
  t->created_ms = clock_.unix_ms();
  auto st = db_->cached(
      "INSERT INTO things (name, thing_id, type_name, attributes, version, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)");
  if (!st) return core::propagate(std::move(st));
  const std::string attrs = map_json(t->attributes);
  (*st)->bind_text(1, t->name).bind_text(2, t->id).bind_text(3, t->type_name).bind_text(4, attrs).bind(5, t->version).bind(
      6, t->created_ms);
  if (auto r = (*st)->run(); !r) return core::propagate(std::move(r));
  std::vector<Change> changes{Change{Change::kThingUpdated, t->name, "", ""}};
  {
    std::unique_lock l(mu_);
    auto& state = things_[t->name];
    state.thing = t;
    reevaluate_thing(t->name, state, {}, changes);
  }
  notify(changes);
  return ThingPtr(t);
}

core::Result<ThingPtr> Registry::update_thing(std::string_view name, const ThingUpdate& u) {
  if (u.type_name && u.remove_type) {
    return fault(Fault::kInvalidRequest, "thingTypeName and removeThingType cannot both be given");
  }
  if (u.type_name) {
    if (auto r = check_name("thing type", *u.type_name); !r) return core::propagate(std::move(r));
  }
  if (u.attributes) {
    if (auto r = check_attributes(u.attributes->attributes, true); !r) return core::propagate(std::move(r));
  }
  std::lock_guard w(write_mu_);
  std::shared_ptr<Thing> next;
  {
    std::shared_lock l(mu_);
    auto it = things_.find(name);
    if (it == things_.end()) return fault(Fault::kNotFound, "thing " + std::string(name) + " does not exist");
    const auto& cur = *it->second.thing;
    if (u.expected_version && *u.expected_version != cur.version) {
      return fault(Fault::kVersionConflict, "thing " + cur.name + " is at version " + std::to_string(cur.version) +
                                                ", not " + std::to_string(*u.expected_version));
    }
    if (u.type_name && *u.type_name != cur.type_name) {
      auto ty = types_.find(*u.type_name);
      if (ty == types_.end()) return fault(Fault::kNotFound, "thing type " + *u.type_name + " does not exist");
      if (ty->second->deprecated) {
        return fault(Fault::kInvalidRequest, "thing type " + *u.type_name + " is deprecated: things cannot be given it");
      }
    }
    next = std::make_shared<Thing>(cur);
  }
  if (u.type_name) next->type_name = *u.type_name;
  if (u.remove_type) next->type_name.clear();
  if (u.attributes) next->attributes = apply_payload(std::move(next->attributes), *u.attributes);
  if (next->attributes.size() > kMaxAttributes) {
    return fault(Fault::kInvalidRequest, "a thing has at most " + std::to_string(kMaxAttributes) + " attributes");
  }
  next->version += 1;
  auto st = db_->cached("UPDATE things SET type_name = ?, attributes = ?, version = ? WHERE name = ?");
  if (!st) return core::propagate(std::move(st));
  const std::string attrs = map_json(next->attributes);
  (*st)->bind_text(1, next->type_name).bind_text(2, attrs).bind(3, next->version).bind_text(4, next->name);
  if (auto r = (*st)->run(); !r) return core::propagate(std::move(r));
  std::vector<Change> changes{Change{Change::kThingUpdated, next->name, "", ""}};
  {
    std::unique_lock l(mu_);
    auto& state = things_[next->name];
    state.thing = next;
    reevaluate_thing(next->name, state, {"attributes.", "thingTypeName"}, changes);
  }
  notify(changes);
  return ThingPtr(next);
}

core::Result<void> Registry::delete_thing(std::string_view name_view, std::optional<std::int64_t> expected_version) {
  const std::string name(name_view);
  std::lock_guard w(write_mu_);
  std::vector<Change> changes;
  {
    std::shared_lock l(mu_);
    auto it = things_.find(name);
    if (it == things_.end()) return {};  // AWS: deleting a missing thing succeeds
    if (expected_version && *expected_version != it->second.thing->version) {
      return fault(Fault::kVersionConflict, "thing " + name + " is at version " +
                                                std::to_string(it->second.thing->version) + ", not " +
                                                std::to_string(*expected_version));
    }
    if (!it->second.principals.empty()) {
      return fault(Fault::kInvalidRequest, "thing " + name + " has principals attached: detach them first");
    }
    for (const auto& g : it->second.static_groups) changes.push_back(Change{Change::kGroupMembership, name, "", g});
    for (const auto& g : it->second.dynamic_groups) changes.push_back(Change{Change::kGroupMembership, name, "", g});
  }
  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  for (const char* sql : {"DELETE FROM thing_group_members WHERE thing_name = ?", "DELETE FROM thing_principals WHERE thing_name = ?",
                          "DELETE FROM things WHERE name = ?"}) {
    auto st = db_->cached(sql);
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, name);
    if (auto r = (*st)->run(); !r) return r;
  }
  if (auto r = txn->commit(); !r) return r;
  {
    std::unique_lock l(mu_);
    auto it = things_.find(name);
    for (const auto& g : it->second.static_groups) members_[g].erase(name);
    for (const auto& g : it->second.dynamic_groups) members_[g].erase(name);
    things_.erase(it);
    extra_.erase(name);
    if (auto c = connectivity_.find(name); c != connectivity_.end() && !c->second.connected) connectivity_.erase(c);
  }
  changes.push_back(Change{Change::kThingDeleted, name, "", ""});
  notify(changes);
  return {};
}

// ---- thing types --------------------------------------------------------------------------------

core::Result<ThingTypePtr> Registry::create_type(std::string_view name, std::string_view description,
                                                 const std::vector<std::string>& searchable) {
  if (auto r = check_name("thing type", name); !r) return core::propagate(std::move(r));
  if (description.size() > 2028) return fault(Fault::kInvalidRequest, "thingTypeDescription is over 2028 characters");
  if (searchable.size() > kMaxSearchableAttributes) {
    return fault(Fault::kInvalidRequest, "a thing type has at most 3 searchable attributes");
  }
  std::map<std::string, std::string> check;
  for (const auto& a : searchable) check[a] = "x";
  if (auto r = check_attributes(check, false); !r) return core::propagate(std::move(r));
  std::lock_guard w(write_mu_);
  {
    std::shared_lock l(mu_);
    if (auto it = types_.find(name); it != types_.end()) {
      if (it->second->description == description && it->second->searchable_attributes == searchable) return it->second;
      return fault(Fault::kAlreadyExists, "thing type " + std::string(name) + " already exists with a different configuration");
    }
  }
  auto t = std::make_shared<ThingType>();
  t->name = std::string(name);
  t->id = new_uuid();
  t->arn = partition_.arn("thingtype", t->name);
  t->description = std::string(description);
  t->searchable_attributes = searchable;
  t->created_ms = clock_.unix_ms();
  auto st = db_->cached(
      "INSERT INTO thing_types (name, type_id, description, searchable_attributes, deprecated, deprecated_at_ms, "
      "created_at_ms) VALUES (?, ?, ?, ?, 0, 0, ?)");
  if (!st) return core::propagate(std::move(st));
  const std::string attrs = list_json(t->searchable_attributes);
  (*st)->bind_text(1, t->name).bind_text(2, t->id).bind_text(3, t->description).bind_text(4, attrs).bind(5, t->created_ms);
  if (auto r = (*st)->run(); !r) return core::propagate(std::move(r));
  std::unique_lock l(mu_);
  types_[t->name] = t;
  return ThingTypePtr(t);
}

core::Result<void> Registry::deprecate_type(std::string_view name, bool undo) {
  std::lock_guard w(write_mu_);
  std::shared_ptr<ThingType> next;
  {
    std::shared_lock l(mu_);
    auto it = types_.find(name);
    if (it == types_.end()) return fault(Fault::kNotFound, "thing type " + std::string(name) + " does not exist");
    next = std::make_shared<ThingType>(*it->second);
  }
  if (next->deprecated == !undo) return {};
  next->deprecated = !undo;
  next->deprecated_ms = undo ? 0 : clock_.unix_ms();
  auto st = db_->cached("UPDATE thing_types SET deprecated = ?, deprecated_at_ms = ? WHERE name = ?");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind(1, next->deprecated ? 1 : 0).bind(2, next->deprecated_ms).bind_text(3, next->name);
  if (auto r = (*st)->run(); !r) return r;
  std::unique_lock l(mu_);
  types_[next->name] = next;
  return {};
}

core::Result<void> Registry::delete_type(std::string_view name) {
  std::lock_guard w(write_mu_);
  {
    std::shared_lock l(mu_);
    auto it = types_.find(name);
    if (it == types_.end()) return fault(Fault::kNotFound, "thing type " + std::string(name) + " does not exist");
    if (!it->second->deprecated) {
      return fault(Fault::kInvalidRequest, "thing type " + std::string(name) + " must be deprecated before it is deleted");
    }
    for (const auto& [n, t] : things_) {
      if (t.thing->type_name == name) {
        return fault(Fault::kInvalidRequest,
                     "thing type " + std::string(name) + " is still used by thing " + n + " (and maybe others)");
      }
    }
  }
  auto st = db_->cached("DELETE FROM thing_types WHERE name = ?");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind_text(1, name);
  if (auto r = (*st)->run(); !r) return r;
  std::unique_lock l(mu_);
  types_.erase(types_.find(name));
  return {};
}

// ---- thing groups -------------------------------------------------------------------------------

core::Result<ThingGroupPtr> Registry::create_group(const NewGroup& req) {
  if (auto r = check_name("thing group", req.name); !r) return core::propagate(std::move(r));
  if (req.description.size() > 2028) return fault(Fault::kInvalidRequest, "thingGroupDescription is over 2028 characters");
  if (auto r = check_attributes(req.attributes, false); !r) return core::propagate(std::move(r));
  if (req.attributes.size() > kMaxAttributes) {
    return fault(Fault::kInvalidRequest, "a thing group has at most " + std::to_string(kMaxAttributes) + " attributes");
  }
  std::optional<fleet_index::Query> query;
  if (req.dynamic) {
    if (!req.parent.empty()) return fault(Fault::kInvalidRequest, "a dynamic thing group cannot have a parent");
    if (req.index_name != "AWS_Things") return fault(Fault::kInvalidRequest, "indexName must be AWS_Things");
    auto q = compile(req.query_string);
    if (!q) return core::propagate(std::move(q));
    query = std::move(*q);
  }
  std::lock_guard w(write_mu_);
  {
    std::shared_lock l(mu_);
    if (auto it = groups_.find(req.name); it != groups_.end()) {
      const auto& g = *it->second;
      if (g.dynamic == req.dynamic && g.parent == req.parent && g.description == req.description &&
          g.attributes == req.attributes && g.query_string == req.query_string) {
        return it->second;
      }
      return fault(Fault::kAlreadyExists, "thing group " + req.name + " already exists with a different configuration");
    }
    if (!req.parent.empty()) {
      auto p = groups_.find(req.parent);
      if (p == groups_.end()) return fault(Fault::kInvalidRequest, "parent thing group " + req.parent + " does not exist");
      if (p->second->dynamic) return fault(Fault::kInvalidRequest, "a dynamic thing group cannot be a parent");
      if (depth_of(req.parent) + 1 > kMaxGroupDepth) {
        return fault(Fault::kInvalidRequest,
                     "thing group hierarchies are at most " + std::to_string(kMaxGroupDepth) + " levels deep");
      }
    }
    if (req.dynamic && queries_.size() >= kMaxDynamicGroups) {
      return fault(Fault::kLimitExceeded, "at most " + std::to_string(kMaxDynamicGroups) + " dynamic thing groups");
    }
  }
  auto g = std::make_shared<ThingGroup>();
  g->name = req.name;
  g->id = new_uuid();
  g->arn = partition_.arn("thinggroup", g->name);
  g->parent = req.parent;
  g->description = req.description;
  g->attributes = req.attributes;
  g->version = 1;
  g->created_ms = clock_.unix_ms();
  g->dynamic = req.dynamic;
  if (req.dynamic) {
    g->query_string = req.query_string;
    g->query_version = req.query_version.empty() ? "2017-09-30" : req.query_version;
    g->index_name = req.index_name;
  }
  auto st = db_->cached(
      "INSERT INTO thing_groups (name, group_id, parent_name, description, attributes, version, created_at_ms, dynamic, "
      "query_string, query_version, index_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  if (!st) return core::propagate(std::move(st));
  const std::string attrs = map_json(g->attributes);
  (*st)->bind_text(1, g->name)
      .bind_text(2, g->id)
      .bind_text(3, g->parent)
      .bind_text(4, g->description)
      .bind_text(5, attrs)
      .bind(6, g->version)
      .bind(7, g->created_ms)
      .bind(8, g->dynamic ? 1 : 0)
      .bind_text(9, g->query_string)
      .bind_text(10, g->query_version)
      .bind_text(11, g->index_name);
  if (auto r = (*st)->run(); !r) return core::propagate(std::move(r));
  std::vector<Change> changes{Change{Change::kGroupHierarchy, "", "", g->name}};
  {
    std::unique_lock l(mu_);
    groups_[g->name] = g;
    members_[g->name];
    if (query) {
      queries_.emplace(g->name, DynamicQuery{*query, fleet_index::fields(*query)});
      reevaluate_group(g->name, changes);
    }
  }
  notify(changes);
  return ThingGroupPtr(g);
}

core::Result<ThingGroupPtr> Registry::update_group(std::string_view name, const GroupUpdate& u, bool dynamic_only) {
  if (u.description && u.description->size() > 2028) {
    return fault(Fault::kInvalidRequest, "thingGroupDescription is over 2028 characters");
  }
  if (u.attributes) {
    if (auto r = check_attributes(u.attributes->attributes, true); !r) return core::propagate(std::move(r));
  }
  std::optional<fleet_index::Query> query;
  if (u.query_string) {
    auto q = compile(*u.query_string);
    if (!q) return core::propagate(std::move(q));
    query = std::move(*q);
  }
  std::lock_guard w(write_mu_);
  std::shared_ptr<ThingGroup> next;
  {
    std::shared_lock l(mu_);
    auto it = groups_.find(name);
    if (it == groups_.end()) return fault(Fault::kNotFound, "thing group " + std::string(name) + " does not exist");
    const auto& cur = *it->second;
    if (dynamic_only && !cur.dynamic) {
      return fault(Fault::kInvalidRequest, "thing group " + cur.name + " is not dynamic: use UpdateThingGroup");
    }
    if (u.query_string && !cur.dynamic) {
      return fault(Fault::kInvalidRequest, "thing group " + cur.name + " is static: it has no query");
    }
    if (u.expected_version && *u.expected_version != cur.version) {
      return fault(Fault::kVersionConflict, "thing group " + cur.name + " is at version " + std::to_string(cur.version) +
                                                ", not " + std::to_string(*u.expected_version));
    }
    next = std::make_shared<ThingGroup>(cur);
  }
  if (u.description) next->description = *u.description;
  if (u.attributes) next->attributes = apply_payload(std::move(next->attributes), *u.attributes);
  if (next->attributes.size() > kMaxAttributes) {
    return fault(Fault::kInvalidRequest, "a thing group has at most " + std::to_string(kMaxAttributes) + " attributes");
  }
  if (u.query_string) next->query_string = *u.query_string;
  if (u.query_version && !u.query_version->empty()) next->query_version = *u.query_version;
  next->version += 1;
  auto st = db_->cached(
      "UPDATE thing_groups SET description = ?, attributes = ?, version = ?, query_string = ?, query_version = ? "
      "WHERE name = ?");
  if (!st) return core::propagate(std::move(st));
  const std::string attrs = map_json(next->attributes);
  (*st)->bind_text(1, next->description)
      .bind_text(2, attrs)
      .bind(3, next->version)
      .bind_text(4, next->query_string)
      .bind_text(5, next->query_version)
      .bind_text(6, next->name);
  if (auto r = (*st)->run(); !r) return core::propagate(std::move(r));
  std::vector<Change> changes;
  {
    std::unique_lock l(mu_);
    groups_[next->name] = next;
    if (query) {
      queries_.insert_or_assign(next->name, DynamicQuery{*query, fleet_index::fields(*query)});
      reevaluate_group(next->name, changes);
    }
  }
  notify(changes);
  return ThingGroupPtr(next);
}

core::Result<void> Registry::delete_group(std::string_view name_view, std::optional<std::int64_t> expected_version,
                                          bool dynamic) {
  const std::string name(name_view);
  std::lock_guard w(write_mu_);
  std::set<std::string> members;
  {
    std::shared_lock l(mu_);
    auto it = groups_.find(name);
    if (it == groups_.end()) return {};  // the model has no ResourceNotFoundException here
    if (it->second->dynamic != dynamic) {
      return fault(Fault::kInvalidRequest, "thing group " + name + (dynamic ? " is not dynamic: use DeleteThingGroup"
                                                                            : " is dynamic: use DeleteDynamicThingGroup"));
    }
    if (expected_version && *expected_version != it->second->version) {
      return fault(Fault::kVersionConflict, "thing group " + name + " is at version " +
                                                std::to_string(it->second->version) + ", not " +
                                                std::to_string(*expected_version));
    }
    for (const auto& [n, g] : groups_) {
      if (g->parent == name) {
        return fault(Fault::kInvalidRequest, "thing group " + name + " has child group " + n + ": delete the children first");
      }
    }
    members = members_[name];
  }
  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  for (const char* sql : {"DELETE FROM thing_group_members WHERE group_name = ?", "DELETE FROM thing_groups WHERE name = ?"}) {
    auto st = db_->cached(sql);
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, name);
    if (auto r = (*st)->run(); !r) return r;
  }
  if (auto r = txn->commit(); !r) return r;
  std::vector<Change> changes;
  {
    std::unique_lock l(mu_);
    for (const auto& t : members) {
      auto it = things_.find(t);
      if (it == things_.end()) continue;
      it->second.static_groups.erase(name);
      it->second.dynamic_groups.erase(name);
      changes.push_back(Change{Change::kGroupMembership, t, "", name});
    }
    groups_.erase(name);
    members_.erase(name);
    queries_.erase(name);
    if (!dynamic) {
      for (const auto& t : members) {
        auto it = things_.find(t);
        if (it != things_.end()) reevaluate_thing(t, it->second, {"thingGroupNames"}, changes);
      }
    }
  }
  changes.push_back(Change{Change::kGroupHierarchy, "", "", name});
  notify(changes);
  return {};
}

core::Result<void> Registry::write_group_members(const std::string& thing, const std::set<std::string>& before,
                                                 const std::set<std::string>& after) {
  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  for (const auto& g : before) {
    if (after.count(g)) continue;
    auto st = db_->cached("DELETE FROM thing_group_members WHERE group_name = ? AND thing_name = ?");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, g).bind_text(2, thing);
    if (auto r = (*st)->run(); !r) return r;
  }
  const std::int64_t now = clock_.unix_ms();
  for (const auto& g : after) {
    if (before.count(g)) continue;
    auto st = db_->cached("INSERT INTO thing_group_members (group_name, thing_name, added_at_ms) VALUES (?, ?, ?)");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, g).bind_text(2, thing).bind(3, now);
    if (auto r = (*st)->run(); !r) return r;
  }
  return txn->commit();
}

core::Result<void> Registry::update_groups_for_thing(std::string_view thing_view, const std::vector<std::string>& add,
                                                     const std::vector<std::string>& remove) {
  const std::string thing(thing_view);
  std::lock_guard w(write_mu_);
  std::set<std::string> before, after;
  {
    std::shared_lock l(mu_);
    auto it = things_.find(thing);
    if (it == things_.end()) return fault(Fault::kNotFound, "thing " + thing + " does not exist");
    before = after = it->second.static_groups;
    for (const auto* list : {&add, &remove}) {
      for (const auto& g : *list) {
        auto gi = groups_.find(g);
        if (gi == groups_.end()) return fault(Fault::kNotFound, "thing group " + g + " does not exist");
        if (gi->second->dynamic) {
          return fault(Fault::kInvalidRequest,
                       "thing group " + g + " is dynamic: its members follow its query and cannot be changed directly");
        }
      }
    }
    for (const auto& g : remove) after.erase(g);
    for (const auto& g : add) after.insert(g);
    if (after.size() > kMaxStaticGroupsPerThing && after.size() > before.size()) {
      return fault(Fault::kInvalidRequest, "thing " + thing + " would be in more than " +
                                               std::to_string(kMaxStaticGroupsPerThing) + " static thing groups");
    }
  }
  if (before == after) return {};
  if (auto r = write_group_members(thing, before, after); !r) return r;
  std::vector<Change> changes;
  {
    std::unique_lock l(mu_);
    auto& state = things_.find(thing)->second;
    state.static_groups = after;
    for (const auto& g : before) {
      if (!after.count(g)) {
        members_[g].erase(thing);
        changes.push_back(Change{Change::kGroupMembership, thing, "", g});
      }
    }
    for (const auto& g : after) {
      if (!before.count(g)) {
        members_[g].insert(thing);
        changes.push_back(Change{Change::kGroupMembership, thing, "", g});
      }
    }
    reevaluate_thing(thing, state, {"thingGroupNames"}, changes);
  }
  notify(changes);
  return {};
}

core::Result<void> Registry::add_to_group(std::string_view group, std::string_view thing) {
  return update_groups_for_thing(thing, {std::string(group)}, {});
}

core::Result<void> Registry::remove_from_group(std::string_view group, std::string_view thing) {
  return update_groups_for_thing(thing, {}, {std::string(group)});
}

// ---- principals ---------------------------------------------------------------------------------

core::Result<void> Registry::attach_principal(std::string_view thing_view, std::string_view principal_view,
                                              bool exclusive) {
  const std::string thing(thing_view), principal(principal_view);
  auto arn = control::parse_arn(principal);
  std::function<bool(std::string_view)> query;
  {
    std::shared_lock l(mu_);
    query = principal_query_;
  }
  if (!arn) return fault(Fault::kInvalidRequest, "principal must be an ARN, e.g. a certificate ARN");
  if (query) {
    if (!query(principal)) return fault(Fault::kNotFound, "principal " + principal + " does not exist");
  } else {
    auto [type, id] = arn->type_and_name();
    const bool hex64 = id.size() == 64 && std::all_of(id.begin(), id.end(), [](char c) {
                         return std::isxdigit(static_cast<unsigned char>(c)) != 0;
                       });
    if (type != "cert" || !hex64) {
      return fault(Fault::kInvalidRequest, "principal must be a certificate ARN (...:cert/<64 hex digits>)");
    }
  }
  std::lock_guard w(write_mu_);
  {
    std::shared_lock l(mu_);
    auto it = things_.find(thing);
    if (it == things_.end()) return fault(Fault::kNotFound, "thing " + thing + " does not exist");
    auto p = principal_things_.find(principal);
    if (p != principal_things_.end()) {
      for (const auto& [other, other_exclusive] : p->second) {
        if (other == thing) continue;
        if (exclusive) {
          return fault(Fault::kInvalidRequest, "principal is attached to thing " + other +
                                                   ": an exclusive attachment must be its only one");
        }
        if (other_exclusive) {
          return fault(Fault::kInvalidRequest, "principal is exclusively attached to thing " + other);
        }
      }
      auto same = p->second.find(thing);
      if (same != p->second.end() && same->second == exclusive) return {};
    }
  }
  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  {
    auto st = db_->cached("DELETE FROM thing_principals WHERE thing_name = ? AND principal_arn = ?");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, thing).bind_text(2, principal);
    if (auto r = (*st)->run(); !r) return r;
  }
  {
    auto st = db_->cached(
        "INSERT INTO thing_principals (thing_name, principal_arn, exclusive, attached_at_ms) VALUES (?, ?, ?, ?)");
    if (!st) return core::propagate(std::move(st));
    (*st)->bind_text(1, thing).bind_text(2, principal).bind(3, exclusive ? 1 : 0).bind(4, clock_.unix_ms());
    if (auto r = (*st)->run(); !r) return r;
  }
  if (auto r = txn->commit(); !r) return r;
  {
    std::unique_lock l(mu_);
    things_.find(thing)->second.principals[principal] = exclusive;
    principal_things_[principal][thing] = exclusive;
  }
  notify({Change{Change::kPrincipalAttached, thing, principal, ""}});
  return {};
}

core::Result<void> Registry::detach_principal(std::string_view thing_view, std::string_view principal_view) {
  const std::string thing(thing_view), principal(principal_view);
  std::lock_guard w(write_mu_);
  {
    std::shared_lock l(mu_);
    auto it = things_.find(thing);
    if (it == things_.end()) return fault(Fault::kNotFound, "thing " + thing + " does not exist");
    if (!it->second.principals.count(principal)) return {};
  }
  auto st = db_->cached("DELETE FROM thing_principals WHERE thing_name = ? AND principal_arn = ?");
  if (!st) return core::propagate(std::move(st));
  (*st)->bind_text(1, thing).bind_text(2, principal);
  if (auto r = (*st)->run(); !r) return r;
  {
    std::unique_lock l(mu_);
    things_.find(thing)->second.principals.erase(principal);
    auto p = principal_things_.find(principal);
    if (p != principal_things_.end()) {
      p->second.erase(thing);
      if (p->second.empty()) principal_things_.erase(p);
    }
  }
  notify({Change{Change::kPrincipalDetached, thing, principal, ""}});
  return {};
}

// ---- fleet index --------------------------------------------------------------------------------

core::Result<std::vector<std::string>> Registry::search_things(std::string_view query_string) const {
  auto q = compile(query_string);
  if (!q) return core::propagate(std::move(q));
  std::shared_lock l(mu_);
  std::vector<std::string> out;
  for (const auto& [name, t] : things_) {
    fleet_index::Document doc;
    build_document(name, t, true, doc);
    if (fleet_index::matches(*q, doc)) out.push_back(name);
  }
  return out;
}

core::Result<std::vector<std::string>> Registry::search_groups(std::string_view query_string) const {
  using fleet_index::Value;
  auto q = compile(query_string);
  if (!q) return core::propagate(std::move(q));
  std::shared_lock l(mu_);
  std::vector<std::string> out;
  for (const auto& [name, g] : groups_) {
    fleet_index::Document doc;
    doc.add("thingGroupName", Value::string_value(name));
    doc.add("thingGroupId", Value::string_value(g->id));
    if (!g->description.empty()) doc.add("thingGroupDescription", Value::string_value(g->description));
    for (const auto& [k, v] : g->attributes) doc.add("attributes." + k, Value::string_value(v));
    std::string cur = g->parent;
    for (std::size_t i = 0; i <= kMaxGroupDepth && !cur.empty(); ++i) {
      doc.add("parentGroupNames", Value::string_value(cur));
      auto p = groups_.find(cur);
      if (p == groups_.end()) break;
      cur = p->second->parent;
    }
    if (fleet_index::matches(*q, doc)) out.push_back(name);
  }
  return out;
}

boost::json::object Registry::thing_document(std::string_view thing_name) const {
  std::shared_lock l(mu_);
  json::object o;
  auto it = things_.find(thing_name);
  if (it == things_.end()) return o;
  const auto& t = *it->second.thing;
  o["thingName"] = t.name;
  o["thingId"] = t.id;
  if (!t.type_name.empty()) o["thingTypeName"] = t.type_name;
  json::array groups;
  std::set<std::string> all = it->second.static_groups;
  all.insert(it->second.dynamic_groups.begin(), it->second.dynamic_groups.end());
  for (const auto& g : all) groups.push_back(json::string(g));
  o["thingGroupNames"] = std::move(groups);
  json::object attrs;
  for (const auto& [k, v] : t.attributes) attrs[k] = v;
  o["attributes"] = std::move(attrs);
  json::object conn;
  auto c = connectivity_.find(t.name);
  conn["connected"] = c != connectivity_.end() && c->second.connected;
  if (c != connectivity_.end()) {
    conn["timestamp"] = c->second.timestamp_ms;
    if (!c->second.disconnect_reason.empty()) conn["disconnectReason"] = c->second.disconnect_reason;
  }
  o["connectivity"] = std::move(conn);
  auto e = extra_.find(t.name);
  if (e != extra_.end()) {
    // The model types shadow and deviceDefender as JSON documents carried in a string.
    for (const auto& [prefix, v] : e->second) {
      if (prefix == "shadow" || prefix == "deviceDefender") o[prefix] = json::serialize(v);
    }
  }
  return o;
}

boost::json::object Registry::group_document(std::string_view group_name) const {
  std::shared_lock l(mu_);
  json::object o;
  auto it = groups_.find(group_name);
  if (it == groups_.end()) return o;
  const auto& g = *it->second;
  o["thingGroupName"] = g.name;
  o["thingGroupId"] = g.id;
  if (!g.description.empty()) o["thingGroupDescription"] = g.description;
  json::object attrs;
  for (const auto& [k, v] : g.attributes) attrs[k] = v;
  o["attributes"] = std::move(attrs);
  json::array parents;
  std::string cur = g.parent;
  for (std::size_t i = 0; i <= kMaxGroupDepth && !cur.empty(); ++i) {
    parents.push_back(json::string(cur));
    auto p = groups_.find(cur);
    if (p == groups_.end()) break;
    cur = p->second->parent;
  }
  o["parentGroupNames"] = std::move(parents);
  return o;
}

boost::json::object Registry::indexing_configuration() const {
  std::shared_lock l(mu_);
  return indexing_config_.as_object();
}

core::Result<void> Registry::set_indexing_configuration(const boost::json::object& config) {
  auto check_enum = [](const json::object& o, std::string_view key, std::initializer_list<std::string_view> allowed,
                       bool required) -> core::Result<void> {
    auto* v = o.if_contains(key);
    if (!v) {
      if (required) return fault(Fault::kInvalidRequest, std::string(key) + " is required");
      return {};
    }
    if (v->is_string()) {
      for (auto a : allowed) {
        if (v->as_string() == a) return {};
      }
    }
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    return fault(Fault::kInvalidRequest, std::string(key) + " must be one of " + list);
  };
  json::object next;
  {
    std::shared_lock l(mu_);
    next = indexing_config_.as_object();
  }
  if (auto* t = config.if_contains("thingIndexingConfiguration")) {
    if (!t->is_object()) return fault(Fault::kInvalidRequest, "thingIndexingConfiguration must be an object");
    const auto& o = t->as_object();
    if (auto r = check_enum(o, "thingIndexingMode", {"OFF", "REGISTRY", "REGISTRY_AND_SHADOW"}, true); !r) return r;
    if (auto r = check_enum(o, "thingConnectivityIndexingMode", {"OFF", "STATUS"}, false); !r) return r;
    if (auto r = check_enum(o, "deviceDefenderIndexingMode", {"OFF", "VIOLATIONS"}, false); !r) return r;
    if (auto r = check_enum(o, "namedShadowIndexingMode", {"OFF", "ON"}, false); !r) return r;
    next["thingIndexingConfiguration"] = o;
  }
  if (auto* g = config.if_contains("thingGroupIndexingConfiguration")) {
    if (!g->is_object()) return fault(Fault::kInvalidRequest, "thingGroupIndexingConfiguration must be an object");
    if (auto r = check_enum(g->as_object(), "thingGroupIndexingMode", {"OFF", "ON"}, true); !r) return r;
    next["thingGroupIndexingConfiguration"] = g->as_object();
  }
  std::lock_guard w(write_mu_);
  const std::string text = json::serialize(next);
  auto txn = store::Txn::begin(*db_);
  if (!txn) return core::propagate(std::move(txn));
  for (const char* sql : {"DELETE FROM registry_settings WHERE name = 'indexing_configuration'",
                          "INSERT INTO registry_settings (name, value) VALUES ('indexing_configuration', ?)"}) {
    auto st = db_->cached(sql);
    if (!st) return core::propagate(std::move(st));
    if (std::string_view(sql).starts_with("INSERT")) (*st)->bind_text(1, text);
    if (auto r = (*st)->run(); !r) return r;
  }
  if (auto r = txn->commit(); !r) return r;
  std::unique_lock l(mu_);
  indexing_config_ = std::move(next);
  return {};
}

}  // namespace tenet::registry
