#pragma once

// Runs one benchmark against a broker on loopback and reports what it measured. Blocking: starts
// `options.threads` event loops, connects every client (bounded concurrency and per-connection
// timeout), publishes for `duration`, drains for at most `drain`, disconnects and returns. Every phase
// has a deadline, so run() always ends. Not reentrant with respect to its own clients; separate calls
// are independent.

#include <functional>
#include <string_view>

#include "bench/options.h"
#include "bench/report.h"
#include "core/result.h"

namespace tenet::bench {

// Progress lines ("connecting 100 subscribers") go to `progress` when set.
// Errors: kInvalidArgument (options; see validate), kInternal (TLS setup),
// kUnavailable (not a single client could connect; the report's first errors are in the detail).
core::Result<Report> run(Options options, const std::function<void(std::string_view)>& progress = {});

}  // namespace tenet::bench
