#include "fleet_index/document.h"

#include <string>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "fleet_index/json.h"

namespace tenet::fleet_index {
namespace {

std::vector<std::string> texts(std::span<const Value> vs) {
  std::vector<std::string> out;
  for (const Value& v : vs) out.push_back(v.text);
  return out;
}

TEST(Document, AbsentFieldLooksUpEmpty) {
  Document d;
  d.add("thingName", Value::string_value("a"));
  EXPECT_TRUE(d.lookup("thingname").empty()) << "field names are case-sensitive";
  EXPECT_TRUE(d.lookup("missing").empty());
  EXPECT_EQ(d.lookup("thingName").size(), 1u);
}

TEST(Document, FieldKeepsEveryValueInOrder) {
  Document d;
  d.add("thingGroupNames", Value::string_value("b"));
  d.add("thingGroupNames", Value::string_value("a"));
  EXPECT_EQ(texts(d.lookup("thingGroupNames")), (std::vector<std::string>{"b", "a"}));
}

TEST(Document, NumbersAndBoolsGetCanonicalText) {
  Document d;
  Value raw;
  raw.kind = Value::Kind::kNumber;
  raw.number = 75;
  raw.text = "ignored";
  d.add("n", raw);
  d.add("f", Value::number_value(2.5));
  d.add("b", Value::bool_value(false));
  EXPECT_EQ(d.lookup("n")[0].text, "75");
  EXPECT_EQ(d.lookup("f")[0].text, "2.5");
  EXPECT_EQ(d.lookup("b")[0].text, "false");
}

TEST(Document, ForEachVisitsEveryValue) {
  Document d;
  d.add("b", Value::string_value("2"));
  d.add("a", Value::string_value("1"));
  d.add("a", Value::string_value("3"));
  std::vector<std::string> seen;
  d.for_each([&](std::string_view f, const Value& v) { seen.push_back(std::string(f) + "=" + v.text); });
  EXPECT_EQ(seen, (std::vector<std::string>{"a=1", "a=3", "b=2"}));
  EXPECT_EQ(d.field_count(), 2u);
}

TEST(AddJson, FlattensObjectsArraysAndTypes) {
  Document d;
  add_json(d, "shadow.reported",
           boost::json::parse(R"({"a":{"b":{"c":"deep"}},"n":3,"big":18446744073709551615,"f":-0.5,
                                  "on":true,"list":["x",2,{"k":"v"}],"gone":null})"));
  ASSERT_EQ(d.lookup("shadow.reported.a.b.c").size(), 1u);
  EXPECT_EQ(d.lookup("shadow.reported.a.b.c")[0], Value::string_value("deep"));
  EXPECT_EQ(d.lookup("shadow.reported.n")[0], Value::number_value(3));
  EXPECT_EQ(d.lookup("shadow.reported.big")[0].kind, Value::Kind::kNumber);
  EXPECT_EQ(d.lookup("shadow.reported.f")[0], Value::number_value(-0.5));
  EXPECT_EQ(d.lookup("shadow.reported.on")[0], Value::bool_value(true));
  EXPECT_EQ(texts(d.lookup("shadow.reported.list")), (std::vector<std::string>{"x", "2"}));
  EXPECT_EQ(d.lookup("shadow.reported.list.k")[0].text, "v");
  EXPECT_TRUE(d.lookup("shadow.reported.gone").empty()) << "null means deleted";
}

TEST(AddJson, EmptyPrefixUsesMemberNames) {
  Document d;
  add_json(d, "", boost::json::parse(R"({"thingName":"t1","attributes":{"model":"x"}})"));
  EXPECT_EQ(d.lookup("thingName")[0].text, "t1");
  EXPECT_EQ(d.lookup("attributes.model")[0].text, "x");
}

TEST(AddJson, StopsBelowMaxDepth) {
  std::string deep;
  for (std::size_t i = 0; i < kMaxJsonDepth + 5; ++i) deep += R"({"a":)";
  deep += "1";
  for (std::size_t i = 0; i < kMaxJsonDepth + 5; ++i) deep += "}";
  boost::json::parse_options opts;
  opts.max_depth = 1000;
  Document d;
  add_json(d, "p", boost::json::parse(deep, {}, opts));
  EXPECT_TRUE(d.empty());
  Document shallow;
  add_json(shallow, "p", boost::json::parse(R"({"a":{"a":1}})"));
  EXPECT_EQ(shallow.lookup("p.a.a").size(), 1u);
}

}  // namespace
}  // namespace tenet::fleet_index
