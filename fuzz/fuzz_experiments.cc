// Fuzzes the online-experiment inputs (serve/experiments.h). Selector byte % 2:
//  0: ParseExperiment on the rest (an experiment file): whatever it accepts has 2..kMaxArms arms
//     with unique valid names, shares in (0, 1] summing to 1, and assigns any user to an arm;
//  1: ComputeExperimentReport over exposures and events decoded from the rest, one record a line:
//     "x <request_id> <user> <arm> <timestamp> <item> <item>..." or "e <user> <item> <strength>
//     <timestamp> [<request_id>]" (as the store hands them back): per arm, clicks never exceed
//     impressions, counts are non-negative and estimates finite.
#include <cmath>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>

#include "fuzz/fuzz_util.h"
#include "serve/experiments.h"

namespace {

using namespace hybridrec;
using namespace hybridrec::serve;

void CheckName(const std::string& s) {
  HR_FUZZ_CHECK(!s.empty() && s.size() <= kMaxExperimentNameBytes);
  for (char c : s) HR_FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
}

const char* kFile = R"({"name": "f", "salt": "s", "ctr_k": 3, "attribution_window_s": 100,
  "arms": [{"name": "A", "share": 0.5}, {"name": "B", "share": 0.5}]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view rest = fuzz::AsView(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto e = ParseExperiment(rest, "fuzz.json");
    if (!e.ok()) return 0;
    CheckName(e->name);
    HR_FUZZ_CHECK(!e->salt.empty());
    HR_FUZZ_CHECK(e->arms.size() >= 2 && e->arms.size() <= kMaxArms);
    HR_FUZZ_CHECK(e->ctr_k >= 1 && e->ctr_k <= kMaxK);
    std::set<std::string> names;
    double total = 0;
    for (const auto& a : e->arms) {
      CheckName(a.name);
      HR_FUZZ_CHECK(names.insert(a.name).second);
      HR_FUZZ_CHECK(a.share > 0 && a.share <= 1);
      total += a.share;
    }
    HR_FUZZ_CHECK(std::abs(total - 1) <= 1e-6);
    for (const char* u : {"", "1", "user", "\xff"}) HR_FUZZ_CHECK(e->Assign(u) < e->arms.size());
    return 0;
  }
  auto e = ParseExperiment(kFile, "fixed");
  HR_FUZZ_CHECK(e.ok());
  std::vector<store::StoredExposure> xs;
  std::vector<store::StoredEvent> events;
  std::istringstream in{std::string(rest)};
  std::string line;
  while (std::getline(in, line) && xs.size() + events.size() < 200) {
    std::istringstream f(line);
    std::string kind;
    f >> kind;
    if (kind == "x") {
      store::StoredExposure x;
      x.experiment = "f";
      f >> x.request_id >> x.user >> x.arm >> x.timestamp;
      std::string item;
      while (x.items.size() < 50 && f >> item) x.items.push_back(item);
      xs.push_back(std::move(x));
    } else if (kind == "e") {
      store::StoredEvent ev;
      f >> ev.user >> ev.item >> ev.strength >> ev.timestamp >> ev.request_id;
      events.push_back(std::move(ev));
    }
  }
  const ExperimentReport r = ComputeExperimentReport(*e, xs, events, 5);
  HR_FUZZ_CHECK(r.arms.size() == 2);
  for (const ArmReport& a : r.arms) {
    HR_FUZZ_CHECK(a.users >= 0 && a.exposures >= 0 && a.clicks >= 0 && a.conversions >= 0);
    HR_FUZZ_CHECK(a.clicks <= a.impressions);
    HR_FUZZ_CHECK(std::isfinite(a.ctr.mean) && a.ctr.mean >= 0 && a.ctr.mean <= 1);
    HR_FUZZ_CHECK(std::isfinite(a.conversions_per_user.mean));
  }
  for (const Difference& d : r.differences)
    if (d.p_value) HR_FUZZ_CHECK(*d.p_value >= 0 && *d.p_value <= 1);
  (void)ExperimentReportJson(*e, r).dump();
  return 0;
}
