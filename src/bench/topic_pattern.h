#pragma once

// Benchmark topic patterns: "bench/{i}/data" names one topic per publisher (or subscriber) index.
// Pure functions, thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tenet::bench {

inline constexpr std::string_view kIndexPlaceholder = "{i}";

// A valid pattern expands to valid MQTT topic names: no '+' or '#', no empty result.
// Errors: kInvalidArgument.
core::Result<void> validate_pattern(std::string_view pattern);

bool has_placeholder(std::string_view pattern);

// Replaces every "{i}" with the decimal `index`.
std::string expand(std::string_view pattern, std::size_t index);

// The filter that matches the expansion of `pattern` for every index: each topic level holding
// "{i}" becomes '+' ("bench/dev{i}/t" -> "bench/+/t"). Without a placeholder, the pattern itself.
std::string wildcard_filter(std::string_view pattern);

}  // namespace tenet::bench
