#include "serve/experiments.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "core/file_util.h"
#include "ranking/ranker_options.h"

namespace hybridrec::serve {

using nlohmann::json;
using store::StoredEvent;
using store::StoredExposure;

namespace {

Status Bad(const std::string& source, const std::string& field, const std::string& what) {
  return Status::InvalidArgument(source + ": field '" + field + "': " + what);
}

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > kMaxExperimentNameBytes) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) return false;
  return true;
}

// Parses with a callback that refuses duplicate keys (the JSON library would keep the last).
Result<json> ParseStrict(std::string_view text, const std::string& source) {
  if (JsonNestingDepth(text) > kMaxJsonDepth)
    return Status::InvalidArgument(source + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  std::vector<std::set<std::string>> keys;
  std::string dup;
  json::parser_callback_t cb = [&](int, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (ev == json::parse_event_t::object_end) {
      if (!keys.empty()) keys.pop_back();
    } else if (ev == json::parse_event_t::key && !keys.empty()) {
      const std::string k = parsed.get<std::string>();
      if (!keys.back().insert(k).second && dup.empty()) dup = k;
    }
    return true;
  };
  try {
    json j = json::parse(text.begin(), text.end(), cb);
    if (!dup.empty()) return Status::InvalidArgument(source + ": key '" + dup + "' appears twice in one object");
    return j;
  } catch (const json::parse_error& e) {
    const size_t at = std::min(text.size(), e.byte > 0 ? e.byte - 1 : 0);
    const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(at), '\n'));
    return Status::InvalidArgument(source + ":" + std::to_string(line) + ": not valid JSON (at byte " +
                                   std::to_string(e.byte) + ")");
  } catch (const json::exception& e) {  // e.g. out_of_range 406: a number too large for a double
    return Status::InvalidArgument(source + ": not valid JSON (" + std::string(e.what()).substr(0, 200) + ")");
  }
}

Status CheckKeys(const json& obj, std::initializer_list<const char*> allowed, const std::string& source,
                 const std::string& where) {
  for (const auto& [k, v] : obj.items()) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Bad(source, where.empty() ? k : where + "." + k, "unknown key (known: " + list + ")");
    }
  }
  return Status::Ok();
}

uint64_t Fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Estimate MeanCi(std::span<const double> v) {
  Estimate e;
  e.n = static_cast<int64_t>(v.size());
  if (v.empty()) return e;
  double s = 0;
  for (double x : v) s += x;
  e.mean = s / static_cast<double>(v.size());
  if (v.size() < 2) return e;
  double ss = 0;
  for (double x : v) ss += (x - e.mean) * (x - e.mean);
  const double se = std::sqrt(ss / static_cast<double>(v.size() - 1) / static_cast<double>(v.size()));
  e.lo = e.mean - 1.959963984540054 * se;
  e.hi = e.mean + 1.959963984540054 * se;
  return e;
}

json Opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json EstimateJson(const Estimate& e) { return {{"mean", e.mean}, {"lo", Opt(e.lo)}, {"hi", Opt(e.hi)}, {"users", e.n}}; }

json ArmJson(const ArmReport& a) {
  return {{"name", a.name},
          {"share", a.share},
          {"users", a.users},
          {"exposures", a.exposures},
          {"impressions", a.impressions},
          {"clicks", a.clicks},
          {"conversions", a.conversions},
          {"ctr_at_k", EstimateJson(a.ctr)},
          {"conversions_per_user", EstimateJson(a.conversions_per_user)}};
}

json DiffJson(const Difference& d) {
  return {{"metric", d.metric}, {"arm", d.arm}, {"diff", d.diff}, {"lo", Opt(d.lo)}, {"hi", Opt(d.hi)},
          {"p_value", Opt(d.p_value)}};
}

}  // namespace

double AssignmentPoint(std::string_view salt, std::string_view user) {
  uint64_t h = Fnv1a(salt);
  h = Fnv1a(std::string_view("\x1f", 1), h);
  h = Fnv1a(user, h);
  return static_cast<double>(Mix(h) >> 11) * 0x1.0p-53;
}

size_t Experiment::Assign(std::string_view user) const {
  const double u = AssignmentPoint(salt, user);
  double acc = 0;
  for (size_t i = 0; i < arms.size(); ++i) {
    acc += arms[i].share;
    if (u < acc) return i;
  }
  return arms.empty() ? 0 : arms.size() - 1;  // shares summing to 1 - 1e-6
}

Result<Experiment> ParseExperiment(std::string_view text, const std::string& source) {
  if (text.size() > kMaxExperimentFileBytes)
    return Status::InvalidArgument(source + ": larger than " + std::to_string(kMaxExperimentFileBytes) +
                                   " bytes: an experiment file holds one experiment");
  HR_ASSIGN_OR_RETURN(json j, ParseStrict(text, source));
  if (!j.is_object()) return Status::InvalidArgument(source + ": must be a JSON object {\"name\", \"salt\", \"arms\"}");
  HR_RETURN_IF_ERROR(CheckKeys(
      j, {"name", "salt", "arms", "ctr_k", "attribution_window_s", "conversion_min_strength", "description"}, source,
      ""));
  Experiment e;
  e.source = source;
  const auto name = j.find("name");
  if (name == j.end() || !name->is_string() || !ValidName(name->get<std::string>()))
    return Bad(source, "name", "required: 1.." + std::to_string(kMaxExperimentNameBytes) +
                                   " characters of A-Z a-z 0-9 . _ -");
  e.name = name->get<std::string>();
  const auto salt = j.find("salt");
  if (salt == j.end() || !salt->is_string() || salt->get<std::string>().empty() ||
      salt->get<std::string>().size() > 256)
    return Bad(source, "salt", "required: a non-empty string of at most 256 bytes (a new salt reshuffles the users)");
  e.salt = salt->get<std::string>();
  if (auto it = j.find("ctr_k"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > kMaxK)
      return Bad(source, "ctr_k", "must be an integer in 1.." + std::to_string(kMaxK));
    e.ctr_k = it->get<int>();
  }
  if (auto it = j.find("attribution_window_s"); it != j.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > 365 * 86400)
      return Bad(source, "attribution_window_s", "must be an integer number of seconds in 1..31536000");
    e.attribution_window_s = it->get<int64_t>();
  }
  if (auto it = j.find("conversion_min_strength"); it != j.end()) {
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
      return Bad(source, "conversion_min_strength", "must be a number >= 0");
    e.conversion_min_strength = it->get<double>();
  }
  if (auto it = j.find("description"); it != j.end() && !it->is_string())
    return Bad(source, "description", "must be a string");
  const auto arms = j.find("arms");
  if (arms == j.end() || !arms->is_array() || arms->size() < 2 || arms->size() > kMaxArms)
    return Bad(source, "arms", "required: an array of 2.." + std::to_string(kMaxArms) + " arms");
  double total = 0;
  std::set<std::string> names;
  const json defaults = RankerOptionsToJson(RankerOptions{});
  for (size_t i = 0; i < arms->size(); ++i) {
    const json& a = (*arms)[i];
    const std::string where = "arms[" + std::to_string(i) + "]";
    if (!a.is_object()) return Bad(source, where, "must be an object {\"name\", \"share\", \"ranker\", \"rules\"}");
    HR_RETURN_IF_ERROR(CheckKeys(a, {"name", "share", "ranker", "rules", "description"}, source, where));
    ExperimentArm arm;
    const auto an = a.find("name");
    if (an == a.end() || !an->is_string() || !ValidName(an->get<std::string>()))
      return Bad(source, where + ".name", "required: 1.." + std::to_string(kMaxExperimentNameBytes) +
                                              " characters of A-Z a-z 0-9 . _ -");
    arm.name = an->get<std::string>();
    if (!names.insert(arm.name).second) return Bad(source, where + ".name", "arm '" + arm.name + "' appears twice");
    const auto sh = a.find("share");
    if (sh == a.end() || !sh->is_number() || !std::isfinite(sh->get<double>()) || sh->get<double>() <= 0 ||
        sh->get<double>() > 1)
      return Bad(source, where + ".share", "required: a number in (0, 1] (the arms' shares sum to 1)");
    arm.share = sh->get<double>();
    total += arm.share;
    if (auto r = a.find("ranker"); r != a.end()) {
      if (!r->is_object()) return Bad(source, where + ".ranker", "must be an object of ranker options");
      json merged = defaults;
      for (const auto& [k, v] : r->items()) {
        if (!defaults.contains(k))
          return Bad(source, where + ".ranker." + k, "unknown ranker option (see GET /v1/model, \"ranker\")");
        merged[k] = v;
      }
      auto parsed = RankerOptionsFromJson(merged);
      if (!parsed.ok()) return Bad(source, where + ".ranker", parsed.status().message());
      arm.ranker = *r;
    }
    if (auto r = a.find("rules"); r != a.end()) {
      if (!r->is_object()) return Bad(source, where + ".rules", "must be an object");
      HR_RETURN_IF_ERROR(CheckKeys(*r,
                                   {"include", "exclude", "exclude_items", "added_since", "new_boost",
                                    "new_half_life_days", "diversity", "calibration"},
                                   source, where + ".rules"));
      auto rules = ParseRulesJson(*r);
      if (!rules.ok()) return Status::InvalidArgument(source + ": " + where + ".rules: " + rules.status().message());
      arm.rules = std::move(rules).value();
    }
    e.arms.push_back(std::move(arm));
  }
  if (std::abs(total - 1.0) > 1e-6) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", total);
    return Bad(source, "arms", std::string("the shares sum to ") + buf + ", not 1");
  }
  return e;
}

Result<Experiment> LoadExperiment(const std::filesystem::path& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::NotFound(path.string() + ": cannot read the experiment file: " + ec.message());
  if (size > kMaxExperimentFileBytes)
    return Status::InvalidArgument(path.string() + ": " + std::to_string(size) + " bytes, larger than " +
                                   std::to_string(kMaxExperimentFileBytes) +
                                   ": an experiment file holds one experiment");
  HR_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseExperiment(text, path.string());
}

Difference CompareMeans(std::span<const double> a, std::span<const double> b) {
  Difference d;
  const Estimate ea = MeanCi(a), eb = MeanCi(b);
  d.diff = eb.mean - ea.mean;
  if (a.size() < 2 || b.size() < 2) return d;
  auto var = [](std::span<const double> v, double m) {
    double ss = 0;
    for (double x : v) ss += (x - m) * (x - m);
    return ss / static_cast<double>(v.size() - 1);
  };
  const double se = std::sqrt(var(a, ea.mean) / static_cast<double>(a.size()) +
                              var(b, eb.mean) / static_cast<double>(b.size()));
  d.lo = d.diff - 1.959963984540054 * se;
  d.hi = d.diff + 1.959963984540054 * se;
  if (se > 0)
    d.p_value = std::erfc(std::abs(d.diff / se) / std::sqrt(2.0));
  else
    d.p_value = d.diff == 0 ? 1.0 : 0.0;
  return d;
}

namespace {

// end - start for start <= end, exact over the whole int64 range.
uint64_t GapSeconds(int64_t start, int64_t end) { return static_cast<uint64_t>(end) - static_cast<uint64_t>(start); }

// The p-th of n evenly spaced times after start, ending at end (start <= end, 1 <= p <= n), without
// overflow whatever the span.
int64_t SeriesTime(int64_t start, int64_t end, int p, int n) {
  const uint64_t span = GapSeconds(start, end), up = static_cast<uint64_t>(p), un = static_cast<uint64_t>(n);
  const uint64_t offset = span / un * up + span % un * up / un;
  return static_cast<int64_t>(static_cast<uint64_t>(start) + offset);
}

// The report over the exposures and events up to `cutoff` (inclusive).
void ReportAt(const Experiment& ex, std::span<const StoredExposure* const> xs, std::span<const StoredEvent> events,
              int64_t cutoff, std::vector<ArmReport>& arms_out, std::vector<Difference>& diffs_out) {
  std::unordered_map<std::string_view, size_t> arm_of_name;
  for (size_t a = 0; a < ex.arms.size(); ++a) arm_of_name[ex.arms[a].name] = a;
  struct UserAcc {
    size_t arm = 0;
    int64_t impressions = 0, clicks = 0, conversions = 0;
  };
  std::unordered_map<std::string_view, UserAcc> users;
  std::unordered_map<std::string_view, size_t> by_request;                      // request id -> exposure
  std::unordered_map<std::string_view, std::vector<size_t>> by_user;            // exposures in time order
  std::vector<ArmReport> arms(ex.arms.size());
  for (size_t a = 0; a < arms.size(); ++a) {
    arms[a].name = ex.arms[a].name;
    arms[a].share = ex.arms[a].share;
  }
  const size_t k = static_cast<size_t>(ex.ctr_k);
  for (size_t i = 0; i < xs.size(); ++i) {
    const StoredExposure& x = *xs[i];
    if (x.timestamp > cutoff) continue;
    const size_t a = arm_of_name.at(x.arm);
    auto [it, fresh] = users.try_emplace(x.user, UserAcc{a});
    if (!fresh && it->second.arm != a) continue;  // the arm it was first seen in (a changed file)
    it->second.impressions += static_cast<int64_t>(std::min(k, x.items.size()));
    arms[a].exposures += 1;
    by_request.emplace(x.request_id, i);
    by_user[x.user].push_back(i);
  }
  std::set<std::pair<size_t, std::string_view>> counted;  // (exposure, item)
  for (const StoredEvent& ev : events) {
    if (ev.timestamp > cutoff) continue;
    const auto u = users.find(ev.user);
    if (u == users.end()) continue;
    auto position = [&](size_t xi) -> size_t {  // 1-based, 0 when not shown
      const auto& items = xs[xi]->items;
      for (size_t p = 0; p < items.size(); ++p)
        if (items[p] == ev.item) return p + 1;
      return 0;
    };
    auto in_window = [&](size_t xi) {
      // Timestamps come from clients and may be anywhere in int64: the gap is taken unsigned, after
      // the order check, so it cannot overflow.
      const int64_t shown = xs[xi]->timestamp;
      return ev.timestamp >= shown && GapSeconds(shown, ev.timestamp) <= static_cast<uint64_t>(ex.attribution_window_s);
    };
    std::optional<size_t> hit;
    size_t pos = 0;
    if (!ev.request_id.empty()) {
      if (auto r = by_request.find(ev.request_id);
          r != by_request.end() && xs[r->second]->user == ev.user && in_window(r->second)) {
        pos = position(r->second);
        if (pos) hit = r->second;
      }
    }
    if (!hit) {
      const auto& list = by_user[ev.user];
      for (auto it = list.rbegin(); it != list.rend(); ++it) {
        if (xs[*it]->timestamp > ev.timestamp) continue;
        if (!in_window(*it)) break;
        pos = position(*it);
        if (pos) {
          hit = *it;
          break;
        }
      }
    }
    if (!hit || !counted.emplace(*hit, ev.item).second) continue;
    if (pos <= k) u->second.clicks += 1;
    if (ev.strength >= ex.conversion_min_strength) u->second.conversions += 1;
  }
  std::vector<std::vector<double>> ctr(arms.size()), conv(arms.size());
  for (const auto& [user, acc] : users) {
    ArmReport& a = arms[acc.arm];
    a.users += 1;
    a.impressions += acc.impressions;
    a.clicks += acc.clicks;
    a.conversions += acc.conversions;
    if (acc.impressions > 0)
      ctr[acc.arm].push_back(static_cast<double>(acc.clicks) / static_cast<double>(acc.impressions));
    conv[acc.arm].push_back(static_cast<double>(acc.conversions));
  }
  for (size_t a = 0; a < arms.size(); ++a) {
    arms[a].ctr = MeanCi(ctr[a]);
    arms[a].conversions_per_user = MeanCi(conv[a]);
  }
  diffs_out.clear();
  for (size_t a = 1; a < arms.size(); ++a) {
    Difference d = CompareMeans(ctr[0], ctr[a]);
    d.metric = "ctr_at_k";
    d.arm = arms[a].name;
    diffs_out.push_back(d);
    d = CompareMeans(conv[0], conv[a]);
    d.metric = "conversions_per_user";
    d.arm = arms[a].name;
    diffs_out.push_back(d);
  }
  arms_out = std::move(arms);
}

}  // namespace

ExperimentReport ComputeExperimentReport(const Experiment& experiment, std::span<const StoredExposure> exposures,
                                         std::span<const StoredEvent> events, int series_points) {
  ExperimentReport r;
  r.name = experiment.name;
  std::set<std::string_view> arm_names;
  for (const auto& a : experiment.arms) arm_names.insert(a.name);
  std::vector<const StoredExposure*> xs;
  for (const StoredExposure& x : exposures)
    if (x.experiment == experiment.name && arm_names.count(x.arm)) xs.push_back(&x);
  std::stable_sort(xs.begin(), xs.end(),
                   [](const StoredExposure* a, const StoredExposure* b) { return a->timestamp < b->timestamp; });
  if (!xs.empty()) {
    r.start = xs.front()->timestamp;
    r.end = xs.back()->timestamp;
  }
  // Events: the latest attribution of a click may come up to one window after the last exposure.
  const int64_t last = std::numeric_limits<int64_t>::max();
  ReportAt(experiment, xs, events, last, r.arms, r.differences);
  if (series_points > 0 && !xs.empty()) {
    for (int p = 1; p <= series_points; ++p) {
      ExperimentReport::Point pt;
      pt.time = SeriesTime(r.start, r.end, p, series_points);
      if (p > 1 && pt.time == r.series.back().time) continue;
      ReportAt(experiment, xs, events, pt.time, pt.arms, pt.differences);
      r.series.push_back(std::move(pt));
    }
  }
  return r;
}

json ExperimentReportJson(const Experiment& experiment, const ExperimentReport& report) {
  json arms = json::array(), diffs = json::array(), series = json::array();
  for (const auto& a : report.arms) arms.push_back(ArmJson(a));
  for (const auto& d : report.differences) diffs.push_back(DiffJson(d));
  for (const auto& p : report.series) {
    json pa = json::array(), pd = json::array();
    for (const auto& a : p.arms)
      pa.push_back({{"name", a.name},
                    {"users", a.users},
                    {"exposures", a.exposures},
                    {"ctr_at_k", EstimateJson(a.ctr)},
                    {"conversions_per_user", EstimateJson(a.conversions_per_user)}});
    for (const auto& d : p.differences) pd.push_back(DiffJson(d));
    series.push_back({{"time", p.time}, {"arms", std::move(pa)}, {"differences", std::move(pd)}});
  }
  return {{"name", experiment.name},
          {"salt", experiment.salt},
          {"ctr_k", experiment.ctr_k},
          {"attribution_window_s", experiment.attribution_window_s},
          {"conversion_min_strength", experiment.conversion_min_strength},
          {"control", experiment.arms.empty() ? std::string() : experiment.arms.front().name},
          {"start", report.start},
          {"end", report.end},
          {"test",
           "Welch's two-sample test, normal approximation, two-sided, 95% intervals; users are the unit of analysis "
           "(independent users, random assignment by hash, tens of users per arm or more)"},
          {"arms", std::move(arms)},
          {"differences", std::move(diffs)},
          {"series", std::move(series)}};
}

}  // namespace hybridrec::serve
