#pragma once

// Pagination as the AWS IoT model has it: `nextToken`/`maxResults` (1..250) on newer operations and
// `marker`/`pageSize` -> `nextMarker` on older ones. Tokens are opaque to clients: tenet encodes the
// sort key of the last item returned (base64url), so a page is stable while items are added or
// removed, and a token from another listing is rejected as InvalidRequestException.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "control/call.h"
#include "core/result.h"

namespace tenet::control {

struct Page {
  std::size_t limit = 250;       // items to return
  std::string after;             // return items whose key sorts strictly after this ("" = from start)
};

// Reads `nextToken`/`maxResults` (token_name/size_name let callers use marker/pageSize instead).
// `listing` names the listing so a token cannot be replayed against another one.
// Errors: kInvalidArgument (size out of 1..max_size, malformed token).
core::Result<Page> read_page(const Call& call, std::string_view listing, std::string_view token_name = "nextToken",
                             std::string_view size_name = "maxResults", std::size_t max_size = 250);

// The token that continues after `last_key`.
std::string page_token(std::string_view listing, std::string_view last_key);

}  // namespace tenet::control
