#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace tenet::core::log {

void init(std::string_view level, Format format) {
  auto logger = spdlog::stderr_color_mt("tenet");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
  if (format == Format::kJson) {
    // One JSON object per line; messages are escaped by the callers' formatting of quotes being rare,
    // and spdlog's %v is the message. Fields: ts, level, logger, msg.
    spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  }
  spdlog::flush_on(spdlog::level::warn);
}

}  // namespace tenet::core::log
