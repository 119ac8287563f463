#include "control/arn.h"

namespace tenet::control {

std::string Partition::arn(std::string_view type, std::string_view name) const {
  std::string out = "arn:aws:iot:";
  out += region;
  out += ':';
  out += account_id;
  out += ':';
  out += type;
  out += '/';
  out += name;
  return out;
}

std::pair<std::string_view, std::string_view> Arn::type_and_name() const {
  std::string_view r = resource;
  auto slash = r.find('/');
  if (slash == std::string_view::npos) return {std::string_view{}, r};
  return {r.substr(0, slash), r.substr(slash + 1)};
}

std::optional<Arn> parse_arn(std::string_view text) {
  Arn a;
  std::string* parts[] = {nullptr, &a.partition, &a.service, &a.region, &a.account_id};
  for (int i = 0; i < 5; ++i) {
    auto colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    if (i == 0) {
      if (text.substr(0, colon) != "arn") return std::nullopt;
    } else {
      *parts[i] = std::string(text.substr(0, colon));
    }
    text.remove_prefix(colon + 1);
  }
  if (a.partition.empty() || a.service.empty() || text.empty()) return std::nullopt;
  a.resource = std::string(text);
  return a;
}

}  // namespace tenet::control
