#include "mqtt/topic.h"

namespace tenet::mqtt {
namespace {

constexpr std::string_view kSharePrefix = "$share/";

std::size_t count_levels(std::string_view s) {
  std::size_t n = 1;
  for (char c : s) n += c == '/' ? 1 : 0;
  return n;
}

// Rules common to names and filters: non-empty [MQTT-4.7.3-1], within the length limit
// [MQTT-4.7.3-3] (65535 is the protocol's own), no U+0000 [MQTT-4.7.3-2].
core::Result<void> check_common(std::string_view s, const TopicLimits& limits) {
  if (s.empty()) return core::fail(core::Errc::kInvalidArgument, "empty topic [MQTT-4.7.3-1]");
  if (s.size() > limits.max_length || s.size() > 65'535) {
    return core::fail(core::Errc::kInvalidArgument, "topic too long");
  }
  if (s.find('\0') != std::string_view::npos) {
    return core::fail(core::Errc::kInvalidArgument, "topic contains U+0000 [MQTT-4.7.3-2]");
  }
  return {};
}

// Wildcard placement and the level limit of a (non-shared) filter.
core::Result<void> check_filter_body(std::string_view f, const TopicLimits& limits) {
  if (f.empty()) return core::fail(core::Errc::kInvalidArgument, "empty topic filter [MQTT-4.7.3-1]");
  for (std::size_t i = 0; i < f.size(); ++i) {
    const bool starts_level = i == 0 || f[i - 1] == '/';
    const bool ends_level = i + 1 == f.size() || f[i + 1] == '/';
    if (f[i] == '+' && !(starts_level && ends_level)) {
      return core::fail(core::Errc::kInvalidArgument, "'+' must occupy a whole level [MQTT-4.7.1-2]");
    }
    if (f[i] == '#' && !(starts_level && i + 1 == f.size())) {
      return core::fail(core::Errc::kInvalidArgument, "'#' must be alone in the last level [MQTT-4.7.1-1]");
    }
  }
  if (limits.max_levels != 0 && count_levels(f) > limits.max_levels) {
    return core::fail(core::Errc::kInvalidArgument, "too many topic levels");
  }
  return {};
}

}  // namespace

core::Result<void> validate_topic_name(std::string_view topic, const TopicLimits& limits) {
  if (auto ok = check_common(topic, limits); !ok) return ok;
  if (has_wildcard(topic)) {
    return core::fail(core::Errc::kInvalidArgument, "wildcard in a topic name [MQTT-3.3.2-2]");
  }
  if (limits.max_levels != 0 && count_levels(topic) > limits.max_levels) {
    return core::fail(core::Errc::kInvalidArgument, "too many topic levels");
  }
  return {};
}

core::Result<void> validate_topic_filter(std::string_view filter, const TopicLimits& limits) {
  if (auto ok = check_common(filter, limits); !ok) return ok;
  const std::optional<SharedFilter> shared = parse_shared(filter);
  if (!shared) return check_filter_body(filter, limits);
  // "$share/" ShareName "/" filter; the ShareName is at least one character and holds no '/',
  // '+' or '#' [MQTT-4.8.2-1, MQTT-4.8.2-2].
  if (shared->group.empty()) {
    return core::fail(core::Errc::kInvalidArgument, "shared subscription without a share name [MQTT-4.8.2-1]");
  }
  if (shared->group.find_first_of("+#") != std::string_view::npos) {
    return core::fail(core::Errc::kInvalidArgument, "wildcard in a share name [MQTT-4.8.2-2]");
  }
  if (shared->filter.empty()) {
    return core::fail(core::Errc::kInvalidArgument, "shared subscription without a topic filter");
  }
  return check_filter_body(shared->filter, limits);
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (filter.empty() || topic.empty()) return false;
  // [MQTT-4.7.2-1]: a filter starting with a wildcard does not match a topic starting with '$'.
  if (topic.front() == '$' && (filter.front() == '+' || filter.front() == '#')) return false;
  std::size_t fp = 0;
  std::size_t tp = 0;
  bool topic_done = false;  // every topic level has been matched
  for (;;) {
    std::size_t fe = filter.find('/', fp);
    if (fe == std::string_view::npos) fe = filter.size();
    const std::string_view fl = filter.substr(fp, fe - fp);
    // '#' matches the remaining levels, none included: "sport/#" matches "sport" (spec 4.7.1.2).
    if (fl == "#") return true;
    if (topic_done) return false;
    std::size_t te = topic.find('/', tp);
    if (te == std::string_view::npos) te = topic.size();
    const std::string_view tl = topic.substr(tp, te - tp);
    if (fl != "+" && fl != tl) return false;  // '+' matches one level, even an empty one
    const bool filter_last = fe == filter.size();
    const bool topic_last = te == topic.size();
    if (filter_last) return topic_last;
    fp = fe + 1;
    if (topic_last) {
      topic_done = true;
    } else {
      tp = te + 1;
    }
  }
}

std::optional<SharedFilter> parse_shared(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) return std::nullopt;
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return SharedFilter{rest, {}};
  return SharedFilter{rest.substr(0, slash), rest.substr(slash + 1)};
}

bool has_wildcard(std::string_view filter) { return filter.find_first_of("+#") != std::string_view::npos; }

}  // namespace tenet::mqtt
