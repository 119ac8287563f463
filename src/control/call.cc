#include "control/call.h"

#include <boost/json/parse.hpp>

namespace tenet::control {
namespace {

std::optional<std::string_view> find(const Fields& fields, std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

}  // namespace

std::string_view Call::label(std::string_view name) const { return find(labels, name).value_or(""); }
std::optional<std::string_view> Call::query_param(std::string_view name) const { return find(query, name); }
std::optional<std::string_view> Call::header(std::string_view name) const { return find(headers, name); }

core::Result<boost::json::object> Call::json() const {
  if (body.empty()) return boost::json::object();
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) return core::fail(core::Errc::kInvalidArgument, "request body is not valid JSON: " + ec.message());
  if (!v.is_object()) return core::fail(core::Errc::kInvalidArgument, "request body must be a JSON object");
  return std::move(v.as_object());
}

}  // namespace tenet::control
