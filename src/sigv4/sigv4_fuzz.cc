// Fuzzes verify() with whole HTTP/1.1 requests: "METHOD target HTTP/1.1\r\n" + header lines + blank
// line + body (bare "\n" line ends also accepted). Seeds: testdata/fuzz_corpus (gen_vectors.py --corpus
// plus broken variants). The keys and the clock match the botocore vectors, so seeds reach the HMAC.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "sigv4/sigv4.h"

namespace {

using tenet::sigv4::Header;

std::string_view next_line(std::string_view& in) {
  const std::size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::optional<tenet::sigv4::Credential> lookup(std::string_view akid) {
  if (akid == "AKIDEXAMPLETENET0001")
    return tenet::sigv4::Credential{"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", true};
  if (akid == "ASIATEMPEXAMPLE00001") {
    return tenet::sigv4::Credential{
        "TempSecretKeyExample/+0123456789abcdefgh",
        "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQ+token==", true};
  }
  if (akid == "AKIDINACTIVE00000000") return tenet::sigv4::Credential{"secret", "", false};
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string_view request_line = next_line(in);
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  tenet::sigv4::Request req;
  req.method = request_line.substr(0, sp1);
  if (sp1 != std::string_view::npos)
    req.target = request_line.substr(sp1 + 1, sp2 == std::string_view::npos ? sp2 : sp2 - sp1 - 1);
  std::vector<Header> headers;
  while (!in.empty()) {
    const std::string_view line = next_line(in);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
    if (headers.size() > 200) break;
  }
  req.headers = headers;
  req.body = in;

  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1795590000));
  tenet::sigv4::VerifyOptions opt;
  opt.region = "us-east-1";
  opt.services = {"iot", "iotdata", "iotdevicegateway", "IoTSecuredTunneling"};
  for (const bool any_region : {false, true}) {
    opt.any_region = any_region;
    const auto v = tenet::sigv4::verify(req, lookup, opt, now);
    if (v.ok() ? v.identity().access_key_id.empty() : v.failure().code.empty()) std::abort();
  }
  (void)tenet::sigv4::canonical_uri(req.target.substr(0, req.target.find('?')));
  (void)tenet::sigv4::parse_http_date(req.body.substr(0, 40));
  return 0;
}
