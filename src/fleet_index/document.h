#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tenet::fleet_index {

namespace detail {
struct DocumentAccess;
}  // namespace detail

// One indexed value. Registry attributes arrive as strings; shadow and connectivity values keep
// their JSON type. Build values with the factories so that `text` is filled for every kind.
struct Value {
  enum class Kind { kString, kNumber, kBool };

  Kind kind = Kind::kString;
  std::string text;     // kString: the value; kNumber: canonical form ("75", "2.5"); kBool: "true"/"false"
  double number = 0;    // meaningful for kNumber
  bool boolean = false; // meaningful for kBool

  static Value string_value(std::string s);
  static Value number_value(double n);
  static Value bool_value(bool b);

  friend bool operator==(const Value&, const Value&) = default;
};

// A thing as the index sees it: flat, case-sensitive field paths ("thingName", "attributes.model",
// "shadow.reported.battery") each holding one or more values (thingGroupNames is multi-valued).
// A plain value type: build it on one thread, then share it read-only (evaluation never mutates it).
class Document {
 public:
  // Appends `v` to `field` (a field may hold several values). For kNumber and kBool, `v.text` is
  // replaced by the canonical text of the value, so callers may leave it empty.
  void add(std::string field, Value v);

  // Values of `field`, in insertion order; empty when the field is absent. Invalidated by add().
  std::span<const Value> lookup(std::string_view field) const;

  // Calls fn(field, value) for every value, fields in byte order.
  void for_each(const std::function<void(std::string_view field, const Value& v)>& fn) const;

  std::size_t field_count() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }

 private:
  friend struct detail::DocumentAccess;

  // What the evaluator needs per value, computed once at add() time.
  struct Derived {
    std::string folded;            // ASCII-lowercased text
    std::optional<double> numeric; // kNumber, or a kString that is a decimal number
  };
  struct Slot {
    std::vector<Value> values;
    std::vector<Derived> derived;  // parallel to values
  };
  std::map<std::string, Slot, std::less<>> fields_;
};

}  // namespace tenet::fleet_index
