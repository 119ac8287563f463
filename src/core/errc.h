#pragma once

#include <string_view>

namespace tenet::core {

// The one error vocabulary of tenet. Each boundary (MQTT reason codes, HTTP status, exit codes)
// translates it exactly once. Add values rarely; switches over Errc have no default.
enum class Errc {
  kInvalidArgument,
  kMalformed,
  kProtocolViolation,
  kUnauthenticated,
  kPermissionDenied,
  kNotFound,
  kAlreadyExists,
  kConflict,
  kResourceExhausted,
  kUnavailable,
  kTimeout,
  kCancelled,
  kInternal,
};

std::string_view to_string(Errc code);

}  // namespace tenet::core
