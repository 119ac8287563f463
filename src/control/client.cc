#include "control/client.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include "sigv4/sigv4.h"

namespace tenet::control {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using core::Errc;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r')) v.remove_suffix(1);
  return std::string(v);
}

// key -> value of one [section] of an INI file (AWS shared-credentials format).
std::optional<std::vector<std::pair<std::string, std::string>>> ini_section(const std::string& text,
                                                                           std::string_view section) {
  std::vector<std::pair<std::string, std::string>> out;
  bool in = false, found = false;
  std::istringstream is(text);
  std::string raw;
  while (std::getline(is, raw)) {
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      in = line == "[" + std::string(section) + "]";
      found = found || in;
      continue;
    }
    auto eq = line.find('=');
    if (!in || eq == std::string::npos) continue;
    out.emplace_back(trim(std::string_view(line).substr(0, eq)), trim(std::string_view(line).substr(eq + 1)));
  }
  if (!found) return std::nullopt;
  return out;
}

std::string get(const std::vector<std::pair<std::string, std::string>>& kv, std::string_view key) {
  for (const auto& [k, v] : kv) {
    if (k == key) return v;
  }
  return {};
}

std::string home_credentials() {
  std::string f = env("AWS_SHARED_CREDENTIALS_FILE");
  if (!f.empty()) return f;
  return env("HOME") + "/.aws/credentials";
}

core::Result<void> load_profile(ClientConfig& c, const std::string& file, const std::string& profile) {
  auto text = read_text(file);
  if (!text) return core::fail(Errc::kInvalidArgument, "cannot read credentials file " + file);
  auto kv = ini_section(*text, profile);
  if (!kv) return core::fail(Errc::kInvalidArgument, "profile [" + profile + "] not found in " + file);
  c.access_key_id = get(*kv, "aws_access_key_id");
  c.secret_access_key = get(*kv, "aws_secret_access_key");
  c.session_token = get(*kv, "aws_session_token");
  if (c.region.empty()) c.region = get(*kv, "region");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return core::fail(Errc::kInvalidArgument, "profile [" + profile + "] in " + file + " has no access key pair");
  }
  return {};
}

}  // namespace

std::string encode_label(std::string_view s) { return sigv4::uri_encode(s, false); }

core::Result<ClientConfig> resolve(const ClientFlags& f) {
  ClientConfig c;
  const std::string dir = !f.data_dir.empty() ? f.data_dir : env("TENET_DATA_DIR");
  c.region = f.region;
  if (c.region.empty()) c.region = env("AWS_REGION");
  if (c.region.empty()) c.region = env("AWS_DEFAULT_REGION");

  c.endpoint_url = f.endpoint_url;
  if (c.endpoint_url.empty()) c.endpoint_url = env("AWS_ENDPOINT_URL_IOT");
  if (c.endpoint_url.empty()) c.endpoint_url = env("AWS_ENDPOINT_URL");
  if (c.endpoint_url.empty() && !dir.empty()) {
    auto text = read_text(dir + "/endpoints.json");
    if (!text) {
      return core::fail(Errc::kInvalidArgument, "no " + dir + "/endpoints.json: is a tenet server running on that data dir?");
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(*text, ec);
    if (!ec && v.is_object() && v.as_object().contains("control") && v.at("control").is_string()) {
      c.endpoint_url = std::string(v.at("control").as_string());
    }
  }
  if (c.endpoint_url.empty()) {
    return core::fail(Errc::kInvalidArgument, "no endpoint: give --data-dir, --endpoint-url or AWS_ENDPOINT_URL");
  }

  if (!f.profile.empty()) {
    if (auto r = load_profile(c, home_credentials(), f.profile); !r) return core::propagate(std::move(r));
  } else if (!dir.empty()) {
    if (auto r = load_profile(c, dir + "/admin-credentials", "default"); !r) return core::propagate(std::move(r));
  } else if (!env("AWS_ACCESS_KEY_ID").empty()) {
    c.access_key_id = env("AWS_ACCESS_KEY_ID");
    c.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    c.session_token = env("AWS_SESSION_TOKEN");
    if (c.secret_access_key.empty()) return core::fail(Errc::kInvalidArgument, "AWS_SECRET_ACCESS_KEY is not set");
  } else {
    std::string p = env("AWS_PROFILE");
    if (auto r = load_profile(c, home_credentials(), p.empty() ? "default" : p); !r) {
      return core::fail(Errc::kInvalidArgument,
                        "no credentials: give --data-dir or --profile, or set AWS_ACCESS_KEY_ID (" + r.error().detail + ")");
    }
  }
  if (c.region.empty()) c.region = "us-east-1";

  c.ca_file = f.ca_bundle;
  if (c.ca_file.empty() && !dir.empty()) c.ca_file = dir + "/ca.pem";
  if (c.ca_file.empty()) c.ca_file = env("AWS_CA_BUNDLE");
  return c;
}

core::Result<ApiResponse> send(const ClientConfig& c, std::string_view method, std::string_view target,
                               std::string_view body, const std::vector<std::pair<std::string, std::string>>& extra) {
  auto url = boost::urls::parse_uri(c.endpoint_url);
  if (!url || url->scheme() != "https" || url->host().empty()) {
    return core::fail(Errc::kInvalidArgument, "endpoint must be an https:// URL, got \"" + c.endpoint_url + "\"");
  }
  const std::string host = url->host_address().empty() ? std::string(url->host()) : std::string(url->host_address());
  const std::string port = url->has_port() ? std::string(url->port()) : "443";
  const std::string host_header = url->has_port() ? std::string(url->encoded_host_and_port()) : std::string(url->host());

  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (!c.ca_file.empty()) {
    ctx.load_verify_file(c.ca_file, ec);
    if (ec) return core::fail(Errc::kInvalidArgument, "cannot load CA bundle " + c.ca_file, ec);
  } else {
    ctx.set_default_verify_paths(ec);
  }
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  stream.set_verify_callback(asio::ssl::host_name_verification(host));
  if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) {
    // IP literals have no SNI; verification still checks the address.
  }
  asio::ip::tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return core::fail(Errc::kUnavailable, "cannot resolve " + host, ec);
  beast::get_lowest_layer(stream).expires_after(c.timeout);
  beast::get_lowest_layer(stream).connect(endpoints, ec);
  if (ec) return core::fail(Errc::kUnavailable, "cannot connect to " + c.endpoint_url, ec);
  stream.handshake(asio::ssl::stream_base::client, ec);
  if (ec) return core::fail(Errc::kUnavailable, "TLS handshake with " + c.endpoint_url + " failed", ec);

  std::vector<sigv4::Header> headers{{"Host", host_header}};
  if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
  for (const auto& [k, v] : extra) headers.push_back({k, v});
  auto added = sigv4::sign(method, target, headers, body,
                           sigv4::SigningCredentials{c.access_key_id, c.secret_access_key, c.session_token},
                           c.region, c.service, std::chrono::system_clock::now());
  if (!added) return core::propagate(std::move(added));

  http::request<http::string_body> req{http::string_to_verb(method), std::string(target), 11};
  for (const auto& h : headers) req.set(h.name, h.value);
  for (const auto& [k, v] : *added) req.set(k, v);
  req.set(http::field::user_agent, "tenet-cli");
  req.body() = std::string(body);
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return core::fail(ec == beast::error::timeout ? Errc::kTimeout : Errc::kUnavailable, "sending request", ec);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res, ec);
  if (ec) return core::fail(ec == beast::error::timeout ? Errc::kTimeout : Errc::kUnavailable, "reading response", ec);
  stream.shutdown(ec);  // best effort

  ApiResponse out;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  if (auto it = res.find("x-amzn-RequestId"); it != res.end()) out.request_id = std::string(it->value());
  boost::system::error_code jec;
  out.json = boost::json::parse(out.body, jec);
  if (jec) out.json = nullptr;
  if (auto it = res.find("x-amzn-ErrorType"); it != res.end()) {
    std::string t(it->value());
    out.error_type = t.substr(0, t.find(':'));
  }
  if (out.json.is_object()) {
    const auto& o = out.json.as_object();
    if (out.error_type.empty() && !out.ok() && o.contains("__type") && o.at("__type").is_string()) {
      out.error_type = std::string(o.at("__type").as_string());
    }
    for (const char* k : {"message", "Message"}) {
      if (!out.ok() && o.contains(k) && o.at(k).is_string()) out.message = std::string(o.at(k).as_string());
    }
  }
  return out;
}

}  // namespace tenet::control
