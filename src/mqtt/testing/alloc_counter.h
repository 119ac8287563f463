#pragma once

// Test-only: counts global operator new calls on this thread (alloc_counter.cc replaces operator
// new in the test binary), so that "does not allocate" promises are checked, not assumed.

#include <cstddef>

namespace tenet::mqtt::testing {

std::size_t allocations_for_test();

}  // namespace tenet::mqtt::testing
