#include <cstdio>

#include "cli/commands.h"

namespace tenet::cli {
namespace {
int g_exit = 0;
}

int last_exit_code() { return g_exit; }
void set_exit_code(int code) { g_exit = code; }

// The one translation from Errc to process exit codes (commands.h lists them).
void set_exit_code(const core::Error& e) {
  std::fprintf(stderr, "tenet: %s\n", e.to_string().c_str());
  switch (e.code) {
    case core::Errc::kInvalidArgument:
    case core::Errc::kMalformed:
      g_exit = kExitUsage;
      return;
    case core::Errc::kNotFound:
      g_exit = kExitNotFound;
      return;
    case core::Errc::kAlreadyExists:
    case core::Errc::kConflict:
      g_exit = kExitConflict;
      return;
    case core::Errc::kUnauthenticated:
    case core::Errc::kPermissionDenied:
      g_exit = kExitAuth;
      return;
    case core::Errc::kProtocolViolation:
    case core::Errc::kResourceExhausted:
    case core::Errc::kUnavailable:
    case core::Errc::kTimeout:
    case core::Errc::kCancelled:
    case core::Errc::kInternal:
      g_exit = 1;
      return;
  }
  g_exit = 1;
}

}  // namespace tenet::cli
