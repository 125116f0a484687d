// Online A/B experiments: the experiment file, the assignment of users to arms, and the
// per-arm online metrics computed from the exposures and events in the event store.
//
// An experiment file (serve --experiments FILE; read again on SIGHUP and POST /admin/reload):
//   {"name": "hybrid-vs-pop", "salt": "2026-12", "ctr_k": 10, "attribution_window_s": 86400,
//    "conversion_min_strength": 4,
//    "arms": [{"name": "A", "share": 0.5, "ranker": {"popularity_mix": 1, "popularity_T": 1e9}},
//             {"name": "B", "share": 0.5, "rules": {"diversity": 0.2}}]}
// One experiment per file. Arms: 2..kMaxArms, unique names, shares in (0, 1] summing to 1
// (within 1e-6). "ranker": overrides of the model's ranker options (the keys of params.ranker
// in a manifest); "rules": the filters and re-ranking fields of POST /v1/recommendations
// (include, exclude, exclude_items, added_since, new_boost, new_half_life_days, diversity,
// calibration). Unknown keys, duplicate keys and wrong types are refused naming the field.
//
// Assignment: the arm of a user is a pure function of (salt, user id): a 64-bit FNV-1a hash
// of salt + '\x1f' + user id, mixed (SplitMix64 finaliser), scaled to [0, 1) and mapped onto
// the arms' cumulative shares in file order. Sticky across requests, replicas and restarts as
// long as the salt and the shares stay the same; a new salt reshuffles everyone.
//
// Metrics (users are the unit of analysis; each user is in one arm):
//  - attribution: an event (user, item, time) is a click on the exposure that showed the item
//    to that user: the exposure its request_id names when it has one (and that exposure showed
//    the item to the user), else the latest exposure of the user showing the item at most
//    attribution_window_s before the event. Each (exposure, item) counts once.
//  - CTR@K of a user: clicks on items shown at positions <= K / items shown at positions <= K
//    over all the user's exposures; the arm's CTR@K is the mean over its exposed users.
//  - conversions per user: attributed events with strength >= conversion_min_strength (any
//    position), per exposed user.
//  - 95% intervals: mean +- 1.96 standard errors (normal approximation). Difference of each
//    arm against the first arm (the control): Welch's unequal-variance test with the normal
//    approximation (z = diff / sqrt(s1^2/n1 + s2^2/n2), two-sided p). Assumes independent
//    users, random assignment, and enough users per arm (tens or more) for the central limit
//    theorem; with fewer than 2 users in an arm the interval and p-value are null.
// Thread-safety: the functions are pure; safe from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "serve/requests.h"
#include "store/event_store.h"

namespace hybridrec::serve {

inline constexpr size_t kMaxArms = 16;
inline constexpr size_t kMaxExperimentFileBytes = 1 << 20;
inline constexpr size_t kMaxExperimentNameBytes = 64;

struct ExperimentArm {
  std::string name;
  double share = 0;
  RulesParams rules;
  nlohmann::json ranker = nlohmann::json::object();  // overrides of the model's ranker options
};

struct Experiment {
  std::string name;  // [A-Za-z0-9._-], 1..kMaxExperimentNameBytes
  std::string salt;
  std::vector<ExperimentArm> arms;
  int ctr_k = 10;                           // 1..kMaxK
  int64_t attribution_window_s = 86400;     // 1 .. 365 days
  double conversion_min_strength = 0;       // events at least this strong are conversions
  std::string source;                       // the file it came from (for messages)

  // The arm index of `user` (see the file comment).
  size_t Assign(std::string_view user) const;
};

// A point in [0, 1) from (salt, user), uniform over users.
double AssignmentPoint(std::string_view salt, std::string_view user);

// Parses an experiment file's text; `source` names it in messages ("exp.json: field 'arms[1].share':
// ..."). InvalidArgument for anything wrong.
Result<Experiment> ParseExperiment(std::string_view text, const std::string& source);
// Reads and parses the file (refused above kMaxExperimentFileBytes).
Result<Experiment> LoadExperiment(const std::filesystem::path& path);

struct Estimate {
  int64_t n = 0;  // users
  double mean = 0;
  std::optional<double> lo, hi;  // 95% interval (null below 2 users)
};

struct Difference {
  std::string metric;  // "ctr_at_k" | "conversions_per_user"
  std::string arm;     // compared with the control (the first arm)
  double diff = 0;     // arm - control
  std::optional<double> lo, hi, p_value;
};

struct ArmReport {
  std::string name;
  double share = 0;
  int64_t users = 0;        // users with at least one exposure
  int64_t exposures = 0;    // lists served
  int64_t impressions = 0;  // items shown at positions <= K
  int64_t clicks = 0;       // attributed clicks at positions <= K
  int64_t conversions = 0;  // attributed events >= conversion_min_strength, any position
  Estimate ctr;             // CTR@K, mean over users
  Estimate conversions_per_user;
};

struct ExperimentReport {
  std::string name;
  int64_t start = 0, end = 0;  // first and last exposure time (0 without exposures)
  std::vector<ArmReport> arms;
  std::vector<Difference> differences;
  // The estimates over time: the report as it stood at each of a few cut-off times.
  struct Point {
    int64_t time = 0;
    std::vector<ArmReport> arms;
    std::vector<Difference> differences;
  };
  std::vector<Point> series;
};

// The report of `experiment` from the stored exposures (only those of this experiment and of
// its arms are read) and events, with `series_points` cut-offs evenly spread over the
// exposures' time span (0: no series).
ExperimentReport ComputeExperimentReport(const Experiment& experiment, std::span<const store::StoredExposure> exposures,
                                         std::span<const store::StoredEvent> events, int series_points = 20);

nlohmann::json ExperimentReportJson(const Experiment& experiment, const ExperimentReport& report);

// Welch's two-sample z-test of mean(b) - mean(a) (normal approximation), for tests and the
// simulation. p_value null when either sample has fewer than 2 values.
Difference CompareMeans(std::span<const double> a, std::span<const double> b);

}  // namespace hybridrec::serve
