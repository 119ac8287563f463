#include "core/result.h"

namespace tenet::core {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument: return "invalid argument";
    case Errc::kMalformed: return "malformed";
    case Errc::kProtocolViolation: return "protocol violation";
    case Errc::kUnauthenticated: return "unauthenticated";
    case Errc::kPermissionDenied: return "permission denied";
    case Errc::kNotFound: return "not found";
    case Errc::kAlreadyExists: return "already exists";
    case Errc::kConflict: return "conflict";
    case Errc::kResourceExhausted: return "resource exhausted";
    case Errc::kUnavailable: return "unavailable";
    case Errc::kTimeout: return "timeout";
    case Errc::kCancelled: return "cancelled";
    case Errc::kInternal: return "internal";
  }
  return "unknown";
}

Error Error::with_context(std::string_view context) && {
  Error e = std::move(*this);
  e.detail = std::string(context) + (e.detail.empty() ? "" : ": " + e.detail);
  return e;
}

std::string Error::to_string() const {
  std::string s(core::to_string(code));
  if (!detail.empty()) {
    s += ": ";
    s += detail;
  }
  if (cause) {
    s += " (" + cause.message() + ")";
  }
  return s;
}

std::ostream& operator<<(std::ostream& os, const Error& e) { return os << e.to_string(); }

}  // namespace tenet::core
