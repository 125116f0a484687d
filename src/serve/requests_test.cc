#include "serve/requests.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace hybridrec::serve {
namespace {

TEST(RequestsTest, SingleEventWithDefaults) {
  auto r = ParseEventsBody(R"({"user": "u1", "item": 50})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].user, "u1");
  EXPECT_EQ((*r)[0].item, "50");
  EXPECT_FLOAT_EQ((*r)[0].strength, 1.f);
  EXPECT_FALSE((*r)[0].timestamp.has_value());
}

TEST(RequestsTest, BatchIsValidatedAsAWhole) {
  auto ok = ParseEventsBody(R"({"events": [{"user": "a", "item": "1", "strength": 4, "timestamp": 1700000000},
                                           {"user": "b", "item": "2"}]})");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].timestamp, 1700000000);
  auto bad = ParseEventsBody(R"({"events": [{"user": "a", "item": "1"}, {"user": "b", "item": "2", "strength": -1}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("events[1].strength"), std::string::npos) << bad.status().message();
}

TEST(RequestsTest, RejectsMalformedAndWrongTypes) {
  for (const char* body : {"", "{", "[]", "null", "42", R"({"user": "u"})", R"({"item": "1"})",
                           R"({"user": "", "item": "1"})", R"({"user": ["x"], "item": "1"})",
                           R"({"user": "u", "item": 1.5})", R"({"user": "u", "item": "1", "strength": "4"})",
                           R"({"user": "u", "item": "1", "strength": 0})", R"({"user": "u", "item": "1", "strength": 1e400})",
                           R"({"user": "u", "item": "1", "timestamp": 1.5})", R"({"user": "u", "item": "1", "timestamp": 1e30})",
                           R"({"events": []})", R"({"events": {}})", R"({"events": [1]})", "{\"user\": \"\xff\", \"item\": \"1\"}"}) {
    auto r = ParseEventsBody(body);
    EXPECT_FALSE(r.ok()) << body;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << body;
      EXPECT_FALSE(r.status().message().empty());
    }
  }
}

TEST(RequestsTest, BatchLimit) {
  std::string body = R"({"events": [)";
  for (size_t i = 0; i <= kMaxBatchEvents; ++i) body += std::string(i ? "," : "") + R"({"user": "u", "item": "1"})";
  body += "]}";
  auto r = ParseEventsBody(body);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("at most"), std::string::npos);
}

TEST(RequestsTest, DeepNestingIsRefusedBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(JsonNestingDepth(deep), 100000);
  EXPECT_EQ(JsonNestingDepth(R"({"a": "[[[[[[[[[[[[[[[[[[[[[[[[["})"), 1);  // brackets inside strings do not count
  auto r = ParseRecommendationsBody(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested"), std::string::npos);
}

TEST(RequestsTest, Recommendations) {
  auto r = ParseRecommendationsBody(R"({"items": [{"id": "50", "strength": 4}, {"id": 1}, "7"], "k": 5, "explain": true})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->items.size(), 3u);
  EXPECT_EQ(r->items[0], (std::pair<std::string, float>("50", 4.f)));
  EXPECT_EQ(r->items[1].first, "1");
  EXPECT_EQ(r->items[2].first, "7");
  EXPECT_EQ(r->k, 5);
  EXPECT_TRUE(r->explain);
  EXPECT_TRUE(r->exclude_seen);
  for (const char* body : {R"({"items": []})", R"({"k": 3})", R"({"items": [{"id": "1"}], "k": 0})",
                           R"({"items": [{"id": "1"}], "k": 1001})", R"({"items": [{"id": "1"}], "k": -5})",
                           R"({"items": [{"id": "1"}], "k": "10"})", R"({"items": [{"id": "1"}], "k": 1e3})",
                           R"({"items": [{"id": "1"}], "k": 18446744073709551615})",
                           R"({"items": [{"id": "1"}], "explain": "yes"})", R"({"items": [{}]})", R"({"items": "1"})"}) {
    auto bad = ParseRecommendationsBody(body);
    EXPECT_FALSE(bad.ok()) << body;
  }
  auto k = ParseRecommendationsBody(R"({"items": [{"id": "1"}], "k": 0})");
  EXPECT_NE(k.status().message().find("field 'k'"), std::string::npos) << k.status().message();
}

TEST(RequestsTest, NewItem) {
  auto r = ParseNewItemBody(R"({"id": "new-1", "title": "Space Opera", "genres": ["Sci-Fi"], "tags": ["space"]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->id, "new-1");
  EXPECT_EQ(r->title, "Space Opera");
  EXPECT_EQ(r->genres, std::vector<std::string>{"Sci-Fi"});
  for (const char* body : {R"({"title": "x"})", R"({"id": "x"})", R"({"id": "x", "title": ""})",
                           R"({"id": "x", "title": 3})", R"({"id": "x", "title": "t", "genres": "Drama"})",
                           R"({"id": "x", "title": "t", "genres": [1]})"})
    EXPECT_FALSE(ParseNewItemBody(body).ok()) << body;
}

TEST(RequestsTest, QueryParams) {
  EXPECT_EQ(ParseKParam(std::nullopt).value(), 10);
  EXPECT_EQ(ParseKParam("1").value(), 1);
  EXPECT_EQ(ParseKParam("1000").value(), 1000);
  for (const char* v : {"0", "1001", "-1", "", "abc", "10x", "99999999999999999999", "1.5", " 5"})
    EXPECT_FALSE(ParseKParam(std::string_view(v)).ok()) << v;
  EXPECT_TRUE(ParseBoolParam("explain", "true", false).value());
  EXPECT_FALSE(ParseBoolParam("explain", "0", true).value());
  EXPECT_TRUE(ParseBoolParam("explain", std::nullopt, true).value());
  EXPECT_FALSE(ParseBoolParam("explain", "yes", false).ok());
  EXPECT_FALSE(CheckText("q", "", 10).ok());
  EXPECT_FALSE(CheckText("q", "\xc3", 10).ok());
  EXPECT_FALSE(CheckText("q", "12345678901", 10).ok());
  EXPECT_TRUE(CheckText("q", "caf\xc3\xa9", 10).ok());
}

using Query = std::multimap<std::string, std::string>;

// The field named in an error message.
std::string ErrorOf(const Result<RulesParams>& r) { return r.ok() ? std::string("ok") : r.status().message(); }

TEST(RequestsTest, RulesQueryParams) {
  auto none = ParseRulesQuery({{"k", "5"}, {"exclude_seen", "false"}, {"other", "x"}});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->any());
  auto r = ParseRulesQuery({{"include_genre", "Comedy,Drama"},
                            {"exclude_tag", "gore"},
                            {"exclude_items", "1,50"},
                            {"added_since", "1995-01-01"},
                            {"new_boost", "0.5"},
                            {"new_half_life_days", "7"},
                            {"diversity", "0.3"},
                            {"calibration", "1"}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->include.size(), 1u);
  EXPECT_EQ(r->include[0].attribute, "genre");
  EXPECT_EQ(r->include[0].values, (std::vector<std::string>{"Comedy", "Drama"}));
  EXPECT_EQ(r->exclude[0].attribute, "tag");
  EXPECT_EQ(r->exclude_items, (std::vector<std::string>{"1", "50"}));
  EXPECT_EQ(r->added_since, 788918400);
  EXPECT_FLOAT_EQ(r->new_boost, 0.5f);
  EXPECT_DOUBLE_EQ(r->new_half_life_days, 7.0);
  EXPECT_FLOAT_EQ(r->diversity, 0.3f);
  EXPECT_FLOAT_EQ(r->calibration, 1.f);
  EXPECT_TRUE(r->filters());
}

TEST(RequestsTest, RulesQueryParamsHostile) {
  const std::pair<Query, const char*> cases[] = {
      {{{"diversity", "1.5"}}, "diversity"},
      {{{"diversity", "-0.1"}}, "diversity"},
      {{{"diversity", "nan"}}, "diversity"},
      {{{"diversity", "inf"}}, "diversity"},
      {{{"diversity", ""}}, "diversity"},
      {{{"diversity", "0.5x"}}, "diversity"},
      {{{"calibration", "2"}}, "calibration"},
      {{{"new_boost", "-1"}}, "new_boost"},
      {{{"new_boost", "1e9"}}, "new_boost"},
      {{{"new_half_life_days", "0"}}, "new_half_life_days"},
      {{{"added_since", "2023-02-30"}}, "added_since"},
      {{{"added_since", ""}}, "added_since"},
      {{{"added_since", "yesterday"}}, "added_since"},
      {{{"include_genre", ""}}, "include_genre"},
      {{{"include_genre", "Comedy,,Drama"}}, "include_genre"},
      {{{"include_", "x"}}, "include_"},
      {{{"include_Genre!", "x"}}, "include_Genre!"},
      {{{"exclude_items", ""}}, "exclude_items"},
      {{{"exclude_items", "1,"}}, "exclude_items"},
      {{{"include_genre", "Comedy"}, {"include_genre", "Drama"}}, "include_genre"},
      {{{"diversity", "0.1"}, {"diversity", "0.2"}}, "diversity"},
  };
  for (const auto& [q, field] : cases) {
    const auto r = ParseRulesQuery(q);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(ErrorOf(r).find("'" + std::string(field) + "'"), std::string::npos) << ErrorOf(r);
  }
  // Huge lists are refused by count.
  std::string ids;
  for (size_t i = 0; i <= kMaxExcludeItems; ++i) ids += (i ? "," : "") + std::to_string(i);
  EXPECT_NE(ErrorOf(ParseRulesQuery({{"exclude_items", ids}})).find("at most"), std::string::npos);
  std::string values;
  for (size_t i = 0; i <= kMaxFilterValues; ++i) values += (i ? ",v" : "v") + std::to_string(i);
  EXPECT_NE(ErrorOf(ParseRulesQuery({{"include_tag", values}})).find("at most"), std::string::npos);
  Query many;
  for (size_t i = 0; i <= kMaxFilterClauses; ++i) many.emplace("include_a" + std::to_string(i), "x");
  EXPECT_FALSE(ParseRulesQuery(many).ok());
  EXPECT_FALSE(ParseRulesQuery({{"include_genre", "\xff"}}).ok());
}

TEST(RequestsTest, RulesInRecommendationsBody) {
  auto r = ParseRecommendationsBody(
      R"({"items": ["1"], "include": {"genre": ["Comedy"]}, "exclude": {"tag": ["gore", "x"]},
          "exclude_items": ["5", 6], "added_since": "2020-01-01T00:00:00Z", "new_boost": 1,
          "new_half_life_days": 14, "diversity": 0.25, "calibration": 0})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->rules.include[0].values, (std::vector<std::string>{"Comedy"}));
  EXPECT_EQ(r->rules.exclude[0].values.size(), 2u);
  EXPECT_EQ(r->rules.exclude_items, (std::vector<std::string>{"5", "6"}));
  EXPECT_EQ(r->rules.added_since, 1577836800);
  EXPECT_FLOAT_EQ(r->rules.diversity, 0.25f);
  auto plain = ParseRecommendationsBody(R"({"items": ["1"]})");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->rules.any());
  const std::pair<const char*, const char*> bad[] = {
      {R"({"items": ["1"], "diversity": 1.01})", "diversity"},
      {R"({"items": ["1"], "diversity": "0.5"})", "diversity"},
      {R"({"items": ["1"], "calibration": -1})", "calibration"},
      {R"({"items": ["1"], "new_boost": true})", "new_boost"},
      {R"({"items": ["1"], "new_half_life_days": 0})", "new_half_life_days"},
      {R"({"items": ["1"], "added_since": "2024-02-30"})", "added_since"},
      {R"({"items": ["1"], "added_since": 1.5})", "added_since"},
      {R"({"items": ["1"], "include": ["genre"]})", "include"},
      {R"({"items": ["1"], "include": {"genre": "Comedy"}})", "include.genre"},
      {R"({"items": ["1"], "include": {"genre": []}})", "include.genre"},
      {R"({"items": ["1"], "include": {"genre": [""]}})", "include.genre"},
      {R"({"items": ["1"], "include": {"genre": [1]}})", "include.genre"},
      {R"({"items": ["1"], "exclude": {"": ["x"]}})", "exclude."},
      {R"({"items": ["1"], "exclude_items": "5"})", "exclude_items"},
      {R"({"items": ["1"], "exclude_items": [""]})", "exclude_items[0]"},
      {R"({"items": ["1"], "exclude_items": [{}]})", "exclude_items[0]"},
  };
  for (const auto& [body, field] : bad) {
    const auto b = ParseRecommendationsBody(body);
    ASSERT_FALSE(b.ok()) << body;
    EXPECT_NE(b.status().message().find("'" + std::string(field) + "'"), std::string::npos)
        << body << " -> " << b.status().message();
  }
  std::string big = R"({"items": ["1"], "exclude_items": [)";
  for (size_t i = 0; i <= kMaxExcludeItems; ++i) big += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  big += "]}";
  EXPECT_FALSE(ParseRecommendationsBody(big).ok());
}

}  // namespace
}  // namespace hybridrec::serve
