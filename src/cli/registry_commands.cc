// Identity commands over the control-plane API (docs/cli.md): `tenet thing|group|cert ...` and the
// composite `tenet device onboard`, which does in one step what takes five AWS CLI calls.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <boost/json.hpp>

#include "cli/api_client.h"
#include "cli/commands.h"
#include "control/client.h"
#include "pki/files.h"

namespace tenet::cli {
namespace {

namespace json = boost::json;
using control::encode_label;

// "k=v" pairs -> {"attributes": {...}}.
std::optional<json::object> attributes(const std::vector<std::string>& kvs) {
  json::object attrs;
  for (const auto& kv : kvs) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "tenet: --attr takes NAME=VALUE, got \"" << kv << "\"\n";
      set_exit_code(kExitUsage);
      return std::nullopt;
    }
    attrs[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return attrs;
}

// Calls a paginated list operation until the end; returns every item of `member`.
std::optional<json::array> list_all(const Conn& c, const std::string& path, std::string_view member,
                                    std::string_view token_in = "nextToken", std::string_view token_out = "nextToken") {
  json::array all;
  std::string token;
  do {
    std::string target = path + (path.find('?') == std::string::npos ? "?" : "&");
    if (!token.empty()) target += std::string(token_in) + "=" + encode_label(token);
    auto r = call(c, "GET", target);
    if (!r) return std::nullopt;
    if (auto* a = r->as_object().if_contains(member); a && a->is_array()) {
      for (auto& v : a->as_array()) all.push_back(v);
    }
    auto* t = r->as_object().if_contains(token_out);
    token = t && t->is_string() ? std::string(t->as_string()) : "";
  } while (!token.empty());
  return all;
}

void add_thing_commands(CLI::App& app) {
  auto* thing = app.add_subcommand("thing", "Things in the registry");
  thing->require_subcommand(1);
  {
    auto c = std::make_shared<Conn>();
    auto name = std::make_shared<std::string>();
    auto type = std::make_shared<std::string>();
    auto attrs = std::make_shared<std::vector<std::string>>();
    auto* cmd = thing->add_subcommand("create", "Create a thing");
    add_conn_flags(cmd, c);
    cmd->add_option("name", *name)->required();
    cmd->add_option("--type", *type, "Thing type");
    cmd->add_option("--attr", *attrs, "Attribute NAME=VALUE (repeat)");
    cmd->callback([=] {
      auto a = attributes(*attrs);
      if (!a) return;
      json::object body{{"attributePayload", json::object{{"attributes", *a}}}};
      if (!type->empty()) body["thingTypeName"] = *type;
      auto r = call(*c, "POST", "/things/" + encode_label(*name), json::serialize(body));
      if (!r) return;
      if (c->json) return print_json(*r);
      std::cout << str(r->as_object(), "thingArn") << "\n";
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto name = std::make_shared<std::string>();
    auto* cmd = thing->add_subcommand("describe", "Show a thing");
    add_conn_flags(cmd, c);
    cmd->add_option("name", *name)->required();
    cmd->callback([=] {
      auto r = call(*c, "GET", "/things/" + encode_label(*name));
      if (r) print_json(*r);
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto* cmd = thing->add_subcommand("list", "List things");
    add_conn_flags(cmd, c);
    cmd->callback([=] {
      auto all = list_all(*c, "/things?maxResults=250", "things");
      if (!all) return;
      if (c->json) return print_json(json::object{{"things", *all}});
      std::vector<std::vector<std::string>> rows;
      for (const auto& v : *all) {
        const auto& t = v.as_object();
        std::string attrs;
        if (auto* a = t.if_contains("attributes"); a && a->is_object()) {
          for (const auto& [k, val] : a->as_object()) {
            attrs += (attrs.empty() ? "" : ",") + std::string(k) + "=" + (val.is_string() ? std::string(val.as_string()) : "");
          }
        }
        rows.push_back({str(t, "thingName"), t.contains("thingTypeName") ? str(t, "thingTypeName") : "-", str(t, "version"),
                        attrs.empty() ? "-" : attrs});
      }
      print_table({"THING", "TYPE", "VERSION", "ATTRIBUTES"}, rows);
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto name = std::make_shared<std::string>();
    auto attrs = std::make_shared<std::vector<std::string>>();
    auto* cmd = thing->add_subcommand("update", "Set attributes (merged; an empty value removes one)");
    add_conn_flags(cmd, c);
    cmd->add_option("name", *name)->required();
    cmd->add_option("--attr", *attrs, "Attribute NAME=VALUE (repeat)")->required();
    cmd->callback([=] {
      auto a = attributes(*attrs);
      if (!a) return;
      json::object body{{"attributePayload", json::object{{"attributes", *a}, {"merge", true}}}};
      auto r = call(*c, "PATCH", "/things/" + encode_label(*name), json::serialize(body));
      if (r && c->json) print_json(*r);
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto name = std::make_shared<std::string>();
    auto* cmd = thing->add_subcommand("delete", "Delete a thing");
    add_conn_flags(cmd, c);
    cmd->add_option("name", *name)->required();
    cmd->callback([=] {
      auto r = call(*c, "DELETE", "/things/" + encode_label(*name));
      if (r && c->json) print_json(*r);
    });
  }
}

void add_group_commands(CLI::App& app) {
  auto* group = app.add_subcommand("group", "Thing groups");
  group->require_subcommand(1);
  {
    auto c = std::make_shared<Conn>();
    auto name = std::make_shared<std::string>();
    auto parent = std::make_shared<std::string>();
    auto query = std::make_shared<std::string>();
    auto* cmd = group->add_subcommand("create", "Create a static group, or a dynamic one with --query");
    add_conn_flags(cmd, c);
    cmd->add_option("name", *name)->required();
    cmd->add_option("--parent", *parent, "Parent group (static groups)");
    cmd->add_option("--query", *query, "Fleet-index query: makes a dynamic group");
    cmd->callback([=] {
      json::object body;
      std::string path = "/thing-groups/";
      if (!query->empty()) {
        body["queryString"] = *query;
        path = "/dynamic-thing-groups/";
      }
      if (!parent->empty()) body["parentGroupName"] = *parent;
      auto r = call(*c, "POST", path + encode_label(*name), json::serialize(body));
      if (!r) return;
      if (c->json) return print_json(*r);
      std::cout << str(r->as_object(), "thingGroupArn") << "\n";
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto* cmd = group->add_subcommand("list", "List thing groups");
    add_conn_flags(cmd, c);
    cmd->callback([=] {
      auto all = list_all(*c, "/thing-groups?maxResults=250", "thingGroups");
      if (!all) return;
      if (c->json) return print_json(json::object{{"thingGroups", *all}});
      std::vector<std::vector<std::string>> rows;
      for (const auto& v : *all) rows.push_back({str(v.as_object(), "groupName"), str(v.as_object(), "groupArn")});
      print_table({"GROUP", "ARN"}, rows);
    });
  }
  for (const char* verb : {"add-thing", "remove-thing"}) {
    auto c = std::make_shared<Conn>();
    auto g = std::make_shared<std::string>();
    auto t = std::make_shared<std::string>();
    const bool add = std::string_view(verb) == "add-thing";
    auto* cmd = group->add_subcommand(verb, add ? "Put a thing in a static group" : "Take a thing out of a group");
    add_conn_flags(cmd, c);
    cmd->add_option("group", *g)->required();
    cmd->add_option("thing", *t)->required();
    cmd->callback([=] {
      json::object body{{"thingGroupName", *g}, {"thingName", *t}};
      auto r = call(*c, "PUT", add ? "/thing-groups/addThingToThingGroup" : "/thing-groups/removeThingFromThingGroup",
                    json::serialize(body));
      if (r && c->json) print_json(*r);
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto name = std::make_shared<std::string>();
    auto* cmd = group->add_subcommand("delete", "Delete a thing group");
    add_conn_flags(cmd, c);
    cmd->add_option("name", *name)->required();
    cmd->callback([=] {
      auto r = call(*c, "DELETE", "/thing-groups/" + encode_label(*name));
      if (r && c->json) print_json(*r);
    });
  }
}

// Writes cert/key/CA/endpoint files for a device into `out`.
bool write_device_files(const std::string& out, const std::string& name, const json::object& keys,
                        const std::string& ca_pem, const std::string& endpoint) {
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  auto put = [&](const std::string& file, const std::string& text, int mode) {
    auto r = pki::write_file_atomic(out + "/" + file, text, mode);
    if (!r) set_exit_code(r.error());
    return static_cast<bool>(r);
  };
  const auto& pair = keys.at("keyPair").as_object();
  json::object cfg{{"thingName", name}, {"clientId", name}, {"endpoint", endpoint},
                   {"certificate", name + ".cert.pem"}, {"privateKey", name + ".private.key"}, {"rootCa", "ca.pem"},
                   {"certificateId", keys.at("certificateId")}};
  return put(name + ".cert.pem", std::string(keys.at("certificatePem").as_string()), 0644) &&
         put(name + ".private.key", std::string(pair.at("PrivateKey").as_string()), 0600) &&
         put(name + ".public.key", std::string(pair.at("PublicKey").as_string()), 0644) && put("ca.pem", ca_pem, 0644) &&
         put("device.json", json::serialize(cfg) + "\n", 0644);
}

void add_cert_commands(CLI::App& app, CLI::App* ca) {
  auto* cert = app.add_subcommand("cert", "Device certificates");
  cert->require_subcommand(1);
  {
    auto c = std::make_shared<Conn>();
    auto out = std::make_shared<std::string>();
    auto inactive = std::make_shared<bool>(false);
    auto* cmd = cert->add_subcommand("create", "Issue a key pair and certificate from tenet's CA");
    add_conn_flags(cmd, c);
    cmd->add_option("--out-dir", *out, "Write cert.pem and private.key here (the key is not kept by tenet)")->required();
    cmd->add_flag("--inactive", *inactive, "Leave it INACTIVE");
    cmd->callback([=] {
      auto r = call(*c, "POST", std::string("/keys-and-certificate?setAsActive=") + (*inactive ? "false" : "true"));
      if (!r) return;
      const auto& o = r->as_object();
      const std::string id(o.at("certificateId").as_string());
      std::error_code ec;
      std::filesystem::create_directories(*out, ec);
      auto w1 = pki::write_file_atomic(*out + "/" + id.substr(0, 12) + ".cert.pem",
                                       std::string(o.at("certificatePem").as_string()), 0644);
      auto w2 = pki::write_file_atomic(*out + "/" + id.substr(0, 12) + ".private.key",
                                       std::string(o.at("keyPair").at("PrivateKey").as_string()), 0600);
      if (!w1) return set_exit_code(w1.error());
      if (!w2) return set_exit_code(w2.error());
      if (c->json) return print_json(json::object{{"certificateId", id}, {"certificateArn", o.at("certificateArn")}});
      std::cout << id << "\n";
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto* cmd = cert->add_subcommand("list", "List certificates");
    add_conn_flags(cmd, c);
    cmd->callback([=] {
      auto all = list_all(*c, "/certificates?pageSize=250", "certificates", "marker", "nextMarker");
      if (!all) return;
      if (c->json) return print_json(json::object{{"certificates", *all}});
      std::vector<std::vector<std::string>> rows;
      for (const auto& v : *all) {
        const auto& o = v.as_object();
        rows.push_back({str(o, "certificateId"), str(o, "status"), format_time(o.contains("creationDate") ? o.at("creationDate") : nullptr)});
      }
      print_table({"CERTIFICATE ID", "STATUS", "CREATED"}, rows);
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto id = std::make_shared<std::string>();
    auto* cmd = cert->add_subcommand("describe", "Show a certificate");
    add_conn_flags(cmd, c);
    cmd->add_option("certificate-id", *id)->required();
    cmd->callback([=] {
      auto r = call(*c, "GET", "/certificates/" + encode_label(*id));
      if (r) print_json(*r);
    });
  }
  for (const char* verb : {"activate", "deactivate", "revoke"}) {
    auto c = std::make_shared<Conn>();
    auto id = std::make_shared<std::string>();
    const std::string status = std::string_view(verb) == "activate" ? "ACTIVE"
                               : std::string_view(verb) == "revoke" ? "REVOKED"
                                                                    : "INACTIVE";
    auto* cmd = cert->add_subcommand(verb, "Set the certificate " + status + " (live sessions using it close at once)");
    add_conn_flags(cmd, c);
    cmd->add_option("certificate-id", *id)->required();
    cmd->callback([=] {
      auto r = call(*c, "PUT", "/certificates/" + encode_label(*id) + "?newStatus=" + status);
      if (r && c->json) print_json(*r);
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto id = std::make_shared<std::string>();
    auto* cmd = cert->add_subcommand("delete", "Delete an INACTIVE or REVOKED certificate with no things attached");
    add_conn_flags(cmd, c);
    cmd->add_option("certificate-id", *id)->required();
    cmd->callback([=] {
      auto r = call(*c, "DELETE", "/certificates/" + encode_label(*id));
      if (r && c->json) print_json(*r);
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto* cmd = ca->add_subcommand("list", "List registered CA certificates (tenet's own included)");
    add_conn_flags(cmd, c);
    cmd->callback([=] {
      auto all = list_all(*c, "/cacertificates?pageSize=250", "certificates", "marker", "nextMarker");
      if (!all) return;
      if (c->json) return print_json(json::object{{"certificates", *all}});
      std::vector<std::vector<std::string>> rows;
      for (const auto& v : *all) rows.push_back({str(v.as_object(), "certificateId"), str(v.as_object(), "status")});
      print_table({"CA CERTIFICATE ID", "STATUS"}, rows);
    });
  }
}

void add_device_commands(CLI::App& app) {
  auto* device = app.add_subcommand("device", "Composite device workflows");
  device->require_subcommand(1);
  auto c = std::make_shared<Conn>();
  auto name = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto group = std::make_shared<std::string>();
  auto policy = std::make_shared<std::string>();
  auto attrs = std::make_shared<std::vector<std::string>>();
  auto* cmd = device->add_subcommand(
      "onboard", "Create a thing, issue its certificate, attach them (and group, policy), write the device's files");
  add_conn_flags(cmd, c);
  cmd->add_option("name", *name, "Thing name (also the client id the device should use)")->required();
  cmd->add_option("--out", *out, "Directory for NAME.cert.pem, NAME.private.key, ca.pem, device.json")->required();
  cmd->add_option("--group", *group, "Static thing group to add the thing to");
  cmd->add_option("--policy", *policy, "Policy to attach to the certificate");
  cmd->add_option("--attr", *attrs, "Thing attribute NAME=VALUE (repeat)");
  cmd->callback([=] {
    auto a = attributes(*attrs);
    if (!a) return;
    const std::string thing = encode_label(*name);
    if (!call(*c, "POST", "/things/" + thing,
              json::serialize(json::object{{"attributePayload", json::object{{"attributes", *a}}}}))) {
      return;
    }
    auto keys = call(*c, "POST", "/keys-and-certificate?setAsActive=true");
    if (!keys) return;
    const auto& k = keys->as_object();
    const std::string cert_arn(k.at("certificateArn").as_string());
    auto cfg = control::resolve(c->flags);
    if (!cfg) return set_exit_code(cfg.error());
    // AttachThingPrincipal takes the principal in a header: use the raw client for it.
    control::ClientConfig with_principal = *cfg;
    auto attach = control::send(with_principal, "PUT", "/things/" + thing + "/principals?thingPrincipalType=EXCLUSIVE_THING",
                                {}, {{"x-amzn-principal", cert_arn}});
    if (!attach) return set_exit_code(attach.error());
    if (!attach->ok()) {
      std::cerr << "tenet: AttachThingPrincipal: " << attach->error_type << ": " << attach->message << "\n";
      return set_exit_code(api_exit_code(attach->status));
    }
    if (!group->empty() && !call(*c, "PUT", "/thing-groups/addThingToThingGroup",
                                 json::serialize(json::object{{"thingGroupName", *group}, {"thingName", *name}}))) {
      return;
    }
    if (!policy->empty() && !call(*c, "PUT", "/target-policies/" + encode_label(*policy),
                                  json::serialize(json::object{{"target", cert_arn}}))) {
      return;
    }
    auto ep = call(*c, "GET", "/endpoint?endpointType=iot%3AData-ATS");
    if (!ep) return;
    std::string ca_pem;
    if (!cfg->ca_file.empty()) {
      auto text = pki::read_file(cfg->ca_file);
      if (text) ca_pem = *text;
    }
    if (!write_device_files(*out, *name, k, ca_pem, std::string(ep->at("endpointAddress").as_string()))) return;
    set_exit_code(0);
    if (c->json) {
      return print_json(json::object{{"thingName", *name}, {"certificateId", k.at("certificateId")},
                                     {"certificateArn", cert_arn}, {"endpoint", ep->at("endpointAddress")},
                                     {"directory", *out}});
    }
    std::cout << "onboarded " << *name << ": certificate " << k.at("certificateId").as_string().c_str() << ", files in "
              << *out << "\n";
  });
}

}  // namespace

void add_registry_commands(CLI::App& app, CLI::App* ca) {
  add_thing_commands(app);
  add_group_commands(app);
  add_cert_commands(app, ca);
  add_device_commands(app);
}

}  // namespace tenet::cli

namespace tenet::cli {

void add_policy_commands(CLI::App& app) {
  namespace json = boost::json;
  auto* pol = app.add_subcommand("policy", "AWS IoT policies");
  pol->require_subcommand(1);
  auto c = std::make_shared<Conn>();
  struct Flags {
    std::string principal, client_id, action, resource, draft;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = pol->add_subcommand("explain", "Why a request is allowed or denied, statement by statement");
  add_conn_flags(cmd, c);
  cmd->add_option("--principal", f->principal, "Certificate id or ARN")->required();
  cmd->add_option("--client-id", f->client_id, "MQTT client id (default: none)");
  cmd->add_option("--action", f->action, "e.g. iot:Publish")->required();
  cmd->add_option("--resource", f->resource, "topic/x, topicfilter/x/#, client/id, or a full ARN")->required();
  cmd->add_option("--draft", f->draft, "A draft policy document (file) evaluated with the attached ones")
      ->check(CLI::ExistingFile);
  cmd->callback([c, f] {
    json::object body{{"principal", f->principal}, {"action", f->action}, {"resource", f->resource}};
    if (!f->draft.empty()) {
      auto text = pki::read_file(f->draft);
      if (!text) return set_exit_code(text.error());
      body["policyDocument"] = *text;
    }
    std::string target = "/tenet/explain-authorization";
    if (!f->client_id.empty()) target += "?clientId=" + control::encode_label(f->client_id);
    auto r = call(*c, "POST", target, json::serialize(body));
    if (!r) return;
    if (c->json) return print_json(*r);
    std::cout << r->at("explanation").as_string().c_str();
    if (r->at("decision") != "ALLOWED") set_exit_code(kExitAuth);
  });
}

}  // namespace tenet::cli
