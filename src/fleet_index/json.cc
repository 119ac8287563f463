#include "fleet_index/json.h"

#include <string>

#include <boost/json.hpp>

namespace tenet::fleet_index {
namespace {

void add_at(Document& doc, const std::string& path, const boost::json::value& json, std::size_t depth) {
  switch (json.kind()) {
    case boost::json::kind::null:
      return;
    case boost::json::kind::bool_:
      doc.add(path, Value::bool_value(json.get_bool()));
      return;
    case boost::json::kind::int64:
      doc.add(path, Value::number_value(static_cast<double>(json.get_int64())));
      return;
    case boost::json::kind::uint64:
      doc.add(path, Value::number_value(static_cast<double>(json.get_uint64())));
      return;
    case boost::json::kind::double_:
      doc.add(path, Value::number_value(json.get_double()));
      return;
    case boost::json::kind::string:
      doc.add(path, Value::string_value(std::string(json.get_string())));
      return;
    case boost::json::kind::array:
      if (depth >= kMaxJsonDepth) return;
      for (const auto& element : json.get_array()) add_at(doc, path, element, depth + 1);
      return;
    case boost::json::kind::object:
      if (depth >= kMaxJsonDepth) return;
      for (const auto& member : json.get_object()) {
        std::string child = path;
        if (!child.empty()) child += '.';
        child.append(member.key().data(), member.key().size());
        add_at(doc, child, member.value(), depth + 1);
      }
      return;
  }
}

}  // namespace

void add_json(Document& doc, std::string_view prefix, const boost::json::value& json) {
  add_at(doc, std::string(prefix), json, 0);
}

}  // namespace tenet::fleet_index
