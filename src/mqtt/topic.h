#pragma once

// Topic names and filters: validation, matching with the '$' rule, shared-subscription syntax.
// Pure functions, thread-safe, allocation-free.

#include <cstddef>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace tenet::mqtt {

struct TopicLimits {
  std::size_t max_length = 256;  // bytes (AWS IoT: 256)
  std::size_t max_levels = 0;    // 0 = unlimited
};

// A topic name for PUBLISH: non-empty, no '+' or '#', within limits [MQTT-4.7.3-1, MQTT-3.3.2-2].
// Errors: kInvalidArgument (with a detail saying which rule).
core::Result<void> validate_topic_name(std::string_view topic, const TopicLimits& limits = {});

// A topic filter for SUBSCRIBE/UNSUBSCRIBE: '#' only last and alone in its level, '+' alone in its
// level [MQTT-4.7.1-2, -3]. A "$share/<group>/<filter>" filter is validated as shared.
// Errors: kInvalidArgument.
core::Result<void> validate_topic_filter(std::string_view filter, const TopicLimits& limits = {});

// True if `topic` matches `filter`. A filter starting with a wildcard does not match topics that
// start with '$' [MQTT-4.7.2-1]. "a/#" matches "a" too (MQTT spec; see docs/decisions).
// The filter is taken literally: for a shared subscription pass parse_shared(f)->filter.
bool topic_matches(std::string_view filter, std::string_view topic);

struct SharedFilter {
  std::string_view group;
  std::string_view filter;
};

// "$share/g/a/b" -> {g, a/b}; nullopt for a non-shared filter. Does not validate.
std::optional<SharedFilter> parse_shared(std::string_view filter);

bool has_wildcard(std::string_view filter);

}  // namespace tenet::mqtt
