#include "control/dispatcher.h"

#include <cctype>
#include <exception>

#include <boost/json/serialize.hpp>

#include "control/errors.h"
#include "core/log.h"
#include "sigv4/sigv4.h"

namespace tenet::control {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string new_request_id() {
  const std::string h = random_string(32, "0123456789abcdef");
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

Dispatcher::Dispatcher(const Router& router, const AccessKeys& keys, AuthOptions auth, const core::Clock& clock,
                       AuditSink audit)
    : router_(router), keys_(keys), auth_(std::move(auth)), clock_(clock), audit_(std::move(audit)) {}

HttpResponse Dispatcher::handle(const HttpRequest& req, std::string_view source) {
  const auto start = clock_.now();
  Call call;
  call.method = req.method;
  call.raw_target = req.target;
  call.body = req.body;
  call.source = std::string(source);
  call.request_id = new_request_id();
  for (const auto& [k, v] : req.headers) call.headers.emplace_back(lower(k), v);

  std::string_view target = req.target;
  std::string_view path = target.substr(0, target.find('?'));
  std::string_view raw_query =
      path.size() < target.size() ? target.substr(path.size() + 1) : std::string_view{};
  if (path.empty() || path.front() != '/') {
    return finish(call, errors::invalid_request("request-target must be an absolute path"), start);
  }
  auto match = router_.match(req.method, path);
  if (match.route == nullptr) {
    call.operation = "-";
    if (match.miss == Router::Miss::kMethodNotAllowed) {
      return finish(call, errors::make(405, "MethodNotAllowedException",
                                       "method " + req.method + " is not allowed on " + std::string(path)),
                    start);
    }
    return finish(call, errors::make(404, "UnknownOperationException",
                                     "no operation matches " + req.method + " " + std::string(path)),
                  start);
  }
  const Route& route = *match.route;
  call.operation = route.operation;
  call.labels = std::move(match.labels);
  auto query = decode_query(raw_query);
  if (!query) return finish(call, errors::invalid_request(query.error().detail), start);
  call.query = std::move(*query);

  // SigV4 on every request.
  std::vector<sigv4::Header> headers;
  headers.reserve(req.headers.size());
  for (const auto& [k, v] : req.headers) headers.push_back({k, v});
  sigv4::Request sreq{req.method, req.target, headers, req.body};
  sigv4::VerifyOptions vo;
  vo.region = auth_.region;
  vo.services = route.services;
  vo.max_skew = auth_.max_skew;
  std::optional<KeyMaterial> material;
  auto lookup = [&](std::string_view id) -> std::optional<sigv4::Credential> {
    material = keys_.lookup(id);
    if (!material) return std::nullopt;
    return sigv4::Credential{material->secret_access_key, material->session_token, material->active};
  };
  const auto now = clock_.wall();
  auto v = sigv4::verify(sreq, lookup, vo, now);
  if (!v) {
    const auto& f = v.failure();
    if (!f.log_detail.empty()) core::log::debug("sigv4 {} from {}: {}", f.code, source, f.log_detail);
    return finish(call, errors::make(403, f.code, f.message), start);
  }
  call.access_key_id = v.identity().access_key_id;
  if (material && material->expires_at_ms != 0 &&
      std::chrono::system_clock::time_point(std::chrono::milliseconds(material->expires_at_ms)) <= now) {
    return finish(call, errors::make(403, sigv4::kExpiredToken, "The security token included in the request is expired"),
                  start);
  }
  if (on_auth_) on_auth_(call.access_key_id);

  Reply reply;
  try {
    reply = route.handler(call);
  } catch (const std::exception& e) {
    core::log::error("{} {} failed: {}", call.operation, call.request_id, e.what());
    reply = errors::internal_failure("internal error; request id " + call.request_id);
  }
  return finish(call, std::move(reply), start);
}

HttpResponse Dispatcher::finish(Call& call, Reply reply, std::chrono::steady_clock::time_point start) {
  HttpResponse out;
  out.status = reply.status;
  out.headers.emplace_back("x-amzn-RequestId", call.request_id);
  out.headers.emplace_back("Content-Type", "application/json");
  if (!reply.error_type.empty()) out.headers.emplace_back("x-amzn-ErrorType", reply.error_type);
  for (auto& h : reply.headers) out.headers.push_back(std::move(h));
  out.body = boost::json::serialize(reply.body);

  if (audit_) {
    boost::json::object ev{
        {"time_ms", clock_.unix_ms()},
        {"request_id", call.request_id},
        {"source", call.source},
        {"access_key_id", call.access_key_id},
        {"operation", call.operation},
        {"method", call.method},
        {"resource", call.resource},
        {"status", reply.status},
        {"outcome", reply.ok() ? "success" : "failure"},
        {"latency_us",
         std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - start).count()},
    };
    if (!reply.error_type.empty()) ev["error"] = reply.error_type;
    audit_(ev);
  }
  return out;
}

}  // namespace tenet::control
