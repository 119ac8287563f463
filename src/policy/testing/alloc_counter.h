#pragma once

// Test-only: counts global operator new calls on this thread (alloc_counter.cc replaces operator
// new in policy_test), so that "evaluate() does not allocate" is checked, not assumed.

#include <cstddef>

namespace tenet::policy::testing {

std::size_t allocations_for_test();

}  // namespace tenet::policy::testing
