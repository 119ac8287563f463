#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "fleet_index/json.h"
#include "fleet_index/query.h"

namespace tenet::fleet_index {
namespace {

using Names = std::vector<std::string>;

Document sensor() {
  Document d;
  d.add("thingName", Value::string_value("Sensor-042"));
  d.add("thingTypeName", Value::string_value("Thermostat"));
  d.add("thingGroupNames", Value::string_value("lab"));
  d.add("thingGroupNames", Value::string_value("Floor 3"));
  d.add("attributes.version", Value::string_value("12"));
  d.add("attributes.model", Value::string_value("TX-100"));
  d.add("attributes.serial", Value::string_value("abcd"));
  d.add("attributes.path", Value::string_value("a*b"));
  d.add("connectivity.connected", Value::bool_value(true));
  d.add("connectivity.timestamp", Value::number_value(1557651600000));
  add_json(d, "shadow.reported",
           boost::json::parse(R"({"battery":17,"temp":21.5,"wifi":{"ssid":"Lab Net","rssi":-70},"mode":"Eco"})"));
  return d;
}

Document pump() {
  Document d;
  d.add("thingName", Value::string_value("pump-7"));
  d.add("thingTypeName", Value::string_value("Pump"));
  d.add("thingGroupNames", Value::string_value("field"));
  d.add("attributes.version", Value::string_value("2"));
  d.add("attributes.model", Value::string_value("legacy"));
  d.add("attributes.serial", Value::string_value("abcf"));
  d.add("connectivity.connected", Value::bool_value(false));
  add_json(d, "shadow.reported", boost::json::parse(R"({"battery":85,"mode":"boost","temp":"n/a"})"));
  return d;
}

Document bare() {
  Document d;
  d.add("thingName", Value::string_value("bare"));
  return d;
}

// The names of the sample things that `q` matches, in the order sensor, pump, bare.
Names hits(std::string_view q) {
  auto parsed = parse(q);
  if (!parsed) {
    ADD_FAILURE() << q << ": " << parsed.error();
    return {"<parse error>"};
  }
  Names out;
  for (const Document& d : {sensor(), pump(), bare()}) {
    if (matches(*parsed, d)) out.push_back(d.lookup("thingName")[0].text);
  }
  return out;
}

const Names kAll{"Sensor-042", "pump-7", "bare"};
const Names kSensor{"Sensor-042"};
const Names kPump{"pump-7"};
const Names kNone{};

TEST(Match, ExactValue) {
  EXPECT_EQ(hits("thingName:pump-7"), kPump);
  EXPECT_EQ(hits("thingName:pump"), kNone) << "no tokenising: the whole value must match";
  EXPECT_EQ(hits("attributes.model:TX-100"), kSensor);
}

TEST(Match, ValuesAreCaseInsensitive) {
  EXPECT_EQ(hits("thingName:SENSOR-042"), kSensor);
  EXPECT_EQ(hits("thingTypeName:thermostat"), kSensor);
  EXPECT_EQ(hits("shadow.reported.mode:ECO"), kSensor);
}

TEST(Match, FieldNamesAreCaseSensitive) {
  EXPECT_EQ(hits("thingname:pump-7"), kNone);
  EXPECT_EQ(hits("Attributes.model:legacy"), kNone);
  EXPECT_EQ(hits("attributes.model:legacy"), kPump);
}

TEST(Match, TrailingStarIsAPrefix) {
  EXPECT_EQ(hits("thingName:sens*"), kSensor);
  EXPECT_EQ(hits("thingName:p*"), kPump);
  EXPECT_EQ(hits("thingName:pump-7*"), kPump) << "'*' also matches nothing";
  EXPECT_EQ(hits("attributes.model:t*0"), kSensor) << "a wildcard may sit inside a value";
}

TEST(Match, QuestionMarkIsExactlyOneCharacter) {
  EXPECT_EQ(hits("thingName:pump-?"), kPump);
  EXPECT_EQ(hits("thingName:pump-??"), kNone);
  EXPECT_EQ(hits("thingName:pump?7"), kPump);
  EXPECT_EQ(hits("thingName:ba?e"), Names{"bare"});
}

TEST(Match, QuestionMarkMatchesOneUtf8Character) {
  Document d;
  d.add("thingName", Value::string_value("caf\xc3\xa9"));
  auto one = parse("thingName:caf?");
  auto two = parse("thingName:caf??");
  ASSERT_TRUE(one && two);
  EXPECT_TRUE(matches(*one, d));
  EXPECT_FALSE(matches(*two, d));
}

TEST(Match, EscapedWildcardIsLiteral) {
  EXPECT_EQ(hits("attributes.path:a\\*b"), kSensor);
  EXPECT_EQ(hits("attributes.path:a\\*c"), kNone);
  EXPECT_EQ(hits("attributes.model:TX\\-100"), kSensor);
  EXPECT_EQ(hits("attributes.path:\"a*b\""), kSensor) << "quotes make '*' literal too";
  EXPECT_EQ(hits("attributes.model:\"TX*\""), kNone);
}

TEST(Match, NumericComparisonsOnStringAttributes) {
  // "12" > "2" only numerically; as text it would sort first.
  EXPECT_EQ(hits("attributes.version>2"), kSensor);
  EXPECT_EQ(hits("attributes.version>=2"), (Names{"Sensor-042", "pump-7"}));
  EXPECT_EQ(hits("attributes.version<12"), kPump);
  EXPECT_EQ(hits("attributes.version<=12"), (Names{"Sensor-042", "pump-7"}));
  EXPECT_EQ(hits("attributes.version:>10"), kSensor);
}

TEST(Match, NumericComparisonsOnShadowNumbers) {
  EXPECT_EQ(hits("shadow.reported.battery<20"), kSensor);
  EXPECT_EQ(hits("shadow.reported.temp>21"), kSensor) << "pump's temp is \"n/a\": a number bound skips it";
  EXPECT_EQ(hits("shadow.reported.wifi.rssi<-50"), kSensor);
  EXPECT_EQ(hits("connectivity.timestamp>1557651599999"), kSensor);
  EXPECT_EQ(hits("connectivity.timestamp<1557651600000"), kNone);
}

TEST(Match, NumericEqualityIgnoresSpelling) {
  EXPECT_EQ(hits("shadow.reported.battery:17"), kSensor);
  EXPECT_EQ(hits("shadow.reported.battery:17.0"), kSensor);
  EXPECT_EQ(hits("attributes.version:12.0"), kSensor);
  EXPECT_EQ(hits("shadow.reported.temp:21.5"), kSensor);
}

TEST(Match, RangesInclusiveExclusiveAndMixedOnNumbers) {
  EXPECT_EQ(hits("shadow.reported.battery:[17 TO 85]"), (Names{"Sensor-042", "pump-7"}));
  EXPECT_EQ(hits("shadow.reported.battery:{17 TO 85}"), kNone);
  EXPECT_EQ(hits("shadow.reported.battery:{17 TO 85]"), kPump);
  EXPECT_EQ(hits("shadow.reported.battery:[17 TO 85}"), kSensor);
  EXPECT_EQ(hits("attributes.version:[3 TO 100]"), kSensor) << "numeric, not \"12\" < \"3\"";
  EXPECT_EQ(hits("shadow.reported.battery:[50 TO *]"), kPump);
  EXPECT_EQ(hits("shadow.reported.battery:[* TO 50]"), kSensor);
}

TEST(Match, RangesOnStrings) {
  EXPECT_EQ(hits("attributes.serial:[\"abcd\" TO \"abcf\"]"), (Names{"Sensor-042", "pump-7"}));
  EXPECT_EQ(hits("attributes.serial:{abcd TO abcf]"), kPump);
  EXPECT_EQ(hits("attributes.serial:[ABCD TO abce}"), kSensor) << "string ranges fold case";
  EXPECT_EQ(hits("thingName:[a TO q]"), (Names{"pump-7", "bare"}));
}

TEST(Match, BooleanFields) {
  EXPECT_EQ(hits("connectivity.connected:true"), kSensor);
  EXPECT_EQ(hits("connectivity.connected:FALSE"), kPump);
  EXPECT_EQ(hits("connectivity.connected:1"), kNone) << "a bool is not a number";
}

TEST(Match, MultiValuedFieldMatchesAnyValue) {
  EXPECT_EQ(hits("thingGroupNames:lab"), kSensor);
  EXPECT_EQ(hits("thingGroupNames:\"floor 3\""), kSensor);
  EXPECT_EQ(hits("thingGroupNames:field"), kPump);
  EXPECT_EQ(hits("thingGroupNames:lab thingGroupNames:\"Floor 3\""), kSensor);
  EXPECT_EQ(hits("-thingGroupNames:lab"), (Names{"pump-7", "bare"})) << "NOT means no value matches";
}

TEST(Match, QuotedValuesKeepSpaces) {
  EXPECT_EQ(hits("shadow.reported.wifi.ssid:\"lab net\""), kSensor);
  EXPECT_EQ(hits("shadow.reported.wifi.ssid:lab\\ net"), kSensor);
  EXPECT_EQ(hits("shadow.reported.wifi.ssid:lab"), kNone);
}

TEST(Match, NestedShadowFieldsFromJson) {
  EXPECT_EQ(hits("shadow.reported.wifi.ssid:lab*"), kSensor);
  EXPECT_EQ(hits("shadow.reported.wifi:*"), kNone) << "an object is not a value";
  EXPECT_EQ(hits("shadow.reported.wifi.rssi:*"), kSensor);
}

TEST(Match, PrecedenceIsNotThenAndThenOr) {
  // a OR b AND c == a OR (b AND c)
  EXPECT_EQ(hits("thingName:bare OR thingName:pump-7 AND attributes.model:TX-100"), Names{"bare"});
  EXPECT_EQ(hits("(thingName:bare OR thingName:pump-7) AND attributes.model:TX-100"), kNone);
  // NOT binds tighter than AND and OR.
  EXPECT_EQ(hits("NOT thingName:bare AND NOT thingName:pump-7"), kSensor);
  EXPECT_EQ(hits("NOT thingName:bare OR thingName:bare"), kAll);
  EXPECT_EQ(hits("NOT (thingName:bare OR thingName:pump-7)"), kSensor);
}

TEST(Match, JuxtapositionIsAnd) {
  EXPECT_EQ(hits("thingTypeName:pump attributes.model:legacy"), kPump);
  EXPECT_EQ(hits("thingTypeName:pump attributes.model:TX-100"), kNone);
  // a b OR c == (a AND b) OR c
  EXPECT_EQ(hits("thingTypeName:pump attributes.model:TX-100 OR thingName:bare"), Names{"bare"});
  // "a NOT b" == a AND NOT b (the AWS example form).
  EXPECT_EQ(hits("attributes.version>1 NOT attributes.version>10"), kPump);
}

TEST(Match, MinusExcludes) {
  EXPECT_EQ(hits("-thingName:bare"), (Names{"Sensor-042", "pump-7"}));
  EXPECT_EQ(hits("thingName:* -attributes.model:legacy"), (Names{"Sensor-042", "bare"}));
  EXPECT_EQ(hits("-(thingName:bare OR thingName:pump-7)"), kSensor);
  EXPECT_EQ(hits("attributes.model:-legacy"), kNone) << "after ':' a '-' is part of the value";
}

TEST(Match, NotOfAMissingFieldIsTrue) {
  EXPECT_EQ(hits("NOT attributes.model:legacy"), (Names{"Sensor-042", "bare"}));
}

TEST(Match, FieldGroupAppliesTheField) {
  EXPECT_EQ(hits("thingName:(sens* OR pump-7)"), (Names{"Sensor-042", "pump-7"}));
  EXPECT_EQ(hits("thingName:(s* AND -pump*)"), kSensor);
  EXPECT_EQ(hits("thingName:(p* OR s* AND -sens*)"), kPump) << "precedence holds inside the group";
  EXPECT_EQ(hits("shadow.reported.battery:(>50 OR [0 TO 10])"), kPump);
}

TEST(Match, UnqualifiedTermsSearchEveryField) {
  EXPECT_EQ(hits("legacy"), kPump);
  EXPECT_EQ(hits("LAB"), kSensor) << "thingGroupNames";
  EXPECT_EQ(hits("eco"), kSensor) << "shadow.reported.mode";
  EXPECT_EQ(hits("lab*"), kSensor) << "also 'lab net'";
  EXPECT_EQ(hits("17"), kSensor) << "numbers too";
  EXPECT_EQ(hits("nothing-has-this"), kNone);
}

TEST(Match, LoneStarMatchesEverything) {
  EXPECT_EQ(hits("*"), kAll);
  EXPECT_EQ(hits("thingName:*"), kAll);
  auto q = parse("*");
  ASSERT_TRUE(q);
  EXPECT_TRUE(matches(*q, Document{})) << "even a document without fields";
}

TEST(Match, FieldStarMeansTheFieldExists) {
  EXPECT_EQ(hits("attributes.model:*"), (Names{"Sensor-042", "pump-7"}));
  EXPECT_EQ(hits("NOT attributes.model:*"), Names{"bare"});
}

TEST(Match, QueryIsReusableAcrossDocumentsAndCopies) {
  auto q = parse("thingName:p* OR thingName:s*");
  ASSERT_TRUE(q);
  const Query copy = *q;
  EXPECT_TRUE(matches(copy, sensor()));
  EXPECT_TRUE(matches(*q, pump()));
  EXPECT_FALSE(matches(copy, bare()));
}

TEST(Match, StarBacktrackingStaysLinearEnough) {
  Document d;
  d.add("thingName", Value::string_value(std::string(4000, 'a')));
  auto q = parse("thingName:a*a*a*a*a*a*a*a*a*a*b");
  ASSERT_TRUE(q);
  EXPECT_FALSE(matches(*q, d));
}

}  // namespace
}  // namespace tenet::fleet_index
