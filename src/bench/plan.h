#pragma once

// Who publishes where and who subscribes to what, for a validated Options. Pure.

#include <cstdint>
#include <string>
#include <vector>

#include "bench/options.h"

namespace tenet::bench {

struct Plan {
  std::vector<std::string> publisher_topics;    // one per publisher
  std::vector<std::string> subscriber_filters;  // one per subscriber
  // How many subscribers receive each published message (the same for every publisher).
  std::uint64_t receivers_per_message = 0;
};

// REQUIRES: validate(o) succeeded.
Plan make_plan(const Options& o);

}  // namespace tenet::bench
