#pragma once

// The composition root: config -> data dir -> store -> authorizer -> broker -> run until a signal.

#include "core/result.h"
#include "server/config.h"

namespace tenet::server {

// Runs the hub until SIGINT/SIGTERM, then shuts down cleanly. Errors are startup failures
// (kInvalidArgument, kUnavailable, kInternal, kConflict).
core::Result<void> run(const Config& config);

}  // namespace tenet::server
