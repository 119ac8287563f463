// Fuzzes the fleet-index query parser and evaluator: any bytes must either parse or fail with
// kInvalidArgument, and a parsed query must evaluate against a fixed document without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json/parse.hpp>

#include "fleet_index/json.h"
#include "fleet_index/query.h"

namespace {

const tenet::fleet_index::Document& sample() {
  static const tenet::fleet_index::Document doc = [] {
    using tenet::fleet_index::Value;
    tenet::fleet_index::Document d;
    d.add("thingName", Value::string_value("Sensor-042"));
    d.add("thingTypeName", Value::string_value("thermostat"));
    d.add("thingGroupNames", Value::string_value("lab"));
    d.add("thingGroupNames", Value::string_value("Floor 3"));
    d.add("attributes.version", Value::string_value("12"));
    d.add("attributes.serial", Value::string_value("abc-\xc3\xa9-9"));
    d.add("connectivity.connected", Value::bool_value(true));
    d.add("connectivity.timestamp", Value::number_value(1557651600000));
    tenet::fleet_index::add_json(
        d, "shadow.reported",
        boost::json::parse(R"({"battery":17.5,"wifi":{"rssi":-70,"ssid":"Lab Net"},"tags":["a","B",3],"x":null})"));
    return d;
  }();
  return doc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const std::size_t leading : {0, 1}) {
    tenet::fleet_index::ParseLimits limits;
    limits.max_leading_wildcard_terms = leading;
    auto q = tenet::fleet_index::parse(text, limits);
    if (!q) {
      if (q.error().code != tenet::core::Errc::kInvalidArgument || q.error().detail.empty()) std::abort();
      continue;
    }
    if (q->term_count() == 0 || q->term_count() > limits.max_terms) std::abort();
    (void)tenet::fleet_index::matches(*q, sample());
    (void)tenet::fleet_index::matches(*q, tenet::fleet_index::Document{});
    (void)tenet::fleet_index::reads_field(*q, "thingName");
  }
  return 0;
}
