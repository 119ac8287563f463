// Control-plane commands over the HTTPS API (docs/cli.md): `tenet admin key ...`,
// `tenet endpoint describe`, `tenet api call`. Each resolves its endpoint and credentials like the
// AWS CLI (control/client.h), signs with SigV4 and prints a table, or JSON with --json.
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include <boost/json.hpp>

#include "cli/commands.h"
#include "cli/api_client.h"
#include "control/client.h"

namespace tenet::cli {
namespace {

namespace json = boost::json;

void add_key_commands(CLI::App* admin) {
  auto* key = admin->add_subcommand("key", "Operator access keys (SigV4)");
  key->require_subcommand(1);

  {
    auto c = std::make_shared<Conn>();
    auto desc = std::make_shared<std::string>();
    auto duration = std::make_shared<int>(0);
    auto* cmd = key->add_subcommand("create", "Create an access key (the secret is shown once)");
    add_conn_flags(cmd, c);
    cmd->add_option("--description", *desc, "What the key is for");
    cmd->add_option("--duration-seconds", *duration, "Make a temporary credential with a session token")
        ->check(CLI::Range(1, 36 * 3600));
    cmd->callback([c, desc, duration] {
      json::object body{{"description", *desc}};
      if (*duration > 0) body["durationSeconds"] = *duration;
      auto r = call(*c, "POST", "/tenet/access-keys", json::serialize(body));
      if (!r) return;
      if (c->json) return print_json(*r);
      const auto& k = r->at("accessKey").as_object();
      std::cout << "aws_access_key_id = " << str(k, "accessKeyId") << "\n"
                << "aws_secret_access_key = " << str(k, "secretAccessKey") << "\n";
      if (k.contains("sessionToken")) {
        std::cout << "aws_session_token = " << str(k, "sessionToken") << "\n"
                  << "# expires " << format_time(k.at("expiration")) << "\n";
      }
      std::cerr << "tenet: the secret is shown only now; store it safely.\n";
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto* cmd = key->add_subcommand("list", "List access keys");
    add_conn_flags(cmd, c);
    cmd->callback([c] {
      json::array all;
      std::string token;
      do {
        std::string target = "/tenet/access-keys?maxResults=250";
        if (!token.empty()) target += "&nextToken=" + control::encode_label(token);
        auto r = call(*c, "GET", target);
        if (!r) return;
        for (auto& k : r->at("accessKeys").as_array()) all.push_back(k);
        token = r->as_object().contains("nextToken") ? std::string(r->at("nextToken").as_string()) : "";
      } while (!token.empty());
      if (c->json) return print_json(json::object{{"accessKeys", all}});
      std::vector<std::vector<std::string>> rows;
      for (const auto& v : all) {
        const auto& k = v.as_object();
        rows.push_back({str(k, "accessKeyId"), str(k, "status"),
                        k.contains("expiration") ? "temporary until " + format_time(k.at("expiration"))
                                                 : (k.at("bootstrap").as_bool() ? "bootstrap" : "permanent"),
                        format_time(k.at("createDate")),
                        k.contains("lastUsedDate") ? format_time(k.at("lastUsedDate")) : "never", str(k, "description")});
      }
      print_table({"ACCESS KEY ID", "STATUS", "KIND", "CREATED", "LAST USED", "DESCRIPTION"}, rows);
    });
  }
  for (const char* verb : {"activate", "deactivate"}) {
    auto c = std::make_shared<Conn>();
    auto id = std::make_shared<std::string>();
    const bool active = std::string_view(verb) == "activate";
    auto* cmd = key->add_subcommand(verb, active ? "Allow a key to sign again" : "Refuse a key from the next request on");
    add_conn_flags(cmd, c);
    cmd->add_option("access-key-id", *id)->required();
    cmd->callback([c, id, active] {
      auto r = call(*c, "PATCH", "/tenet/access-keys/" + control::encode_label(*id),
                    json::serialize(json::object{{"status", active ? "Active" : "Inactive"}}));
      if (r && c->json) print_json(*r);
    });
  }
  {
    auto c = std::make_shared<Conn>();
    auto id = std::make_shared<std::string>();
    auto* cmd = key->add_subcommand("delete", "Delete an access key");
    add_conn_flags(cmd, c);
    cmd->add_option("access-key-id", *id)->required();
    cmd->callback([c, id] {
      auto r = call(*c, "DELETE", "/tenet/access-keys/" + control::encode_label(*id));
      if (r && c->json) print_json(*r);
    });
  }
}

}  // namespace

int api_exit_code(int http_status) {
  if (http_status == 401 || http_status == 403) return kExitAuth;
  if (http_status == 404) return kExitNotFound;
  if (http_status == 406 || http_status == 409 || http_status == 410) return kExitConflict;
  if (http_status >= 400 && http_status < 500) return kExitUsage;
  return kExitFailure;
}

void add_admin_commands(CLI::App& app) {
  auto* admin = app.add_subcommand("admin", "Administer the control plane (access keys)");
  admin->require_subcommand(1);
  add_key_commands(admin);

  auto* endpoint = app.add_subcommand("endpoint", "Where devices connect (DescribeEndpoint)");
  endpoint->require_subcommand(1);
  {
    auto c = std::make_shared<Conn>();
    auto type = std::make_shared<std::string>("iot:Data-ATS");
    auto* cmd = endpoint->add_subcommand("describe", "Print the device endpoint");
    add_conn_flags(cmd, c);
    cmd->add_option("--type", *type, "iot:Data-ATS (default), iot:Data, iot:CredentialProvider, iot:Jobs");
    cmd->callback([c, type] {
      auto r = call(*c, "GET", "/endpoint?endpointType=" + control::encode_label(*type));
      if (!r) return;
      if (c->json) return print_json(*r);
      std::cout << r->at("endpointAddress").as_string().c_str() << "\n";
    });
  }

  auto* api = app.add_subcommand("api", "Raw signed calls to the control-plane API");
  api->require_subcommand(1);
  {
    auto c = std::make_shared<Conn>();
    auto method = std::make_shared<std::string>();
    auto target = std::make_shared<std::string>();
    auto body = std::make_shared<std::string>();
    auto* cmd = api->add_subcommand("call", "Send METHOD PATH[?QUERY] with an optional JSON body; print the response");
    add_conn_flags(cmd, c);
    cmd->add_option("method", *method)->required();
    cmd->add_option("target", *target, "Request path, percent-encoded, e.g. /things/dev-1")->required();
    cmd->add_option("--body", *body, "JSON request body");
    cmd->callback([c, method, target, body] {
      auto r = call(*c, *method, *target, *body);
      if (r) print_json(*r);
    });
  }
}

}  // namespace tenet::cli
