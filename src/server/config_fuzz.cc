// libFuzzer target: the TOML config parser must reject any input with an error, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto r = tenet::server::parse_config(std::string_view(reinterpret_cast<const char*>(data), size));
  (void)r;
  return 0;
}
