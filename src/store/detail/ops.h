#pragma once

// Rules shared by every BrokerStore implementation, so that they accept and reject the same
// batches and treat expiry alike. Private to store/.

#include <cstdint>
#include <span>

#include "core/result.h"
#include "store/broker_store.h"

namespace tenet::store::detail {

// Checks the values the schema constrains: QoS 0..2, queue state 0..1, ids below 2^63 (they are
// stored as signed 64-bit integers). Errors: kInvalidArgument (naming the op).
core::Result<void> validate(std::span<const Op> ops);

// Unset (0) means never. A message expiring exactly at `now_ms` is still alive.
inline bool is_expired(std::int64_t expires_at_ms, std::int64_t now_ms) {
  return expires_at_ms != 0 && expires_at_ms < now_ms;
}

}  // namespace tenet::store::detail
