#include "serve/json_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace hybridrec::serve {
namespace {

using nlohmann::json;

TEST(JsonText, NestedContainersGetCommasAndParseBack) {
  JsonText t;
  t.BeginObject().Key("a").Number(uint64_t{1}).Key("b").BeginArray();
  t.Number(int64_t{-2}).String("x").Bool(true).Null().BeginObject().EndObject().BeginArray().EndArray();
  t.EndArray().Key("c").Raw(R"({"k":[1,2]})").Key("d").Optional(std::nullopt).Key("e").Optional(0.5f).EndObject();
  EXPECT_EQ(t.str(), R"({"a":1,"b":[-2,"x",true,null,{},[]],"c":{"k":[1,2]},"d":null,"e":0.5})");
  EXPECT_FALSE(json::parse(t.str(), nullptr, false).is_discarded());
}

TEST(JsonText, FloatsReadBackExactlyAndNonFiniteIsNull) {
  const float values[] = {0.1f, -3.4028235e38f, 1e-45f, 0.30000001f, 123456.789f, 0.f};
  for (const float v : values) {
    JsonText t;
    t.BeginArray().Number(v).EndArray();
    const json j = json::parse(t.str());
    EXPECT_EQ(static_cast<float>(j[0].get<double>()), v) << t.str();
  }
  JsonText t;
  t.BeginArray().Number(std::numeric_limits<float>::quiet_NaN()).Number(std::numeric_limits<double>::infinity());
  t.EndArray();
  EXPECT_EQ(t.str(), "[null,null]");
}

TEST(JsonText, StringsAreEscapedLikeNlohmannAndBadUtf8IsReplaced) {
  const std::string cases[] = {"plain", "quote \" and \\ backslash", "tab\tnewline\n\x01", "Café Amélie 東京",
                               std::string("bad \xff\xfe utf8"), ""};
  for (const auto& s : cases) {
    JsonText t;
    t.String(s);
    EXPECT_EQ(t.str(), json(s).dump(-1, ' ', false, json::error_handler_t::replace)) << s;
    EXPECT_FALSE(json::parse(t.str(), nullptr, false).is_discarded()) << t.str();
  }
}

}  // namespace
}  // namespace hybridrec::serve
