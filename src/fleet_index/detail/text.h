#pragma once

// Text helpers shared by the document and the query evaluator. Private to fleet_index.

#include <optional>
#include <string>
#include <string_view>

namespace tenet::fleet_index::detail {

// ASCII-lowercases `s`; other bytes (UTF-8 included) are kept as they are.
std::string fold(std::string_view s);

// A plain decimal number: -?(digits[.digits]|.digits)([eE][+-]?digits)?, finite. No "+", "inf",
// "nan", hex or surrounding space, so "1.2.3", "0x10" and "12abc" stay strings.
std::optional<double> parse_number(std::string_view s);

// Shortest text that round-trips: 75 -> "75", 2.5 -> "2.5", 1e300 -> "1e+300".
std::string format_number(double n);

}  // namespace tenet::fleet_index::detail
