#include "bench/target.h"

#include <charconv>

#include <boost/json.hpp>

namespace tenet::bench {

core::Result<Endpoint> parse_host_port(std::string_view s) {
  const auto bad = [&] { return core::fail(core::Errc::kInvalidArgument, "expected HOST:PORT, got \"" + std::string(s) + "\""); };
  const std::size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad();
  std::string_view host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string_view port = s.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535) return bad();
  return Endpoint{std::string(host), static_cast<std::uint16_t>(value)};
}

core::Result<Endpoint> read_endpoint(const std::string& data_dir) {
  auto text = pki::read_file(data_dir + "/endpoints.json");
  if (!text) return core::fail(std::move(text.error()).with_context("reading endpoints.json (is the server running?)"));
  boost::system::error_code ec;
  const auto v = boost::json::parse(*text, ec);
  const auto* obj = ec ? nullptr : v.if_object();
  const auto* mqtt = obj ? obj->if_contains("mqtt") : nullptr;
  if (mqtt == nullptr || !mqtt->is_string()) {
    return core::fail(core::Errc::kMalformed, data_dir + "/endpoints.json has no \"mqtt\" address");
  }
  return parse_host_port(mqtt->get_string());
}

core::Result<std::vector<pki::CertAndKey>> mint_client_certs(const std::string& data_dir, std::size_t count,
                                                             std::string_view prefix) {
  auto cert = pki::read_file(data_dir + "/ca.pem");
  if (!cert) return core::fail(std::move(cert.error()).with_context("reading ca.pem"));
  auto key = pki::read_file(data_dir + "/ca.key");
  if (!key) return core::fail(std::move(key.error()).with_context("reading ca.key"));
  const pki::CertAndKey ca{std::move(*cert), std::move(*key)};
  std::vector<pki::CertAndKey> out;
  out.reserve(count);
  for (std::size_t k = 0; k < count; ++k) {
    pki::CertOptions o;
    o.common_name = std::string(prefix) + "-" + std::to_string(k);
    o.valid_days = 1;
    auto issued = pki::issue(ca, o, false);
    if (!issued) return core::fail(std::move(issued.error()).with_context("minting a device certificate"));
    out.push_back(std::move(*issued));
  }
  return out;
}

}  // namespace tenet::bench
