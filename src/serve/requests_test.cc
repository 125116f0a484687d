#include "serve/requests.h"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace hybridrec::serve
