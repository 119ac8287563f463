#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace tenet::core {

using Bytes = std::span<const std::byte>;

inline std::string_view as_chars(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace tenet::core
