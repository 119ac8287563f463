#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace tenet::core::log {

enum class Format { kText, kJson };

// Configures the process-wide logger once, at startup (composition root only).
// level: trace, debug, info, warn, error, critical, off.
void init(std::string_view level, Format format);
// The same, writing to `sink` (tests).
void init_with_sink(std::string_view level, Format format, spdlog::sink_ptr sink);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::trace;
using spdlog::warn;

}  // namespace tenet::core::log
