#include "bench/topic_pattern.h"

#include "mqtt/topic.h"

namespace tenet::bench {

bool has_placeholder(std::string_view pattern) { return pattern.find(kIndexPlaceholder) != std::string_view::npos; }

std::string expand(std::string_view pattern, std::size_t index) {
  const std::string number = std::to_string(index);
  std::string out;
  out.reserve(pattern.size() + 8);
  std::size_t pos = 0;
  while (true) {
    const std::size_t at = pattern.find(kIndexPlaceholder, pos);
    if (at == std::string_view::npos) break;
    out.append(pattern.substr(pos, at - pos));
    out.append(number);
    pos = at + kIndexPlaceholder.size();
  }
  out.append(pattern.substr(pos));
  return out;
}

std::string wildcard_filter(std::string_view pattern) {
  std::string out;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = pattern.find('/', start);
    const std::string_view level =
        pattern.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    out.append(has_placeholder(level) ? std::string_view("+") : level);
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    start = slash + 1;
  }
  return out;
}

core::Result<void> validate_pattern(std::string_view pattern) {
  if (pattern.empty()) return core::fail(core::Errc::kInvalidArgument, "topic pattern is empty");
  // The longest index we use has 6 digits; check the widest expansion against the topic rules.
  if (auto ok = mqtt::validate_topic_name(expand(pattern, 999999)); !ok) {
    return core::fail(core::Errc::kInvalidArgument,
                      "topic pattern \"" + std::string(pattern) + "\" does not expand to a valid topic: " +
                          ok.error().detail);
  }
  if (auto ok = mqtt::validate_topic_filter(wildcard_filter(pattern)); !ok) {
    return core::fail(core::Errc::kInvalidArgument, "topic pattern gives an invalid filter: " + ok.error().detail);
  }
  return {};
}

}  // namespace tenet::bench
