// libFuzzer target for the control plane's request path: raw bytes -> Beast HTTP parser ->
// Dispatcher (routing, query decoding, SigV4 verification, handlers, JSON bodies). The first byte
// picks the mode: even = the request as given (exercises SigV4 rejection), odd = the fuzzer signs
// the parsed request with the valid key first, so routing, handlers and body parsing are reached.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/beast/http.hpp>

#include "control/dispatcher.h"
#include "control/operations.h"
#include "control/testing/temp_db.h"
#include "core/clock.h"
#include "sigv4/sigv4.h"

namespace {

using namespace tenet;

struct Setup {
  control::testing::TempDb db;
  core::SystemClock clock;
  std::unique_ptr<control::AccessKeys> keys;
  std::unique_ptr<control::Tags> tags;
  control::Endpoints endpoints{"127.0.0.1:8883", "", ""};
  control::Router router;
  std::unique_ptr<control::Dispatcher> dispatcher;
  Setup() {
    keys = std::move(*control::AccessKeys::open(db.path(), std::string(32, 'k'), clock));
    (void)keys->ensure_bootstrap("TNTAFUZZ", "fuzz-secret");
    tags = std::move(*control::Tags::open(db.path()));
    tags->add_type("thing", [](std::string_view n) { return n == "t"; });
    control::add_endpoint_operations(router, endpoints);
    control::add_tag_operations(router, *tags);
    control::add_introspection_operations(router);
    dispatcher = std::make_unique<control::Dispatcher>(router, *keys, control::AuthOptions{"us-east-1", std::chrono::seconds(300)},
                                                       clock, nullptr);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Setup* s = new Setup();
  if (size < 1) return 0;
  const bool sign = (data[0] & 1) != 0;
  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data + 1, size - 1), ec);
  if (ec == http::error::need_more && !parser.is_done()) parser.put_eof(ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& req = parser.get();
  control::HttpRequest hr;
  hr.method = std::string(req.method_string());
  hr.target = std::string(req.target());
  bool has_host = false;
  for (const auto& f : req) {
    if (sign && (f.name_string() == "Authorization" || f.name_string() == "X-Amz-Date")) continue;
    has_host = has_host || boost::beast::iequals(f.name_string(), "host");
    hr.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  }
  hr.body = req.body();
  if (sign && has_host && !hr.target.empty() && hr.target[0] == '/') {
    std::vector<sigv4::Header> hs;
    for (const auto& [k, v] : hr.headers) hs.push_back({k, v});
    auto added = sigv4::sign(hr.method, hr.target, hs, hr.body, {"TNTAFUZZ", "fuzz-secret", ""}, "us-east-1", "iot",
                             s->clock.wall());
    if (added) {
      for (auto& h : *added) hr.headers.push_back(std::move(h));
    }
  }
  (void)s->dispatcher->handle(hr, "127.0.0.1:1");
  return 0;
}
