#pragma once

#include <cstddef>
#include <string_view>

#include <boost/json/value.hpp>

#include "fleet_index/document.h"

namespace tenet::fleet_index {

// Objects nested deeper than this below the prefix are not indexed (shadow documents allow 6 levels).
inline constexpr std::size_t kMaxJsonDepth = 32;

// Flattens `json` into `doc` under `prefix`: object members become dotted paths
// ("shadow.reported" + {"a":{"b":1}} -> "shadow.reported.a.b"), arrays become several values of
// the same path, strings -> kString, numbers -> kNumber, booleans -> kBool. null is skipped (a
// shadow null means "deleted"). An empty prefix puts top-level members at their own names.
void add_json(Document& doc, std::string_view prefix, const boost::json::value& json);

}  // namespace tenet::fleet_index
