#include "serve/experiments.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "serve/experiment_runtime.h"

namespace hybridrec::serve {
namespace {

using store::StoredEvent;
using store::StoredExposure;

StoredEvent Ev(std::string user, std::string item, float strength, int64_t timestamp) {
  StoredEvent e;
  e.user = std::move(user);
  e.item = std::move(item);
  e.strength = strength;
  e.timestamp = timestamp;
  return e;
}

const char* kGood = R"({
  "name": "hybrid-vs-pop", "salt": "s1", "ctr_k": 5, "attribution_window_s": 3600,
  "conversion_min_strength": 4,
  "arms": [{"name": "A", "share": 0.5, "ranker": {"popularity_mix": 1, "popularity_T": 1e9}},
           {"name": "B", "share": 0.5, "rules": {"diversity": 0.2, "exclude": {"genre": ["Horror"]}}}]})";

TEST(ParseExperiment, ReadsEveryField) {
  auto e = ParseExperiment(kGood, "exp.json");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->name, "hybrid-vs-pop");
  EXPECT_EQ(e->salt, "s1");
  EXPECT_EQ(e->ctr_k, 5);
  EXPECT_EQ(e->attribution_window_s, 3600);
  EXPECT_DOUBLE_EQ(e->conversion_min_strength, 4);
  ASSERT_EQ(e->arms.size(), 2u);
  EXPECT_EQ(e->arms[0].ranker["popularity_mix"], 1);
  EXPECT_FLOAT_EQ(e->arms[1].rules.diversity, 0.2f);
  ASSERT_EQ(e->arms[1].rules.exclude.size(), 1u);
  EXPECT_EQ(e->arms[1].rules.exclude[0].attribute, "genre");
}

// Each hostile file is refused with a message naming the file and what is wrong.
TEST(ParseExperiment, RefusesHostileFiles) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[1,2]", "JSON object"},
      {"{\"name\": \"x\", \"salt\": \"s\"}", "'arms'"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0.5}, {"name": "B", "share": 0.6}]})",
       "sum to 1.1"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0.5}, {"name": "A", "share": 0.5}]})",
       "appears twice"},
      {R"({"name": "x", "name": "y", "salt": "s", "arms": []})", "key 'name' appears twice"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 1}]})", "2.."},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0}, {"name": "B", "share": 1}]})", "share"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": -0.5}, {"name": "B", "share": 1.5}]})", "share"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": "half"}, {"name": "B", "share": 0.5}]})",
       "arms[0].share"},
      {R"({"name": "x y", "salt": "s", "arms": []})", "'name'"},
      {R"({"name": "x", "salt": "", "arms": []})", "'salt'"},
      {R"({"name": "x", "salt": "s", "bogus": 1, "arms": []})", "'bogus'"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0.5, "colour": 1}, {"name": "B", "share": 0.5}]})",
       "arms[0].colour"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0.5, "ranker": {"nope": 1}}, {"name": "B", "share": 0.5}]})",
       "arms[0].ranker.nope"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0.5, "ranker": {"w_max": 7}}, {"name": "B", "share": 0.5}]})",
       "arms[0].ranker"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0.5, "rules": {"diversity": 2}}, {"name": "B", "share": 0.5}]})",
       "diversity"},
      {R"({"name": "x", "salt": "s", "arms": [{"name": "A", "share": 0.5, "rules": {"k": 3}}, {"name": "B", "share": 0.5}]})",
       "rules.k"},
      {R"({"name": "x", "salt": "s", "ctr_k": 0, "arms": []})", "ctr_k"},
      {R"({"name": "x", "salt": "s", "attribution_window_s": -1, "arms": []})", "attribution_window_s"},
      {std::string(100, '[') + std::string(100, ']'), "nested"},
  };
  for (const auto& [text, want] : cases) {
    auto e = ParseExperiment(text, "exp.json");
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_EQ(e.status().code(), Status::Code::kInvalidArgument) << text;
    EXPECT_NE(e.status().message().find("exp.json"), std::string::npos) << e.status().message();
    EXPECT_NE(e.status().message().find(want), std::string::npos) << text << " -> " << e.status().message();
  }
}

TEST(ParseExperiment, RefusesANumberTooLargeForADouble) {
  auto e = ParseExperiment(R"({"name": "x", "salt": 337203685E7758})", "big.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("big.json: not valid JSON"), std::string::npos) << e.status().message();
}

TEST(ParseExperiment, RefusesHugeFilesWithoutReadingThem) {
  const auto path = std::filesystem::temp_directory_path() / ("hr_exp_huge_" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream f(path);
    f << "{\"name\": \"x\", \"description\": \"" << std::string(kMaxExperimentFileBytes, 'x') << "\"}";
  }
  auto e = LoadExperiment(path);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("larger than"), std::string::npos) << e.status().message();
  std::filesystem::remove(path);
  EXPECT_EQ(LoadExperiment(path).status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(ParseExperiment(std::string(kMaxExperimentFileBytes + 1, ' '), "big").ok());
}

TEST(Assignment, IsStickyAndHoldsTheSharesOn100kIds) {
  auto e = ParseExperiment(
      R"({"name": "x", "salt": "salt-1", "arms": [{"name": "A", "share": 0.2}, {"name": "B", "share": 0.3},
          {"name": "C", "share": 0.5}]})",
      "x");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  constexpr int kN = 100000;
  std::vector<int> counts(3);
  for (int u = 0; u < kN; ++u) {
    const std::string id = "user-" + std::to_string(u);
    const size_t arm = e->Assign(id);
    ++counts[arm];
    if (u % 1000 == 0) {
      EXPECT_EQ(e->Assign(id), arm);  // sticky
    }
  }
  // Within 4 standard errors of the binomial proportion (a 1 in 15,000 false alarm per arm).
  for (size_t a = 0; a < 3; ++a) {
    const double p = e->arms[a].share;
    const double sd = std::sqrt(p * (1 - p) / kN);
    EXPECT_NEAR(counts[a] / double(kN), p, 4 * sd) << "arm " << e->arms[a].name;
  }
  // The same (salt, user) gives the same point in any process (a fixed hash, no seeding).
  EXPECT_DOUBLE_EQ(AssignmentPoint("salt-1", "user-7"), AssignmentPoint("salt-1", "user-7"));
  EXPECT_NE(AssignmentPoint("salt-1", "user-7"), AssignmentPoint("salt-2", "user-7"));
  // Pinned values: a change of the hash would reshuffle every running experiment.
  // (the value follows from the documented hash; any implementation of it gives the same.)
  EXPECT_NEAR(AssignmentPoint("s", "42"), 0.3338440812448139, 1e-15);
  // Numeric-looking ids and their string forms are the same user.
  EXPECT_EQ(e->Assign("196"), e->Assign(std::string("196")));
}

TEST(Assignment, DifferentSaltsAreIndependent) {
  // Users in arm A under one salt split evenly under another.
  int both = 0, first = 0;
  for (int u = 0; u < 20000; ++u) {
    const std::string id = std::to_string(u);
    const bool a1 = AssignmentPoint("one", id) < 0.5, a2 = AssignmentPoint("two", id) < 0.5;
    first += a1;
    both += a1 && a2;
  }
  EXPECT_NEAR(both / double(first), 0.5, 0.03);
}

TEST(CompareMeans, WelchIntervalAndPValue) {
  std::vector<double> a = {0, 1, 0, 1, 0, 1, 0, 1}, b = {0, 1, 1, 1, 1, 1, 1, 1};
  const Difference d = CompareMeans(a, b);
  EXPECT_DOUBLE_EQ(d.diff, 0.875 - 0.5);
  const double se = std::sqrt((2.0 / 7) / 8 + (0.875 / 7) / 8);
  ASSERT_TRUE(d.lo && d.hi && d.p_value);
  EXPECT_NEAR(*d.lo, d.diff - 1.959964 * se, 1e-6);
  EXPECT_NEAR(*d.hi, d.diff + 1.959964 * se, 1e-6);
  EXPECT_NEAR(*d.p_value, std::erfc(d.diff / se / std::sqrt(2.0)), 1e-12);
  // Too few users: no interval.
  const std::vector<double> one = {1};
  EXPECT_FALSE(CompareMeans(one, b).p_value);
  // Identical constant samples: no difference, p = 1.
  EXPECT_DOUBLE_EQ(*CompareMeans(std::vector<double>{1, 1}, std::vector<double>{1, 1}).p_value, 1.0);
}

TEST(ExperimentReport, AttributesClicksToTheArmThatShowedTheItem) {
  auto e = ParseExperiment(kGood, "x");
  ASSERT_TRUE(e.ok());
  // u1 (arm A) saw [1,2,3] at t=100; u2 (arm B) saw [4,5] at t=100 and [6] at t=200.
  const std::vector<StoredExposure> xs = {
      {"r1", "u1", "hybrid-vs-pop", "A", {"1", "2", "3"}, 100},
      {"r2", "u2", "hybrid-vs-pop", "B", {"4", "5"}, 100},
      {"r3", "u2", "hybrid-vs-pop", "B", {"6"}, 200},
      {"rx", "u3", "other-experiment", "A", {"1"}, 100},  // another experiment: ignored
      {"ry", "u4", "hybrid-vs-pop", "Z", {"1"}, 100},     // an arm no longer in the file: ignored
  };
  StoredEvent by_id = Ev("u2", "6", 5.f, 250);
  by_id.request_id = "r3";
  const std::vector<StoredEvent> events = {
      Ev("u1", "2", 1.f, 150),   // click at position 2, within the window
      Ev("u1", "2", 5.f, 160),   // the same (exposure, item) again: counted once
      Ev("u1", "9", 1.f, 150),   // not shown
      Ev("u1", "3", 1.f, 5000),  // outside the one-hour window
      Ev("u1", "1", 1.f, 50),    // before the exposure
      Ev("u2", "5", 4.f, 120),   // click + conversion
      by_id,                   // names its exposure: click + conversion
      Ev("u3", "1", 1.f, 120),   // another experiment's user
  };
  const ExperimentReport r = ComputeExperimentReport(*e, xs, events, 4);
  ASSERT_EQ(r.arms.size(), 2u);
  const ArmReport& a = r.arms[0];
  const ArmReport& b = r.arms[1];
  EXPECT_EQ(a.users, 1);
  EXPECT_EQ(a.exposures, 1);
  EXPECT_EQ(a.impressions, 3);
  EXPECT_EQ(a.clicks, 1);
  EXPECT_EQ(a.conversions, 0);
  EXPECT_DOUBLE_EQ(a.ctr.mean, 1.0 / 3);
  EXPECT_EQ(b.users, 1);
  EXPECT_EQ(b.exposures, 2);
  EXPECT_EQ(b.impressions, 3);
  EXPECT_EQ(b.clicks, 2);
  EXPECT_EQ(b.conversions, 2);
  EXPECT_DOUBLE_EQ(b.ctr.mean, 2.0 / 3);
  EXPECT_DOUBLE_EQ(b.conversions_per_user.mean, 2);
  ASSERT_EQ(r.differences.size(), 2u);
  EXPECT_EQ(r.differences[0].metric, "ctr_at_k");
  EXPECT_DOUBLE_EQ(r.differences[0].diff, 1.0 / 3);
  EXPECT_FALSE(r.differences[0].p_value);  // one user per arm
  EXPECT_EQ(r.start, 100);
  EXPECT_EQ(r.end, 200);
  ASSERT_FALSE(r.series.empty());
  EXPECT_EQ(r.series.back().time, 200);
  EXPECT_EQ(r.series.front().arms[1].exposures, 1);  // at t=125 only r2 was served
  const auto j = ExperimentReportJson(*e, r);
  EXPECT_EQ(j["arms"][1]["clicks"], 2);
  EXPECT_TRUE(j["differences"][0]["p_value"].is_null());
}

TEST(ExperimentReport, TimestampsAtTheEndsOfInt64) {
  // Clients choose event timestamps, so any int64 may reach the report: the window test and the
  // series times must not overflow, and the answers stay exact.
  auto e = ParseExperiment(kGood, "x");
  ASSERT_TRUE(e.ok());
  constexpr int64_t lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  const std::vector<StoredExposure> xs = {
      {"r1", "u1", "hybrid-vs-pop", "A", {"1"}, lo},
      {"r2", "u2", "hybrid-vs-pop", "B", {"2"}, hi - 10},
  };
  const std::vector<StoredEvent> events = {
      Ev("u1", "1", 1.f, hi),      // a gap of about 2^64 seconds: outside the window
      Ev("u2", "2", 1.f, hi),      // 10 s after its exposure: a click
      Ev("u1", "1", 1.f, lo + 5),  // 5 s after: a click
  };
  const ExperimentReport r = ComputeExperimentReport(*e, xs, events, 7);
  EXPECT_EQ(r.arms[0].clicks, 1);
  EXPECT_EQ(r.arms[1].clicks, 1);
  EXPECT_EQ(r.start, lo);
  EXPECT_EQ(r.end, hi - 10);
  ASSERT_FALSE(r.series.empty());
  EXPECT_EQ(r.series.back().time, hi - 10);
  for (size_t i = 1; i < r.series.size(); ++i) EXPECT_GT(r.series[i].time, r.series[i - 1].time);
}

TEST(ExperimentRuntime, LogsExposuresDurablyInBatches) {
  const auto dir = std::filesystem::temp_directory_path() / ("hr_exp_rt_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "exp.json") << kGood;
  }
  const std::string db = (dir / "events.sqlite").string();
  {
    auto s = store::OpenSqliteEventStore(db);
    ASSERT_TRUE(s.ok());
    ExposureLogOptions o;
    o.flush_ms = 20;
    o.batch = 7;
    auto rt = ExperimentRuntime::Open(**s, dir / "exp.json", o);
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    ASSERT_TRUE((*rt)->current());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 25; ++i)
          ASSERT_TRUE((*rt)->Record({"r" + std::to_string(t * 100 + i), "u" + std::to_string(i), "hybrid-vs-pop",
                                     i % 2 ? "A" : "B", {"1", "2"}, 100 + i})
                          .ok());
      });
    for (auto& t : threads) t.join();
    ASSERT_TRUE((*rt)->Flush().ok());
    EXPECT_EQ((*rt)->exposures_written(), 100);
    EXPECT_EQ((*rt)->pending(), 0u);
    auto rep = (*rt)->Report("hybrid-vs-pop", true);
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();
    EXPECT_EQ((*rep)["arms"][0]["exposures"].get<int>() + (*rep)["arms"][1]["exposures"].get<int>(), 100);
    EXPECT_EQ((*rt)->Report("nope").status().code(), Status::Code::kNotFound);
    const std::string m = (*rt)->MetricsText();
    EXPECT_NE(m.find("hybridrec_exposures_written_total 100"), std::string::npos) << m;
    EXPECT_NE(m.find("hybridrec_experiment_ctr_at_k{experiment=\"hybrid-vs-pop\",arm=\"A\",stat=\"mean\"}"),
              std::string::npos)
        << m;
    // Queued but not flushed: written by the destructor.
    for (int i = 0; i < 3; ++i) ASSERT_TRUE((*rt)->Record({"late" + std::to_string(i), "u", "hybrid-vs-pop", "A", {}, 1}).ok());
    // A bad file on reload keeps the current experiment.
    { std::ofstream(dir / "exp.json") << "{oops"; }
    EXPECT_EQ((*rt)->Reload().code(), Status::Code::kCorruption);
    EXPECT_EQ((*rt)->current()->name, "hybrid-vs-pop");
  }
  auto s = store::OpenSqliteEventStore(db);
  ASSERT_TRUE(s.ok());
  int n = 0;
  ASSERT_TRUE((*s)->ForEachExposure(0, [&](StoredExposure&&) { ++n; }).ok());
  EXPECT_EQ(n, 103);
  std::filesystem::remove_all(dir);
}

TEST(ExperimentRuntime, SynchronousModeWritesBeforeReturning) {
  auto s = store::OpenSqliteEventStore(":memory:");
  ASSERT_TRUE(s.ok());
  ExposureLogOptions o;
  o.flush_ms = 0;
  auto rt = ExperimentRuntime::Open(**s, "", o);
  ASSERT_TRUE(rt.ok());
  EXPECT_FALSE((*rt)->current());
  ASSERT_TRUE((*rt)->Record({"r", "u", "e", "A", {"1"}, 1}).ok());
  int n = 0;
  ASSERT_TRUE((*s)->ForEachExposure(0, [&](StoredExposure&&) { ++n; }).ok());
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace hybridrec::serve
