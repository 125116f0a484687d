#include "ranking/item_filter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "ranking/hybrid_ranker.h"
#include "ranking/ranking_test_util.h"
#include "ranking/rerank.h"

namespace hybridrec {
namespace {

using namespace hybridrec::ranking_test;  // NOLINT

std::vector<Item> SmallCatalogue() {
  std::vector<Item> items(6);
  items[0] = {"Toy Story (1995)", {"Animation", "Comedy"}, {"pixar"}, ""};
  items[1] = {"Heat (1995)", {"Action", "Crime"}, {}, ""};
  items[2] = {"Alien (1979)", {"Horror", "Sci-Fi"}, {"space", "classic"}, ""};
  items[3] = {"No year", {"Comedy"}, {}, ""};
  items[4] = {"Up (2009) ", {"Animation"}, {"pixar"}, ""};
  items[5] = {"Added later", {"Drama"}, {}, ""};
  return items;
}

ItemAttributes MakeAttributes(const std::vector<Item>& items) {
  return ItemAttributes(
      static_cast<uint32_t>(items.size()), [&](uint32_t i) -> const Item& { return items[i]; },
      [](uint32_t i) -> std::optional<int64_t> {
        if (i == 5) return 1'700'000'000;  // an item added to a running service
        return std::nullopt;
      });
}

std::vector<uint32_t> Bits(const ItemBitmap& b) {
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < b.size(); ++i)
    if (b.test(i)) out.push_back(i);
  return out;
}

TEST(ItemBitmap, SetResetCountAnd) {
  ItemBitmap a(130, true);
  EXPECT_EQ(a.count(), 130u);
  EXPECT_FALSE(a.test(130));
  a.reset(64);
  a.reset(129);
  EXPECT_EQ(a.count(), 128u);
  ItemBitmap b(130, false);
  b.set(0);
  b.set(64);
  b.set(100);
  a.And(b);
  EXPECT_EQ(Bits(a), (std::vector<uint32_t>{0, 100}));
}

TEST(ItemAttributes, TitleYearAndDates) {
  EXPECT_EQ(ItemAttributes::TitleYearTime("Toy Story (1995)"), 788918400);
  EXPECT_EQ(ItemAttributes::TitleYearTime("Up (2009)  "), 1230768000);
  EXPECT_FALSE(ItemAttributes::TitleYearTime("No year"));
  EXPECT_FALSE(ItemAttributes::TitleYearTime("(19x5)"));
  EXPECT_FALSE(ItemAttributes::TitleYearTime(""));
  const auto items = SmallCatalogue();
  const ItemAttributes a = MakeAttributes(items);
  EXPECT_EQ(a.times()[3], kNoItemTime);
  EXPECT_EQ(a.times()[5], 1'700'000'000);
  // Newest first; items without a date are not listed.
  EXPECT_EQ(std::vector<uint32_t>(a.newest().begin(), a.newest().end()), (std::vector<uint32_t>{5, 4, 0, 1, 2}));
}

TEST(ItemAttributes, IncludeExcludeAndDates) {
  const auto items = SmallCatalogue();
  const ItemAttributes a = MakeAttributes(items);
  FilterSpec f;
  EXPECT_EQ(Bits(*a.Eligible(f)).size(), 6u);
  f.include.push_back({"genre", {"comedy", "ANIMATION"}});  // any of them, case-insensitive
  EXPECT_EQ(Bits(*a.Eligible(f)), (std::vector<uint32_t>{0, 3, 4}));
  f.include.push_back({"tag", {"Pixar"}});  // and one of these too
  EXPECT_EQ(Bits(*a.Eligible(f)), (std::vector<uint32_t>{0, 4}));
  f.exclude.push_back({"genre", {"Comedy"}});
  EXPECT_EQ(Bits(*a.Eligible(f)), (std::vector<uint32_t>{4}));
  FilterSpec g;
  g.exclude_items = {1, 2, 999};  // out of range: nothing to leave out
  EXPECT_EQ(Bits(*a.Eligible(g)), (std::vector<uint32_t>{0, 3, 4, 5}));
  FilterSpec d;
  d.added_since = *ParseDateTime("added_since", "1995-01-01");
  EXPECT_EQ(Bits(*a.Eligible(d)), (std::vector<uint32_t>{0, 1, 4, 5}));  // 1995 counts; no date: never
  EXPECT_EQ(a.genres().num_categories, 7u);
  EXPECT_EQ(a.genres().of(0).size(), 2u);
}

TEST(ItemAttributes, UnknownNamesAndValuesAreNamed) {
  const auto items = SmallCatalogue();
  const ItemAttributes a = MakeAttributes(items);
  FilterSpec f;
  f.include.push_back({"colour", {"red"}});
  auto r = a.Eligible(f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("include_colour"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("unknown attribute 'colour'"), std::string::npos);
  EXPECT_NE(r.status().message().find("genre, tag"), std::string::npos);
  FilterSpec g;
  g.exclude.push_back({"genre", {"Comedy", "Westren", "Musicall"}});
  r = a.Eligible(g);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'Westren', 'Musicall'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("known: Animation"), std::string::npos) << r.status().message();
  FilterSpec e;
  e.include.push_back({"genre", {}});
  EXPECT_FALSE(a.Eligible(e).ok());
}

TEST(ParseDateTime, AcceptsTheDocumentedForms) {
  EXPECT_EQ(*ParseDateTime("f", "1970-01-02"), 86400);
  EXPECT_EQ(*ParseDateTime("f", "2024-02-29T12:00:01Z"), 1709208001);
  EXPECT_EQ(*ParseDateTime("f", "1700000000"), 1700000000);
  EXPECT_EQ(*ParseDateTime("f", "-86400"), -86400);
}

TEST(ParseDateTime, RefusesMalformedDates) {
  for (const char* bad : {"", "2023-02-29", "2024-13-01", "2024-00-10", "2024-1-1", "24-01-01", "2024/01/01",
                          "2024-01-01T25:00:00Z", "2024-01-01T10:00:00", "2024-01-01 10:00:00Z", "tomorrow",
                          "99999999999999999999", "1e9", "-", "2024-01-01T10:60:00Z", "+100"}) {
    const auto r = ParseDateTime("added_since", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("added_since"), std::string::npos) << r.status().message();
  }
}

TEST(SplitList, EntriesAndLimits) {
  EXPECT_EQ(*SplitList("f", "a,b c,d", 10), (std::vector<std::string>{"a", "b c", "d"}));
  EXPECT_FALSE(SplitList("f", "", 10).ok());
  EXPECT_FALSE(SplitList("f", "a,,b", 10).ok());
  EXPECT_FALSE(SplitList("f", "a,", 10).ok());
  EXPECT_FALSE(SplitList("f", "a,b,c", 2).ok());
}

// ---- re-ranking ----

TEST(Rerank, ZeroWeightsKeepTheRelevanceOrder) {
  const std::vector<uint32_t> items = {3, 1, 7, 5, 9};
  const std::vector<float> rel = {0.5f, 2.f, 2.f, -1.f, 1.f};
  const auto emb = RandomMatrix(10, 4, 3, true);
  RerankInput in;
  in.items = items;
  in.relevance = rel;
  in.k = 4;
  in.vectors = emb;
  in.dim = 4;
  std::vector<uint32_t> out;
  Rerank(in, out);
  EXPECT_EQ(out, (std::vector<uint32_t>{1, 2, 4, 0}));  // ties: the lower item first
}

TEST(Rerank, DiversityAvoidsNearDuplicates) {
  // Items 0 and 1 are the same vector; 2 is orthogonal and slightly less relevant.
  const std::vector<float> emb = {1, 0, 1, 0, 0, 1};
  const std::vector<uint32_t> items = {0, 1, 2};
  const std::vector<float> rel = {1.f, 0.9f, 0.8f};
  RerankInput in;
  in.items = items;
  in.relevance = rel;
  in.k = 2;
  in.vectors = emb;
  in.dim = 2;
  std::vector<uint32_t> out;
  Rerank(in, out);
  EXPECT_EQ(out, (std::vector<uint32_t>{0, 1}));
  in.diversity = 0.5f;
  Rerank(in, out);
  EXPECT_EQ(out, (std::vector<uint32_t>{0, 2}));
}

TEST(Rerank, CalibrationFollowsTheUserMix) {
  ItemCategories cats;
  cats.num_categories = 2;
  // Items 0..5 in category 0, items 6..9 in category 1.
  cats.indptr = {0};
  for (uint32_t i = 0; i < 10; ++i) {
    cats.ids.push_back(i < 6 ? 0 : 1);
    cats.indptr.push_back(static_cast<uint32_t>(cats.ids.size()));
  }
  std::vector<float> p;
  const std::vector<HistoryEntry> hist = {{0, 1.f}, {7, 1.f}};
  CategoryMix(cats, hist, p);
  EXPECT_EQ(p, (std::vector<float>{0.5f, 0.5f}));
  std::vector<uint32_t> items(10);
  std::iota(items.begin(), items.end(), 0u);
  std::vector<float> rel(10);
  for (size_t i = 0; i < 10; ++i) rel[i] = 10.f - static_cast<float>(i);  // category 0 first
  RerankInput in;
  in.items = items;
  in.relevance = rel;
  in.k = 4;
  in.categories = &cats;
  in.target = p;
  std::vector<uint32_t> out;
  Rerank(in, out);
  EXPECT_EQ(out, (std::vector<uint32_t>{0, 1, 2, 3}));  // calibration 0: by relevance
  const double before = CalibrationKl(cats, p, std::vector<uint32_t>{0, 1, 2, 3});
  in.calibration = 0.9f;
  Rerank(in, out);
  std::vector<uint32_t> chosen;
  for (uint32_t j : out) chosen.push_back(items[j]);
  const double after = CalibrationKl(cats, p, chosen);
  EXPECT_LT(after, before);
  EXPECT_NEAR(after, 0.0, 1e-6);  // two of each
}

// ---- the ranker under rules ----

struct RulesFixture {
  RandomModel m{300, 280, 41};  // items 280.. have no trained factor
  std::vector<float> pop;
  std::vector<Item> items;
  std::unique_ptr<ItemAttributes> attrs;
  std::unique_ptr<HybridRanker> ranker;
  std::vector<HistoryEntry> hist = {{3, 1.f}, {10, 2.f}, {50, 1.f}, {77, 1.f}, {120, 3.f}, {200, 1.f}};
  RulesFixture() {
    std::mt19937 g(5);
    const char* genres[] = {"A", "B", "C", "D", "E"};
    for (uint32_t i = 0; i < m.n; ++i) {
      pop.push_back(i < 280 ? static_cast<float>(1 + g() % 100) : 0.f);
      Item it;
      it.title = "item " + std::to_string(i) + " (" + std::to_string(1990 + i % 30) + ")";
      it.genres.push_back(genres[g() % 5]);
      if (g() % 3 == 0) it.genres.push_back(genres[g() % 5]);
      if (i % 50 == 7) it.genres = {"Rare"};  // 6 items
      items.push_back(it);
    }
    attrs = std::make_unique<ItemAttributes>(
        m.n, [this](uint32_t i) -> const Item& { return items[i]; },
        [](uint32_t i) -> std::optional<int64_t> {
          return i >= 280 ? std::optional<int64_t>(1'700'000'000 + 86400 * (i - 280)) : std::nullopt;
        });
    RankerOptions o;
    o.candidates = 20;
    ranker = std::make_unique<HybridRanker>(&m.als, m.emb, RandomModel::d, nullptr, pop, o);
  }
  RankResponse Run(const RankRequest& r, const std::vector<HistoryEntry>& h) const {
    UserQuery q;
    q.use_trained_factor = false;
    q.history = h;
    return ranker->Recommend(q, r);
  }
  RankResponse Run(const RankRequest& r) const { return Run(r, hist); }
};

void ExpectSame(const RankResponse& a, const RankResponse& b) {
  ASSERT_EQ(a.items.size(), b.items.size());
  for (size_t i = 0; i < a.items.size(); ++i) {
    EXPECT_EQ(a.items[i].item, b.items[i].item) << i;
    EXPECT_EQ(a.items[i].score, b.items[i].score) << i;
  }
}

TEST(RankerRules, ZeroLambdaAndAllEligibleKeepTheRanking) {
  RulesFixture f;
  RankRequest base;
  base.k = 25;
  const RankResponse want = f.Run(base);
  EXPECT_FALSE(want.eligible);
  RankRequest r = base;
  r.rules.diversity = 0.f;
  r.rules.calibration = 0.f;
  ExpectSame(f.Run(r), want);
  const ItemBitmap all(f.m.n, true);
  r.rules.eligible = &all;
  const RankResponse got = f.Run(r);
  ExpectSame(got, want);
  EXPECT_EQ(*got.eligible, f.m.n - f.hist.size());
}

TEST(RankerRules, SelectiveFilterStillFillsK) {
  RulesFixture f;
  FilterSpec spec;
  spec.include.push_back({"genre", {"rare"}});
  const ItemBitmap el = *f.attrs->Eligible(spec);
  ASSERT_EQ(el.count(), 6u);
  RankRequest r;
  r.k = 4;
  r.rules.eligible = &el;
  RankResponse got = f.Run(r);
  ASSERT_EQ(got.items.size(), 4u);
  for (const auto& it : got.items) EXPECT_TRUE(el.test(it.item)) << it.item;
  EXPECT_EQ(*got.eligible, 6u);
  r.k = 10;  // fewer eligible than k: all of them, and the response says how many
  got = f.Run(r);
  EXPECT_EQ(got.items.size(), 6u);
  EXPECT_EQ(*got.eligible, 6u);
  // Items without a factor only (no collaborative proposal reaches them).
  ItemBitmap cold(f.m.n, false);
  for (uint32_t i = 290; i < 300; ++i) cold.set(i);
  r.rules.eligible = &cold;
  got = f.Run(r);
  EXPECT_EQ(got.items.size(), 10u);
  for (const auto& it : got.items) EXPECT_GE(it.item, 290u);
  // Nothing eligible: an empty list, eligible 0.
  const ItemBitmap none(f.m.n, false);
  r.rules.eligible = &none;
  got = f.Run(r);
  EXPECT_TRUE(got.items.empty());
  EXPECT_EQ(*got.eligible, 0u);
}

TEST(RankerRules, ExcludedItemsNeverAppear) {
  RulesFixture f;
  RankRequest base;
  base.k = 30;
  const RankResponse plain = f.Run(base);
  FilterSpec spec;
  for (size_t i = 0; i < 15; ++i) spec.exclude_items.push_back(plain.items[i].item);
  const ItemBitmap el = *f.attrs->Eligible(spec);
  RankRequest r = base;
  r.rules.eligible = &el;
  r.rules.diversity = 0.3f;
  const RankResponse got = f.Run(r);
  ASSERT_EQ(got.items.size(), 30u);
  const std::set<uint32_t> ex(spec.exclude_items.begin(), spec.exclude_items.end());
  for (const auto& it : got.items) EXPECT_EQ(ex.count(it.item), 0u) << it.item;
  // On the popularity path too (no history).
  const RankResponse pop = f.Run(r, {});
  EXPECT_EQ(pop.path, RankPath::kPopularity);
  ASSERT_EQ(pop.items.size(), 30u);
  for (const auto& it : pop.items) EXPECT_EQ(ex.count(it.item), 0u) << it.item;
}

TEST(RankerRules, DiversityAndCalibrationAreDeterministicAndWork) {
  RulesFixture f;
  RankRequest r;
  r.k = 10;
  const RankResponse plain = f.Run(r);
  r.rules.diversity = 0.7f;
  const RankResponse a = f.Run(r), b = f.Run(r);
  ExpectSame(a, b);
  auto mean_sim = [&](const RankResponse& resp) {
    double s = 0.0;
    int n = 0;
    for (size_t i = 0; i < resp.items.size(); ++i)
      for (size_t j = i + 1; j < resp.items.size(); ++j, ++n) {
        const float* x = f.m.emb.data() + resp.items[i].item * RandomModel::d;
        const float* y = f.m.emb.data() + resp.items[j].item * RandomModel::d;
        for (int d = 0; d < RandomModel::d; ++d) s += x[d] * y[d];
      }
    return s / n;
  };
  EXPECT_LT(mean_sim(a), mean_sim(plain));
  RankRequest c;
  c.k = 10;
  c.rules.calibration = 0.9f;
  c.rules.categories = &f.attrs->genres();
  const RankResponse cal = f.Run(c);
  ASSERT_TRUE(cal.calibration_kl_before && cal.calibration_kl_after);
  EXPECT_LE(*cal.calibration_kl_after, *cal.calibration_kl_before);
  ExpectSame(cal, f.Run(c));
  // Out of range values are refused.
  c.rules.calibration = 1.5f;
  EXPECT_THROW(f.Run(c), std::invalid_argument);
}

TEST(RankerRules, NewItemBoostLiftsTheNewest) {
  RulesFixture f;
  RankRequest r;
  r.k = 10;
  r.rules.new_boost = 50.f;
  r.rules.half_life_days = 1.0;
  r.rules.now = 1'700'000'000 + 86400 * 19;  // item 299 is 0 days old, 298 one day, ...
  r.rules.item_time = f.attrs->times();
  r.rules.newest = f.attrs->newest();
  const RankResponse got = f.Run(r);
  ASSERT_EQ(got.items.size(), 10u);
  EXPECT_EQ(got.items[0].item, 299u);
  EXPECT_EQ(got.items[1].item, 298u);
}

}  // namespace
}  // namespace hybridrec
