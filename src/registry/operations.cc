// Control-plane operations of the thing registry (docs/identity.md#things-types-and-groups and
// #fleet-index). Shapes follow the botocore `iot` model (2015-05-28).

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/json.hpp>

#include "control/errors.h"
#include "control/operations.h"
#include "control/paging.h"
#include "control/router.h"
#include "control/tags.h"
#include "registry/registry.h"

namespace tenet::registry {
namespace {

namespace json = boost::json;
namespace errors = control::errors;
using control::Call;
using control::Reply;

Reply reply_error(const core::Error& e) {
  auto f = fault_of(e);
  if (!f) return errors::from(e);
  switch (*f) {
    case Fault::kInvalidRequest: return errors::invalid_request(e.detail);
    case Fault::kNotFound: return errors::not_found(e.detail);
    case Fault::kAlreadyExists: return errors::already_exists(e.detail);
    case Fault::kVersionConflict: return errors::version_conflict(e.detail);
    case Fault::kInvalidQuery: return errors::invalid_query(e.detail);
    case Fault::kLimitExceeded: return errors::limit_exceeded(e.detail);
  }
  return errors::from(e);
}

json::value seconds(std::int64_t ms) { return static_cast<double>(ms) / 1000.0; }

std::optional<bool> query_bool(const Call& call, std::string_view name, std::string* error) {
  auto v = call.query_param(name);
  if (!v) return std::nullopt;
  std::string s(*v);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "true") return true;
  if (s == "false") return false;
  *error = std::string(name) + " must be true or false";
  return std::nullopt;
}

std::optional<std::int64_t> query_int(const Call& call, std::string_view name, std::string* error) {
  auto v = call.query_param(name);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size()) {
    *error = std::string(name) + " must be an integer";
    return std::nullopt;
  }
  return n;
}

// Optional string member; null counts as absent.
std::optional<std::string> str(const json::object& o, std::string_view name, std::string* error) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    *error = std::string(name) + " must be a string";
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<bool> boolean(const json::object& o, std::string_view name, std::string* error) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_bool()) {
    *error = std::string(name) + " must be a boolean";
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::int64_t> integer(const json::object& o, std::string_view name, std::string* error) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->as_uint64());
  }
  *error = std::string(name) + " must be an integer";
  return std::nullopt;
}

std::optional<std::vector<std::string>> strings(const json::object& o, std::string_view name, std::string* error) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  std::vector<std::string> out;
  if (v->is_array()) {
    for (const auto& e : v->as_array()) {
      if (!e.is_string()) break;
      out.emplace_back(e.as_string());
    }
    if (out.size() == v->as_array().size()) return out;
  }
  *error = std::string(name) + " must be a list of strings";
  return std::nullopt;
}

std::optional<AttributePayload> attribute_payload(const json::object& o, std::string* error) {
  auto* v = o.if_contains("attributePayload");
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_object()) {
    *error = "attributePayload must be an object";
    return std::nullopt;
  }
  AttributePayload p;
  const auto& po = v->as_object();
  if (auto* a = po.if_contains("attributes"); a && !a->is_null()) {
    if (!a->is_object()) {
      *error = "attributePayload.attributes must be an object of strings";
      return std::nullopt;
    }
    for (const auto& kv : a->as_object()) {
      if (!kv.value().is_string()) {
        *error = "attributePayload.attributes must be an object of strings";
        return std::nullopt;
      }
      p.attributes[std::string(kv.key())] = std::string(kv.value().as_string());
    }
  }
  p.merge = boolean(po, "merge", error).value_or(false);
  if (!error->empty()) return std::nullopt;
  return p;
}

std::optional<std::vector<control::Tag>> parse_tags(const json::object& body, std::string* error) {
  std::vector<control::Tag> tags;
  auto* v = body.if_contains("tags");
  if (!v || v->is_null()) return tags;
  if (!v->is_array()) {
    *error = "tags must be a list of {Key, Value}";
    return std::nullopt;
  }
  for (const auto& t : v->as_array()) {
    const auto* o = t.if_object();
    const auto* k = o ? o->if_contains("Key") : nullptr;
    const auto* val = o ? o->if_contains("Value") : nullptr;
    if (!k || !k->is_string() || (val && !val->is_string() && !val->is_null())) {
      *error = "tags must be a list of {Key, Value} strings";
      return std::nullopt;
    }
    tags.emplace_back(std::string(k->as_string()), val && val->is_string() ? std::string(val->as_string()) : "");
  }
  return tags;
}

json::object attributes_json(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

// nextToken/maxResults over items sorted by key (names are unique, so the name is the key).
template <typename T, typename Key, typename ToJson>
Reply page_of(const Call& call, const std::string& listing, const std::vector<T>& items, Key key, ToJson to_json,
              std::string_view member, std::size_t max_size = 250, std::string_view token_name = "nextToken",
              std::string_view size_name = "maxResults", std::string_view next_name = "nextToken") {
  auto page = control::read_page(call, listing, token_name, size_name, max_size);
  if (!page) return errors::invalid_request(page.error().detail);
  json::array out;
  std::string last;
  bool more = false;
  for (const auto& item : items) {
    const std::string k = key(item);
    if (!page->after.empty() && k <= page->after) continue;
    if (out.size() == page->limit) {
      more = true;
      break;
    }
    out.push_back(to_json(item));
    last = k;
  }
  json::object body;
  body[member] = std::move(out);
  if (more) body[next_name] = control::page_token(listing, last);
  return Reply::json(std::move(body));
}

json::value name_value(const std::string& s) { return json::string(s); }
std::string name_key(const std::string& s) { return s; }

json::object thing_type_json(const ThingType& t) {
  json::array searchable;
  for (const auto& a : t.searchable_attributes) searchable.push_back(json::string(a));
  json::object props{{"searchableAttributes", std::move(searchable)}};
  if (!t.description.empty()) props["thingTypeDescription"] = t.description;
  json::object meta{{"deprecated", t.deprecated}, {"creationDate", seconds(t.created_ms)}};
  if (t.deprecated) meta["deprecationDate"] = seconds(t.deprecated_ms);
  return {{"thingTypeName", t.name},
          {"thingTypeId", t.id},
          {"thingTypeArn", t.arn},
          {"thingTypeProperties", std::move(props)},
          {"thingTypeMetadata", std::move(meta)}};
}

json::object group_ref(const ThingGroup& g) { return {{"groupName", g.name}, {"groupArn", g.arn}}; }

// The thing name of a body that names it by thingName or thingArn.
std::optional<std::string> thing_ref(const json::object& body, std::string* error) {
  if (auto n = str(body, "thingName", error)) return n;
  if (auto a = str(body, "thingArn", error)) {
    auto arn = control::parse_arn(*a);
    if (arn && arn->type_and_name().first == "thing") return std::string(arn->type_and_name().second);
    *error = "thingArn is not a thing ARN";
    return std::nullopt;
  }
  if (error->empty()) *error = "thingName or thingArn is required";
  return std::nullopt;
}

std::optional<std::string> group_ref_name(const json::object& body, std::string* error) {
  if (auto n = str(body, "thingGroupName", error)) return n;
  if (auto a = str(body, "thingGroupArn", error)) {
    auto arn = control::parse_arn(*a);
    if (arn && arn->type_and_name().first == "thinggroup") return std::string(arn->type_and_name().second);
    *error = "thingGroupArn is not a thing group ARN";
    return std::nullopt;
  }
  if (error->empty()) *error = "thingGroupName or thingGroupArn is required";
  return std::nullopt;
}

// Creates tags for a just-created resource; on failure undoes the creation with `undo`.
template <typename Undo>
std::optional<Reply> apply_tags(control::Tags& tags, const std::string& arn, const std::vector<control::Tag>& list,
                                Undo undo) {
  if (list.empty()) return std::nullopt;
  if (auto t = tags.tag(arn, list); !t) {
    undo();
    return errors::from(t.error());
  }
  return std::nullopt;
}

}  // namespace

void Registry::add_operations(control::Router& router, control::Tags& tags) {
  const auto& svc = control::control_services();
  Registry& self = *this;
  tags.add_type("thinggroup", [this](std::string_view n) { return find_group(n) != nullptr; });
  tags.add_type("thingtype", [this](std::string_view n) { return find_type(n) != nullptr; });

  // ---- things ----

  router.add({"CreateThing", "POST", "/things/{thingName}", svc, [&self](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                std::string err;
                NewThing req;
                req.name = std::string(call.label("thingName"));
                req.type_name = str(*body, "thingTypeName", &err).value_or("");
                auto payload = attribute_payload(*body, &err);
                auto billing = str(*body, "billingGroupName", &err);
                if (!err.empty()) return errors::invalid_request(err);
                if (billing) return errors::not_found("billing group " + *billing + " does not exist (tenet has none)");
                if (payload) {
                  for (const auto& [k, v] : payload->attributes) {
                    if (!v.empty()) req.attributes[k] = v;
                  }
                }
                call.resource = self.partition().arn("thing", req.name);
                auto r = self.create_thing(req);
                if (!r) {
                  if (fault_of(r.error()) == Fault::kAlreadyExists) {
                    auto existing = self.find_thing(req.name);
                    return errors::already_exists(r.error().detail, existing ? existing->id : "",
                                                  existing ? existing->arn : "");
                  }
                  return reply_error(r.error());
                }
                return Reply::json({{"thingName", (*r)->name}, {"thingArn", (*r)->arn}, {"thingId", (*r)->id}});
              }});

  router.add({"DescribeThing", "GET", "/things/{thingName}", svc, [&self](Call& call) -> Reply {
                const std::string name(call.label("thingName"));
                call.resource = self.partition().arn("thing", name);
                auto t = self.find_thing(name);
                if (!t) return errors::not_found("thing " + name + " does not exist");
                json::object o{{"defaultClientId", t->name}, {"thingName", t->name},        {"thingId", t->id},
                               {"thingArn", t->arn},         {"attributes", attributes_json(t->attributes)},
                               {"version", t->version}};
                if (!t->type_name.empty()) o["thingTypeName"] = t->type_name;
                return Reply::json(std::move(o));
              }});

  router.add({"UpdateThing", "PATCH", "/things/{thingName}", svc, [&self](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                const std::string name(call.label("thingName"));
                call.resource = self.partition().arn("thing", name);
                std::string err;
                ThingUpdate u;
                u.type_name = str(*body, "thingTypeName", &err);
                u.remove_type = boolean(*body, "removeThingType", &err).value_or(false);
                u.attributes = attribute_payload(*body, &err);
                u.expected_version = integer(*body, "expectedVersion", &err);
                if (!err.empty()) return errors::invalid_request(err);
                auto r = self.update_thing(name, u);
                if (!r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"DeleteThing", "DELETE", "/things/{thingName}", svc, [&self](Call& call) -> Reply {
                const std::string name(call.label("thingName"));
                call.resource = self.partition().arn("thing", name);
                std::string err;
                auto expected = query_int(call, "expectedVersion", &err);
                if (!err.empty()) return errors::invalid_request(err);
                if (auto r = self.delete_thing(name, expected); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"ListThings", "GET", "/things", svc, [&self](Call& call) -> Reply {
                std::string err;
                ThingFilter f;
                f.attribute_name = std::string(call.query_param("attributeName").value_or(""));
                f.attribute_value = std::string(call.query_param("attributeValue").value_or(""));
                f.type_name = std::string(call.query_param("thingTypeName").value_or(""));
                f.attribute_prefix = query_bool(call, "usePrefixAttributeValue", &err).value_or(false);
                if (!err.empty()) return errors::invalid_request(err);
                if (!f.attribute_value.empty() && f.attribute_name.empty()) {
                  return errors::invalid_request("attributeValue needs attributeName");
                }
                const std::string listing = "things?" + f.attribute_name + "=" + f.attribute_value +
                                            (f.attribute_prefix ? "*" : "") + "&" + f.type_name;
                return page_of(
                    call, listing, self.list_things(f), [](const ThingPtr& t) { return t->name; },
                    [](const ThingPtr& t) {
                      json::object o{{"thingName", t->name},
                                     {"thingArn", t->arn},
                                     {"attributes", attributes_json(t->attributes)},
                                     {"version", t->version}};
                      if (!t->type_name.empty()) o["thingTypeName"] = t->type_name;
                      return o;
                    },
                    "things");
              }});

  // ---- thing types ----

  router.add({"CreateThingType", "POST", "/thing-types/{thingTypeName}", svc, [&self, &tags](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                const std::string name(call.label("thingTypeName"));
                call.resource = self.partition().arn("thingtype", name);
                std::string err;
                std::string description;
                std::vector<std::string> searchable;
                if (auto* p = body->if_contains("thingTypeProperties"); p && !p->is_null()) {
                  if (!p->is_object()) return errors::invalid_request("thingTypeProperties must be an object");
                  description = str(p->as_object(), "thingTypeDescription", &err).value_or("");
                  searchable = strings(p->as_object(), "searchableAttributes", &err).value_or(std::vector<std::string>{});
                }
                auto tag_list = parse_tags(*body, &err);
                if (!err.empty()) return errors::invalid_request(err);
                const bool existed = self.find_type(name) != nullptr;
                auto r = self.create_type(name, description, searchable);
                if (!r) {
                  if (fault_of(r.error()) == Fault::kAlreadyExists) {
                    auto t = self.find_type(name);
                    return errors::already_exists(r.error().detail, t ? t->id : "", t ? t->arn : "");
                  }
                  return reply_error(r.error());
                }
                if (!existed) {
                  if (auto e = apply_tags(tags, (*r)->arn, *tag_list, [&] {
                        (void)self.deprecate_type(name, false);
                        (void)self.delete_type(name);
                      })) {
                    return *e;
                  }
                }
                return Reply::json({{"thingTypeName", (*r)->name}, {"thingTypeArn", (*r)->arn}, {"thingTypeId", (*r)->id}});
              }});

  router.add({"DescribeThingType", "GET", "/thing-types/{thingTypeName}", svc, [&self](Call& call) -> Reply {
                const std::string name(call.label("thingTypeName"));
                call.resource = self.partition().arn("thingtype", name);
                auto t = self.find_type(name);
                if (!t) return errors::not_found("thing type " + name + " does not exist");
                return Reply::json(thing_type_json(*t));
              }});

  router.add({"DeprecateThingType", "POST", "/thing-types/{thingTypeName}/deprecate", svc, [&self](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                const std::string name(call.label("thingTypeName"));
                call.resource = self.partition().arn("thingtype", name);
                std::string err;
                const bool undo = boolean(*body, "undoDeprecate", &err).value_or(false);
                if (!err.empty()) return errors::invalid_request(err);
                if (auto r = self.deprecate_type(name, undo); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"DeleteThingType", "DELETE", "/thing-types/{thingTypeName}", svc, [&self, &tags](Call& call) -> Reply {
                const std::string name(call.label("thingTypeName"));
                const std::string arn = self.partition().arn("thingtype", name);
                call.resource = arn;
                if (auto r = self.delete_type(name); !r) return reply_error(r.error());
                (void)tags.forget(arn);
                return Reply::empty();
              }});

  router.add({"ListThingTypes", "GET", "/thing-types", svc, [&self](Call& call) -> Reply {
                const std::string filter(call.query_param("thingTypeName").value_or(""));
                auto all = self.list_types();
                std::vector<ThingTypePtr> items;
                for (auto& t : all) {
                  if (filter.empty() || t->name == filter) items.push_back(std::move(t));
                }
                return page_of(
                    call, "thing-types?" + filter, items, [](const ThingTypePtr& t) { return t->name; },
                    [](const ThingTypePtr& t) {
                      json::object o = thing_type_json(*t);
                      o.erase("thingTypeId");  // ThingTypeDefinition has no id
                      return o;
                    },
                    "thingTypes");
              }});

  // ---- thing groups ----

  auto group_properties = [](const json::object& body, std::string* err, std::optional<std::string>* description,
                             std::optional<AttributePayload>* attrs) {
    auto* p = body.if_contains("thingGroupProperties");
    if (!p || p->is_null()) return;
    if (!p->is_object()) {
      *err = "thingGroupProperties must be an object";
      return;
    }
    *description = str(p->as_object(), "thingGroupDescription", err);
    *attrs = attribute_payload(p->as_object(), err);
  };

  auto create_group = [&self, &tags, group_properties](Call& call, bool dynamic) -> Reply {
    auto body = call.json();
    if (!body) return errors::invalid_request(body.error().detail);
    NewGroup req;
    req.name = std::string(call.label("thingGroupName"));
    req.dynamic = dynamic;
    call.resource = self.partition().arn("thinggroup", req.name);
    std::string err;
    std::optional<std::string> description;
    std::optional<AttributePayload> attrs;
    group_properties(*body, &err, &description, &attrs);
    req.description = description.value_or("");
    if (attrs) {
      for (const auto& [k, v] : attrs->attributes) {
        if (!v.empty()) req.attributes[k] = v;
      }
    }
    if (dynamic) {
      auto q = str(*body, "queryString", &err);
      if (err.empty() && !q) err = "queryString is required";
      req.query_string = q.value_or("");
      req.index_name = str(*body, "indexName", &err).value_or("AWS_Things");
      req.query_version = str(*body, "queryVersion", &err).value_or("2017-09-30");
    } else {
      req.parent = str(*body, "parentGroupName", &err).value_or("");
    }
    auto tag_list = parse_tags(*body, &err);
    if (!err.empty()) return errors::invalid_request(err);
    const bool existed = self.find_group(req.name) != nullptr;
    auto r = self.create_group(req);
    if (!r) {
      if (fault_of(r.error()) == Fault::kAlreadyExists) {
        auto g = self.find_group(req.name);
        return errors::already_exists(r.error().detail, g ? g->id : "", g ? g->arn : "");
      }
      return reply_error(r.error());
    }
    if (!existed) {
      if (auto e = apply_tags(tags, (*r)->arn, *tag_list, [&] { (void)self.delete_group(req.name, std::nullopt, dynamic); })) {
        return *e;
      }
    }
    json::object o{{"thingGroupName", (*r)->name}, {"thingGroupArn", (*r)->arn}, {"thingGroupId", (*r)->id}};
    if (dynamic) {
      o["indexName"] = (*r)->index_name;
      o["queryString"] = (*r)->query_string;
      o["queryVersion"] = (*r)->query_version;
    }
    return Reply::json(std::move(o));
  };

  auto update_group = [&self, group_properties](Call& call, bool dynamic) -> Reply {
    auto body = call.json();
    if (!body) return errors::invalid_request(body.error().detail);
    const std::string name(call.label("thingGroupName"));
    call.resource = self.partition().arn("thinggroup", name);
    std::string err;
    GroupUpdate u;
    if (!body->contains("thingGroupProperties")) err = "thingGroupProperties is required";
    group_properties(*body, &err, &u.description, &u.attributes);
    u.expected_version = integer(*body, "expectedVersion", &err);
    if (dynamic) {
      u.query_string = str(*body, "queryString", &err);
      u.query_version = str(*body, "queryVersion", &err);
      if (auto idx = str(*body, "indexName", &err); idx && *idx != "AWS_Things") err = "indexName must be AWS_Things";
    }
    if (!err.empty()) return errors::invalid_request(err);
    auto r = self.update_group(name, u, dynamic);
    if (!r) return reply_error(r.error());
    return Reply::json({{"version", (*r)->version}});
  };

  auto delete_group = [&self, &tags](Call& call, bool dynamic) -> Reply {
    const std::string name(call.label("thingGroupName"));
    const std::string arn = self.partition().arn("thinggroup", name);
    call.resource = arn;
    std::string err;
    auto expected = query_int(call, "expectedVersion", &err);
    if (!err.empty()) return errors::invalid_request(err);
    const bool existed = self.find_group(name) != nullptr;
    if (auto r = self.delete_group(name, expected, dynamic); !r) return reply_error(r.error());
    if (existed) (void)tags.forget(arn);
    return Reply::empty();
  };

  router.add({"CreateThingGroup", "POST", "/thing-groups/{thingGroupName}", svc,
              [create_group](Call& call) { return create_group(call, false); }});
  router.add({"CreateDynamicThingGroup", "POST", "/dynamic-thing-groups/{thingGroupName}", svc,
              [create_group](Call& call) { return create_group(call, true); }});
  router.add({"UpdateThingGroup", "PATCH", "/thing-groups/{thingGroupName}", svc,
              [update_group](Call& call) { return update_group(call, false); }});
  router.add({"UpdateDynamicThingGroup", "PATCH", "/dynamic-thing-groups/{thingGroupName}", svc,
              [update_group](Call& call) { return update_group(call, true); }});
  router.add({"DeleteThingGroup", "DELETE", "/thing-groups/{thingGroupName}", svc,
              [delete_group](Call& call) { return delete_group(call, false); }});
  router.add({"DeleteDynamicThingGroup", "DELETE", "/dynamic-thing-groups/{thingGroupName}", svc,
              [delete_group](Call& call) { return delete_group(call, true); }});

  router.add({"DescribeThingGroup", "GET", "/thing-groups/{thingGroupName}", svc, [&self](Call& call) -> Reply {
                const std::string name(call.label("thingGroupName"));
                call.resource = self.partition().arn("thinggroup", name);
                auto g = self.find_group(name);
                if (!g) return errors::not_found("thing group " + name + " does not exist");
                json::object props{{"attributePayload", json::object{{"attributes", attributes_json(g->attributes)}}}};
                if (!g->description.empty()) props["thingGroupDescription"] = g->description;
                json::array roots;
                for (const auto& a : self.ancestors_of(name)) roots.push_back(group_ref(*a));
                json::object meta{{"rootToParentThingGroups", std::move(roots)}, {"creationDate", seconds(g->created_ms)}};
                if (!g->parent.empty()) meta["parentGroupName"] = g->parent;
                json::object o{{"thingGroupName", g->name},
                               {"thingGroupId", g->id},
                               {"thingGroupArn", g->arn},
                               {"version", g->version},
                               {"thingGroupProperties", std::move(props)},
                               {"thingGroupMetadata", std::move(meta)}};
                if (g->dynamic) {
                  o["indexName"] = g->index_name;
                  o["queryString"] = g->query_string;
                  o["queryVersion"] = g->query_version;
                  o["status"] = "ACTIVE";  // evaluation is synchronous: never BUILDING
                }
                return Reply::json(std::move(o));
              }});

  router.add({"ListThingGroups", "GET", "/thing-groups", svc, [&self](Call& call) -> Reply {
                std::string err;
                auto recursive = query_bool(call, "recursive", &err);
                if (!err.empty()) return errors::invalid_request(err);
                const std::string parent(call.query_param("parentGroup").value_or(""));
                const std::string prefix(call.query_param("namePrefixFilter").value_or(""));
                std::vector<ThingGroupPtr> candidates;
                if (!parent.empty()) {
                  if (!self.find_group(parent)) return errors::not_found("thing group " + parent + " does not exist");
                  candidates = self.children_of(parent, recursive.value_or(false));
                } else {
                  candidates = self.list_groups();
                  if (recursive == false) {  // only root groups
                    std::erase_if(candidates, [](const ThingGroupPtr& g) { return !g->parent.empty(); });
                  }
                }
                std::erase_if(candidates, [&](const ThingGroupPtr& g) { return !g->name.starts_with(prefix); });
                const std::string listing = "thing-groups?" + parent + "&" + prefix + "&" +
                                            (recursive ? (*recursive ? "r" : "n") : "");
                return page_of(
                    call, listing, candidates, [](const ThingGroupPtr& g) { return g->name; },
                    [](const ThingGroupPtr& g) { return group_ref(*g); }, "thingGroups");
              }});

  router.add({"ListThingGroupsForThing", "GET", "/things/{thingName}/thing-groups", svc, [&self](Call& call) -> Reply {
                const std::string name(call.label("thingName"));
                call.resource = self.partition().arn("thing", name);
                if (!self.find_thing(name)) return errors::not_found("thing " + name + " does not exist");
                std::vector<ThingGroupPtr> groups;
                for (const auto& g : self.groups_of(name)) {
                  if (auto p = self.find_group(g)) groups.push_back(std::move(p));
                }
                return page_of(
                    call, "thing-groups-for-thing/" + name, groups, [](const ThingGroupPtr& g) { return g->name; },
                    [](const ThingGroupPtr& g) { return group_ref(*g); }, "thingGroups");
              }});

  router.add({"AddThingToThingGroup", "PUT", "/thing-groups/addThingToThingGroup", svc, [&self](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                std::string err;
                auto group = group_ref_name(*body, &err);
                auto thing = err.empty() ? thing_ref(*body, &err) : std::nullopt;
                (void)boolean(*body, "overrideDynamicGroups", &err);
                if (!err.empty()) return errors::invalid_request(err);
                call.resource = self.partition().arn("thinggroup", *group);
                if (auto r = self.add_to_group(*group, *thing); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"RemoveThingFromThingGroup", "PUT", "/thing-groups/removeThingFromThingGroup", svc,
              [&self](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                std::string err;
                auto group = group_ref_name(*body, &err);
                auto thing = err.empty() ? thing_ref(*body, &err) : std::nullopt;
                if (!err.empty()) return errors::invalid_request(err);
                call.resource = self.partition().arn("thinggroup", *group);
                if (auto r = self.remove_from_group(*group, *thing); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"UpdateThingGroupsForThing", "PUT", "/thing-groups/updateThingGroupsForThing", svc,
              [&self](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                std::string err;
                auto thing = str(*body, "thingName", &err);
                auto add = strings(*body, "thingGroupsToAdd", &err).value_or(std::vector<std::string>{});
                auto remove = strings(*body, "thingGroupsToRemove", &err).value_or(std::vector<std::string>{});
                (void)boolean(*body, "overrideDynamicGroups", &err);
                if (err.empty() && !thing) err = "thingName is required";
                if (!err.empty()) return errors::invalid_request(err);
                call.resource = self.partition().arn("thing", *thing);
                if (auto r = self.update_groups_for_thing(*thing, add, remove); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"ListThingsInThingGroup", "GET", "/thing-groups/{thingGroupName}/things", svc,
              [&self](Call& call) -> Reply {
                const std::string name(call.label("thingGroupName"));
                call.resource = self.partition().arn("thinggroup", name);
                std::string err;
                const bool recursive = query_bool(call, "recursive", &err).value_or(false);
                if (!err.empty()) return errors::invalid_request(err);
                if (!self.find_group(name)) return errors::not_found("thing group " + name + " does not exist");
                return page_of(call, "things-in-group/" + name + (recursive ? "/r" : ""),
                               self.things_in_group(name, recursive), name_key, name_value, "things");
              }});

  // ---- principals ----

  router.add({"AttachThingPrincipal", "PUT", "/things/{thingName}/principals", svc, [&self](Call& call) -> Reply {
                const std::string name(call.label("thingName"));
                call.resource = self.partition().arn("thing", name);
                auto principal = call.header("x-amzn-principal");
                if (!principal || principal->empty()) return errors::invalid_request("x-amzn-principal is required");
                bool exclusive = false;
                if (auto type = call.query_param("thingPrincipalType")) {
                  if (*type == "EXCLUSIVE_THING") {
                    exclusive = true;
                  } else if (*type != "NON_EXCLUSIVE_THING") {
                    return errors::invalid_request("thingPrincipalType must be EXCLUSIVE_THING or NON_EXCLUSIVE_THING");
                  }
                }
                if (auto r = self.attach_principal(name, *principal, exclusive); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"DetachThingPrincipal", "DELETE", "/things/{thingName}/principals", svc, [&self](Call& call) -> Reply {
                const std::string name(call.label("thingName"));
                call.resource = self.partition().arn("thing", name);
                auto principal = call.header("x-amzn-principal");
                if (!principal || principal->empty()) return errors::invalid_request("x-amzn-principal is required");
                if (auto r = self.detach_principal(name, *principal); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"ListThingPrincipals", "GET", "/things/{thingName}/principals", svc, [&self](Call& call) -> Reply {
                const std::string name(call.label("thingName"));
                call.resource = self.partition().arn("thing", name);
                if (!self.find_thing(name)) return errors::not_found("thing " + name + " does not exist");
                return page_of(call, "thing-principals/" + name, self.principals_of(name), name_key, name_value,
                               "principals");
              }});

  router.add({"ListPrincipalThings", "GET", "/principals/things", svc, [&self](Call& call) -> Reply {
                auto principal = call.header("x-amzn-principal");
                if (!principal || principal->empty()) return errors::invalid_request("x-amzn-principal is required");
                call.resource = std::string(*principal);
                return page_of(call, "principal-things/" + std::string(*principal),
                               self.things_of_principal(*principal), name_key, name_value, "things");
              }});

  // ---- fleet index ----

  router.add({"SearchIndex", "POST", "/indices/search", svc, [&self](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                std::string err;
                const std::string index = str(*body, "indexName", &err).value_or("AWS_Things");
                auto query = str(*body, "queryString", &err);
                auto token = str(*body, "nextToken", &err);
                auto max = integer(*body, "maxResults", &err);
                (void)str(*body, "queryVersion", &err);
                if (err.empty() && !query) err = "queryString is required";
                if (!err.empty()) return errors::invalid_request(err);
                if (max && (*max < 1 || *max > 500)) return errors::invalid_request("maxResults must be from 1 to 500");
                const bool groups = index == "AWS_ThingGroups";
                if (!groups && index != "AWS_Things") return errors::not_found("index " + index + " does not exist");
                auto names = groups ? self.search_groups(*query) : self.search_things(*query);
                if (!names) return reply_error(names.error());
                // The paging helper reads query parameters; SearchIndex carries them in the body.
                Call paging = call;
                paging.query.clear();
                if (token) paging.query.emplace_back("nextToken", *token);
                if (max) paging.query.emplace_back("maxResults", std::to_string(*max));
                const std::string listing = "search/" + index + "/" + *query;
                Reply r = groups ? page_of(
                                       paging, listing, *names, name_key,
                                       [&self](const std::string& n) { return self.group_document(n); }, "thingGroups", 500)
                                 : page_of(
                                       paging, listing, *names, name_key,
                                       [&self](const std::string& n) { return self.thing_document(n); }, "things", 500);
                if (r.ok()) r.body.as_object()[groups ? "things" : "thingGroups"] = json::array();
                return r;
              }});

  router.add({"GetIndexingConfiguration", "GET", "/indexing/config", svc,
              [&self](Call&) -> Reply { return Reply::json(self.indexing_configuration()); }});

  router.add({"UpdateIndexingConfiguration", "POST", "/indexing/config", svc, [&self](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::invalid_request(body.error().detail);
                if (auto r = self.set_indexing_configuration(*body); !r) return reply_error(r.error());
                return Reply::empty();
              }});

  router.add({"DescribeIndex", "GET", "/indices/{indexName}", svc, [](Call& call) -> Reply {
                const std::string name(call.label("indexName"));
                if (name == "AWS_Things") {
                  return Reply::json({{"indexName", name}, {"indexStatus", "ACTIVE"}, {"schema", "REGISTRY_AND_CONNECTIVITY_STATUS"}});
                }
                if (name == "AWS_ThingGroups") {
                  return Reply::json({{"indexName", name}, {"indexStatus", "ACTIVE"}, {"schema", "THING_GROUPS"}});
                }
                return errors::not_found("index " + name + " does not exist");
              }});

  router.add({"ListIndices", "GET", "/indices", svc, [](Call&) -> Reply {
                return Reply::json({{"indexNames", json::array{"AWS_Things", "AWS_ThingGroups"}}});
              }});
}

}  // namespace tenet::registry
