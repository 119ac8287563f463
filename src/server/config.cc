#include "server/config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

namespace tenet::server {
namespace {

using core::Errc;

template <typename T>
core::Result<void> read_int(const toml::table& t, std::string_view table, std::string_view key, T& out,
                            long long min, long long max) {
  const toml::node* n = t.get(key);
  if (!n) return {};
  auto v = n->value<long long>();
  if (!v || *v < min || *v > max) {
    return core::fail(Errc::kInvalidArgument, std::string(table) + "." + std::string(key) + " must be an integer in [" +
                                                  std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  out = static_cast<T>(*v);
  return {};
}

core::Result<void> read_str(const toml::table& t, std::string_view table, std::string_view key, std::string& out) {
  const toml::node* n = t.get(key);
  if (!n) return {};
  auto v = n->value<std::string>();
  if (!v) return core::fail(Errc::kInvalidArgument, std::string(table) + "." + std::string(key) + " must be a string");
  out = *v;
  return {};
}

core::Result<void> check_keys(const toml::table& t, std::string_view table, const std::set<std::string_view>& known) {
  for (const auto& [k, v] : t) {
    if (!known.count(k.str())) {
      return core::fail(Errc::kInvalidArgument, "unknown setting " + std::string(table) +
                                                    (table.empty() ? "" : ".") + std::string(k.str()));
    }
  }
  return {};
}

#define TENET_TRY(expr)                          \
  do {                                           \
    if (auto r_ = (expr); !r_) return core::propagate(std::move(r_)); \
  } while (0)

}  // namespace

core::Result<void> validate_identity(const Config& c) {
  auto ok_region = !c.region.empty() && c.region.size() <= 32;
  for (char ch : c.region) ok_region = ok_region && ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-');
  if (!ok_region) {
    return core::fail(Errc::kInvalidArgument, "server.region must be 1-32 characters of a-z, 0-9 and '-' (e.g. us-east-1)");
  }
  bool ok_account = c.account_id.size() == 12;
  for (char ch : c.account_id) ok_account = ok_account && ch >= '0' && ch <= '9';
  if (!ok_account) return core::fail(Errc::kInvalidArgument, "server.account_id must be 12 digits");
  return {};
}

core::Result<AuthzMode> parse_authz_mode(std::string_view s) {
  if (s == "policy") return AuthzMode::kPolicy;
  if (s == "deny") return AuthzMode::kDeny;
  if (s == "allow-authenticated") return AuthzMode::kAllowAuthenticated;
  return core::fail(Errc::kInvalidArgument, "authz mode must be \"policy\", \"deny\" or \"allow-authenticated\"");
}

core::Result<Config> parse_config(std::string_view text, Config c) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << e.description() << " at line " << e.source().begin.line;
    return core::fail(Errc::kInvalidArgument, os.str());
  }
  TENET_TRY(check_keys(root, "", {"server", "mqtt", "control", "authz", "limits"}));
  if (auto* s = root["server"].as_table()) {
    TENET_TRY(check_keys(*s, "server", {"data_dir", "log_level", "log_format", "threads", "server_names",
                                        "region", "account_id", "endpoint_host"}));
    TENET_TRY(read_str(*s, "server", "region", c.region));
    TENET_TRY(read_str(*s, "server", "account_id", c.account_id));
    TENET_TRY(read_str(*s, "server", "endpoint_host", c.endpoint_host));
    TENET_TRY(read_str(*s, "server", "data_dir", c.data_dir));
    TENET_TRY(read_str(*s, "server", "log_level", c.log_level));
    TENET_TRY(read_str(*s, "server", "log_format", c.log_format));
    TENET_TRY(read_int(*s, "server", "threads", c.mqtt.threads, 0, 256));
    if (auto* names = (*s)["server_names"].as_array()) {
      c.server_names.clear();
      for (const auto& n : *names) {
        auto v = n.value<std::string>();
        if (!v) return core::fail(Errc::kInvalidArgument, "server.server_names must be strings");
        c.server_names.push_back(*v);
      }
    }
  }
  if (auto* m = root["mqtt"].as_table()) {
    TENET_TRY(check_keys(*m, "mqtt", {"bind", "port", "retained_for_wildcards"}));
    TENET_TRY(read_str(*m, "mqtt", "bind", c.mqtt.bind_address));
    TENET_TRY(read_int(*m, "mqtt", "port", c.mqtt.port, 0, 65535));
    if (auto v = (*m)["retained_for_wildcards"].value<bool>()) c.mqtt.retained_for_wildcards = *v;
  }
  if (auto* k = root["control"].as_table()) {
    auto& C = c.control;
    TENET_TRY(check_keys(*k, "control",
                         {"bind", "port", "max_header_bytes", "max_body_bytes", "max_requests_per_connection",
                          "idle_timeout_seconds", "max_connections", "clock_skew_seconds"}));
    TENET_TRY(read_str(*k, "control", "bind", C.bind));
    TENET_TRY(read_int(*k, "control", "port", C.port, 0, 65535));
    TENET_TRY(read_int(*k, "control", "max_header_bytes", C.max_header_bytes, 1024, 1 << 20));
    TENET_TRY(read_int(*k, "control", "max_body_bytes", C.max_body_bytes, 1024, 64 << 20));
    TENET_TRY(read_int(*k, "control", "max_requests_per_connection", C.max_requests_per_connection, 1, 1'000'000));
    TENET_TRY(read_int(*k, "control", "max_connections", C.max_connections, 1, 100'000));
    long long idle = C.idle_timeout.count();
    TENET_TRY(read_int(*k, "control", "idle_timeout_seconds", idle, 1, 3600));
    C.idle_timeout = std::chrono::seconds(idle);
    TENET_TRY(read_int(*k, "control", "clock_skew_seconds", c.clock_skew_seconds, 1, 900));
  }
  if (auto* a = root["authz"].as_table()) {
    TENET_TRY(check_keys(*a, "authz", {"mode", "decision_log", "decision_log_allow_sample_rate", "decision_log_max_bytes"}));
    if (auto* n = a->get("decision_log")) {
      auto v = n->value<bool>();
      if (!v) return core::fail(Errc::kInvalidArgument, "authz.decision_log must be true or false");
      c.decision_log = *v;
    }
    if (auto* n = a->get("decision_log_allow_sample_rate")) {
      auto v = n->value<double>();
      if (!v || *v < 0.0 || *v > 1.0) {
        return core::fail(Errc::kInvalidArgument, "authz.decision_log_allow_sample_rate must be a number in [0, 1]");
      }
      c.decision_log_allow_sample_rate = *v;
    }
    TENET_TRY(read_int(*a, "authz", "decision_log_max_bytes", c.decision_log_max_bytes, 4096, 1ll << 40));
    std::string mode;
    TENET_TRY(read_str(*a, "authz", "mode", mode));
    if (!mode.empty()) {
      auto r = parse_authz_mode(mode);
      if (!r) return core::propagate(std::move(r));
      c.authz_mode = *r;
    }
  }
  if (auto* l = root["limits"].as_table()) {
    auto& L = c.mqtt.limits;
    TENET_TRY(check_keys(*l, "limits",
                         {"max_packet_size", "max_client_id_length", "max_topic_length", "receive_maximum",
                          "max_inflight", "max_queued_messages", "max_subscriptions", "topic_alias_maximum",
                          "max_outbound_bytes", "max_keep_alive", "max_session_expiry", "persistent_session_expiry",
                          "max_concurrent_handshakes", "handshake_timeout_ms", "connect_timeout_ms"}));
    TENET_TRY(read_int(*l, "limits", "max_packet_size", L.max_packet_size, 64, 268435460));
    TENET_TRY(read_int(*l, "limits", "max_client_id_length", L.max_client_id_length, 1, 65535));
    TENET_TRY(read_int(*l, "limits", "max_topic_length", L.max_topic_length, 1, 65535));
    TENET_TRY(read_int(*l, "limits", "receive_maximum", L.receive_maximum, 1, 65535));
    TENET_TRY(read_int(*l, "limits", "max_inflight", L.max_inflight, 1, 65535));
    TENET_TRY(read_int(*l, "limits", "max_queued_messages", L.max_queued_messages, 0, 100'000'000));
    TENET_TRY(read_int(*l, "limits", "max_subscriptions", L.max_subscriptions, 1, 1'000'000));
    TENET_TRY(read_int(*l, "limits", "topic_alias_maximum", L.topic_alias_maximum, 0, 65535));
    TENET_TRY(read_int(*l, "limits", "max_outbound_bytes", L.max_outbound_bytes, 1024, 1LL << 34));
    TENET_TRY(read_int(*l, "limits", "max_keep_alive", L.max_keep_alive, 1, 65535));
    TENET_TRY(read_int(*l, "limits", "max_session_expiry", L.max_session_expiry, 0, 0xFFFFFFFFLL));
    TENET_TRY(read_int(*l, "limits", "persistent_session_expiry", L.persistent_session_expiry, 0, 0xFFFFFFFFLL));
    TENET_TRY(read_int(*l, "limits", "max_concurrent_handshakes", L.max_concurrent_handshakes, 1, 1'000'000));
    long long hs = L.handshake_timeout.count(), ct = L.connect_timeout.count();
    TENET_TRY(read_int(*l, "limits", "handshake_timeout_ms", hs, 100, 600'000));
    TENET_TRY(read_int(*l, "limits", "connect_timeout_ms", ct, 100, 600'000));
    L.handshake_timeout = std::chrono::milliseconds(hs);
    L.connect_timeout = std::chrono::milliseconds(ct);
  }
  if (auto r = validate_identity(c); !r) return core::propagate(std::move(r));
  if (c.log_format != "text" && c.log_format != "json") {
    return core::fail(Errc::kInvalidArgument, "server.log_format must be \"text\" or \"json\"");
  }
  return c;
}

core::Result<Config> load_config(const std::string& path, Config base) {
  std::ifstream in(path);
  if (!in) return core::fail(Errc::kNotFound, "cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto r = parse_config(ss.str(), std::move(base));
  if (!r) return core::fail(std::move(r).error().with_context(path));
  return r;
}

}  // namespace tenet::server
