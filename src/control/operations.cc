#include "control/operations.h"

#include "control/errors.h"
#include "control/paging.h"

namespace tenet::control {
namespace {

namespace json = boost::json;


json::object key_json(const AccessKeyInfo& k, std::int64_t now_ms) {
  const bool expired = k.expires_at_ms != 0 && k.expires_at_ms <= now_ms;
  json::object o{{"accessKeyId", k.access_key_id},
                 {"status", expired ? "Expired" : k.active ? "Active" : "Inactive"},
                 {"description", k.description},
                 {"bootstrap", k.bootstrap},
                 {"createDate", static_cast<double>(k.created_at_ms) / 1000.0}};
  if (k.expires_at_ms != 0) o["expiration"] = static_cast<double>(k.expires_at_ms) / 1000.0;
  if (k.last_used_at_ms != 0) o["lastUsedDate"] = static_cast<double>(k.last_used_at_ms) / 1000.0;
  if (!k.policy.empty()) o["hasPolicy"] = true;
  return o;
}

std::optional<std::string> get_string(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

}  // namespace

const std::vector<std::string>& control_services() {
  static const std::vector<std::string> s{"iot", "execute-api"};
  return s;
}

std::string advertised_endpoint(const std::string& host, unsigned port) {
  if (port == 8883) return host;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void add_endpoint_operations(Router& router, const Endpoints& endpoints) {
  router.add({"DescribeEndpoint", "GET", "/endpoint", control_services(), [&endpoints](Call& call) -> Reply {
                auto type = call.query_param("endpointType").value_or("iot:Data-ATS");
                call.resource = std::string(type);
                std::string address;
                if (type == "iot:Data-ATS" || type == "iot:Data") {
                  address = endpoints.mqtt;
                } else if (type == "iot:CredentialProvider") {
                  address = endpoints.credentials;
                } else if (type == "iot:Jobs") {
                  address = endpoints.jobs;
                } else {
                  return errors::invalid_request("unknown endpointType \"" + std::string(type) +
                                                 "\"; valid: iot:Data-ATS, iot:Data, iot:CredentialProvider, iot:Jobs");
                }
                if (address.empty()) {
                  return errors::invalid_request("endpointType " + std::string(type) + " is not served by this tenet server");
                }
                return Reply::json({{"endpointAddress", address}});
              }});
}

void add_access_key_operations(Router& router, AccessKeys& keys) {
  const auto& svc = control_services();
  router.add({"CreateAccessKey", "POST", "/tenet/access-keys", svc, [&keys](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::from(body.error());
                for (const char* k : {"description", "policyDocument"}) {
                  if (auto it = body->find(k); it != body->end() && !it->value().is_string()) {
                    return errors::invalid_request(std::string(k) + " must be a string");
                  }
                }
                std::string description = get_string(*body, "description").value_or("");
                std::string policy = get_string(*body, "policyDocument").value_or("");
                std::int64_t duration = 0;
                if (auto it = body->find("durationSeconds"); it != body->end()) {
                  if (!it->value().is_int64() || it->value().as_int64() < 1) {
                    return errors::invalid_request("durationSeconds must be a positive integer");
                  }
                  duration = it->value().as_int64();
                }
                auto k = keys.create(description, std::chrono::seconds(duration), policy);
                if (!k) return errors::from(k.error());
                call.resource = k->info.access_key_id;
                json::object ak = key_json(k->info, keys.now_ms());
                ak["secretAccessKey"] = k->secret_access_key;
                if (!k->session_token.empty()) ak["sessionToken"] = k->session_token;
                return Reply::json({{"accessKey", std::move(ak)}});
              }});
  router.add({"ListAccessKeys", "GET", "/tenet/access-keys", svc, [&keys](Call& call) -> Reply {
                auto page = read_page(call, "access-keys");
                if (!page) return errors::from(page.error());
                json::array out;
                std::string last;
                bool more = false;
                for (const auto& k : keys.list()) {
                  if (k.access_key_id <= page->after) continue;
                  if (out.size() == page->limit) {
                    more = true;
                    break;
                  }
                  out.push_back(key_json(k, keys.now_ms()));
                  last = k.access_key_id;
                }
                json::object r{{"accessKeys", std::move(out)}};
                if (more) r["nextToken"] = page_token("access-keys", last);
                return Reply::json(std::move(r));
              }});
  router.add({"UpdateAccessKey", "PATCH", "/tenet/access-keys/{accessKeyId}", svc, [&keys](Call& call) -> Reply {
                call.resource = std::string(call.label("accessKeyId"));
                auto body = call.json();
                if (!body) return errors::from(body.error());
                auto status = get_string(*body, "status");
                if (!status || (*status != "Active" && *status != "Inactive")) {
                  return errors::invalid_request("status must be \"Active\" or \"Inactive\"");
                }
                if (auto r = keys.set_active(call.label("accessKeyId"), *status == "Active"); !r) {
                  return errors::from(r.error());
                }
                return Reply::empty();
              }});
  router.add({"DeleteAccessKey", "DELETE", "/tenet/access-keys/{accessKeyId}", svc, [&keys](Call& call) -> Reply {
                call.resource = std::string(call.label("accessKeyId"));
                if (auto r = keys.remove(call.label("accessKeyId")); !r) return errors::from(r.error());
                return Reply::empty();
              }});
}

void add_introspection_operations(Router& router) {
  router.add({"ListOperations", "GET", "/tenet/operations", control_services(), [&router](Call&) -> Reply {
                json::array out;
                for (const auto& r : router.routes()) {
                  json::array services;
                  for (const auto& s : r.services) services.emplace_back(s);
                  out.push_back(json::object{{"operation", r.operation},
                                             {"method", r.method},
                                             {"requestUri", r.uri},
                                             {"services", std::move(services)}});
                }
                return Reply::json({{"operations", std::move(out)}});
              }});
}

void add_tag_operations(Router& router, Tags& tags) {
  const auto& svc = control_services();
  router.add({"TagResource", "POST", "/tags", svc, [&tags](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::from(body.error());
                auto arn = get_string(*body, "resourceArn");
                if (!arn) return errors::invalid_request("resourceArn is required");
                call.resource = *arn;
                std::vector<Tag> list;
                auto it = body->find("tags");
                if (it == body->end() || !it->value().is_array()) return errors::invalid_request("tags is required");
                for (const auto& t : it->value().as_array()) {
                  if (!t.is_object()) return errors::invalid_request("each tag is an object with Key and Value");
                  auto k = get_string(t.as_object(), "Key");
                  if (!k) return errors::invalid_request("each tag needs a Key");
                  list.emplace_back(*k, get_string(t.as_object(), "Value").value_or(""));
                }
                if (auto r = tags.tag(*arn, list); !r) return errors::from(r.error());
                return Reply::empty();
              }});
  router.add({"UntagResource", "POST", "/untag", svc, [&tags](Call& call) -> Reply {
                auto body = call.json();
                if (!body) return errors::from(body.error());
                auto arn = get_string(*body, "resourceArn");
                if (!arn) return errors::invalid_request("resourceArn is required");
                call.resource = *arn;
                std::vector<std::string> keys;
                auto it = body->find("tagKeys");
                if (it == body->end() || !it->value().is_array()) return errors::invalid_request("tagKeys is required");
                for (const auto& k : it->value().as_array()) {
                  if (!k.is_string()) return errors::invalid_request("tagKeys are strings");
                  keys.emplace_back(k.as_string());
                }
                if (auto r = tags.untag(*arn, keys); !r) return errors::from(r.error());
                return Reply::empty();
              }});
  router.add({"ListTagsForResource", "GET", "/tags", svc, [&tags](Call& call) -> Reply {
                auto arn = call.query_param("resourceArn");
                if (!arn) return errors::invalid_request("resourceArn is required");
                call.resource = std::string(*arn);
                auto page = read_page(call, "tags:" + std::string(*arn));
                if (!page) return errors::from(page.error());
                auto list = tags.list(*arn);
                if (!list) return errors::from(list.error());
                json::array out;
                std::string last;
                bool more = false;
                for (const auto& [k, v] : *list) {
                  if (!page->after.empty() && k <= page->after) continue;
                  if (out.size() == page->limit) {
                    more = true;
                    break;
                  }
                  out.push_back(json::object{{"Key", k}, {"Value", v}});
                  last = k;
                }
                json::object r{{"tags", std::move(out)}};
                if (more) r["nextToken"] = page_token("tags:" + std::string(*arn), last);
                return Reply::json(std::move(r));
              }});
}

}  // namespace tenet::control
