#include "fleet_index/document.h"

#include <cmath>
#include <utility>

#include "fleet_index/detail/text.h"

namespace tenet::fleet_index {

Value Value::string_value(std::string s) {
  Value v;
  v.kind = Kind::kString;
  v.text = std::move(s);
  return v;
}

Value Value::number_value(double n) {
  Value v;
  v.kind = Kind::kNumber;
  v.number = n;
  v.text = detail::format_number(n);
  return v;
}

Value Value::bool_value(bool b) {
  Value v;
  v.kind = Kind::kBool;
  v.boolean = b;
  v.text = b ? "true" : "false";
  return v;
}

void Document::add(std::string field, Value v) {
  Derived d;
  switch (v.kind) {
    case Value::Kind::kString:
      d.numeric = detail::parse_number(v.text);
      break;
    case Value::Kind::kNumber:
      v.text = std::isfinite(v.number) ? detail::format_number(v.number) : std::string("nan");
      if (std::isfinite(v.number)) d.numeric = v.number;
      break;
    case Value::Kind::kBool:
      v.text = v.boolean ? "true" : "false";
      break;
  }
  d.folded = detail::fold(v.text);
  Slot& slot = fields_[std::move(field)];
  slot.values.push_back(std::move(v));
  slot.derived.push_back(std::move(d));
}

std::span<const Value> Document::lookup(std::string_view field) const {
  const auto it = fields_.find(field);
  if (it == fields_.end()) return {};
  return it->second.values;
}

void Document::for_each(const std::function<void(std::string_view, const Value&)>& fn) const {
  for (const auto& [name, slot] : fields_) {
    for (const Value& v : slot.values) fn(name, v);
  }
}

}  // namespace tenet::fleet_index
