#include "ranking/ranker_options.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "ranking/signal_registry.h"

namespace hybridrec {
namespace {

TEST(RankerOptions, JsonRoundTripCoversEveryField) {
  RankerOptions r;
  r.candidates = 123;
  r.T = 7.f;
  r.w_max = 0.6f;
  r.sigma_floor = 1e-4f;
  r.map_cold_items = true;
  r.map_ridge = 3.f;
  r.collab.foldin_regularization = 42.f;
  r.popularity = {0.3f, 50.f, 14.f};
  r.recent = {5, 0.5f, 10.f};
  r.cooccurrence = {2.f, 20.f, 30, 0.4f, 0.3f};
  const auto j = RankerOptionsToJson(r);
  size_t fields = 0;
  RankerOptions::VisitFields(r, [&](const FieldSpec& f, const auto&) {
    ++fields;
    EXPECT_TRUE(j.contains(std::string(f.key))) << f.key;
  });
  EXPECT_EQ(j.size(), fields);
  const auto back = RankerOptionsFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(RankerOptionsToJson(*back), j);
  EXPECT_EQ(back->cooccurrence.neighbours, 30u);
  EXPECT_EQ(back->recent.items, 5u);
  EXPECT_TRUE(back->map_cold_items);
}

TEST(RankerOptions, ReadsTheManifestOfEarlierModels) {
  // params.ranker as models written before the per-signal structs store it, request settings
  // included.
  const auto j = nlohmann::json::parse(R"({"T":20.0,"candidates":200,"cooccurrence_T":0.0,
    "cooccurrence_alpha":0.5,"cooccurrence_beta":0.0,"cooccurrence_neighbours":50,"cooccurrence_weight":0.0,
    "exclude_seen":true,"explain_items":3,"foldin_regularization":-1.0,"map_cold_items":false,"map_ridge":1.0,
    "popularity_T":0.0,"popularity_half_life_days":0.0,"popularity_mix":0.0,"recent_items":0,
    "recent_regularization":100.0,"recent_weight":0.0,"sigma_floor":9.999999974752427e-07,"w_max":1.0})");
  const auto o = RankerOptionsFromJson(j);
  ASSERT_TRUE(o.ok()) << o.status().message();
  // The saved values win over today's defaults (that model had no popularity blend).
  RankerOptions saved;
  saved.popularity.mix = 0.f;
  EXPECT_EQ(RankerOptionsToJson(*o), RankerOptionsToJson(saved));
}

TEST(RankerOptions, RefusesUnknownKeysWrongTypesAndRanges) {
  auto bad = [](const std::string& text) { return RankerOptionsFromJson(nlohmann::json::parse(text)); };
  auto r = bad(R"({"candidtes": 5})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("candidtes"), std::string::npos);
  r = bad(R"({"w_max": "high"})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("w_max"), std::string::npos);
  r = bad(R"({"w_max": 1.5})");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("w_max must be in [0, 1]"), std::string::npos);
  EXPECT_FALSE(bad(R"({"candidates": 0})").ok());
  EXPECT_FALSE(bad(R"({"candidates": -3})").ok());
  EXPECT_FALSE(bad(R"({"candidates": 2.5})").ok());
  EXPECT_FALSE(bad(R"({"recent_weight": -1})").ok());
  EXPECT_FALSE(bad(R"({"map_cold_items": 1})").ok());
  EXPECT_FALSE(bad(R"({"T": 1e300})").ok());
  EXPECT_FALSE(bad(R"([1, 2])").ok());
  EXPECT_TRUE(bad(R"({})").ok());
  RankerOptions o;
  o.cooccurrence.alpha = -1.f;
  EXPECT_THROW(o.Validate(), std::invalid_argument);
  o = {};
  o.T = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(o.Validate(), std::invalid_argument);
}

TEST(RankerOptions, KeysAndFlagsAreUnique) {
  std::set<std::string> keys, flags;
  RankerOptions o;
  RankerOptions::VisitFields(o, [&](const FieldSpec& f, const auto&) {
    EXPECT_TRUE(keys.insert(std::string(f.key)).second) << f.key;
    EXPECT_TRUE(flags.insert(std::string(f.flag)).second) << f.flag;
    EXPECT_FALSE(f.help.empty()) << f.key;
  });
}

TEST(RankerOptions, GridAxesPerProtocol) {
  const RankerOptions base;
  auto count = [&](std::string_view protocol) {
    size_t n = 1;
    for (const auto& a : DefaultGridAxes(protocol, base)) n *= a.values.size();
    return n;
  };
  EXPECT_EQ(count("random"), 2u * 5 * 4 * 2);
  EXPECT_EQ(count("temporal"), 2u * 5 * 4 * 5 * 5);
  EXPECT_EQ(count("cold-items"), 2u * 5 * 5 * 3);
  EXPECT_EQ(count("cold-users"), 1u * 5 * 4 * 2 * 4 * 2 * 11);
  // Every value applies cleanly.
  for (const char* p : {"random", "global-random", "temporal", "cold-users", "cold-items"})
    for (const auto& a : DefaultGridAxes(p, base))
      for (const auto& v : a.values) {
        RankerOptions r = base;
        v(r);
        EXPECT_NO_THROW(r.Validate()) << p << " " << a.name;
      }
}

TEST(SignalRegistry, BuiltinsInFusionOrder) {
  std::vector<std::string_view> names;
  for (const auto& r : BuiltinSignals()) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string_view>{"collab", "content", "popularity", "recent", "cooccurrence", "fresh"}));
  // On by default: the primary signals (here content only: no ALS model) and the popularity
  // blend for short histories; the others are off until their weights are set.
  const auto made = MakeSignals({nullptr, true, nullptr}, RankerOptions{});
  ASSERT_EQ(made.size(), 2u);
  EXPECT_EQ(made[0]->name(), "content");
  EXPECT_EQ(made[1]->name(), "popularity");
  RankerOptions off;
  off.popularity.mix = 0.f;
  const auto plain = MakeSignals({nullptr, true, nullptr}, off);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0]->name(), "content");
}

}  // namespace
}  // namespace hybridrec
