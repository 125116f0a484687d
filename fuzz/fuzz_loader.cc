// Fuzzes the dataset loaders (data/loader.h) in all three layouts.
//
// Input: one selector byte, then the layout's files separated by fuzz::kPartSeparator:
//   layout 0 (ml-100k)        u.data, u.item[, u.genre]
//   layout 1 (movielens-csv)  ratings.csv, movies.csv[, tags.csv]
//   layout 2 (generic)        interactions.csv[, items.csv]
// Selector: (byte & 0x0f) % 3 = layout; bit 0x40 = skip_bad_rows; bit 0x80 = format "auto"
// (exercises DetectFormat too); bit 0x20 = the first file is given compressed (its bytes are
// the stream: .zst when bit 0x10 is set, else .gz); bit 0x10 without 0x20 = load through the
// dataset cache twice (write, then read back) and check both loads agree. A successful load
// must satisfy the Dataset invariants.
#include <cmath>
#include <cstdint>
#include <string>

#include "data/dataset_cache.h"
#include "data/loader.h"
#include "fuzz/fuzz_util.h"

namespace hybridrec {
namespace {

void CheckDataset(const Dataset& d) {
  HR_FUZZ_CHECK(d.item_info.size() == d.items.size());
  for (const Interaction& x : d.interactions) {
    HR_FUZZ_CHECK(x.user < d.num_users());
    HR_FUZZ_CHECK(x.item < d.num_items());
    HR_FUZZ_CHECK(std::isfinite(x.strength) && x.strength > 0.f);
  }
  for (uint32_t i = 0; i < d.num_items(); ++i) (void)d.ItemText(i);
  HR_FUZZ_CHECK(d.report.rows_skipped == 0 || !d.report.warnings.empty());
}

}  // namespace
}  // namespace hybridrec

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hybridrec;
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  const int layout = (sel & 0x0f) % 3;
  static const char* const kNames[3][3] = {{"u.data", "u.item", "u.genre"},
                                           {"ratings.csv", "movies.csv", "tags.csv"},
                                           {"interactions.csv", "items.csv", nullptr}};
  static const char* const kFormats[3] = {"ml-100k", "movielens-csv", "generic"};
  const size_t max_parts = layout == 2 ? 2 : 3;
  const auto parts = fuzz::SplitParts(fuzz::AsView(data + 1, size - 1), max_parts);
  const auto dir = fuzz::FreshDir("data");
  const bool compressed = (sel & 0x20) != 0, cached = (sel & 0x10) != 0 && !compressed;
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string name = kNames[layout][i];
    if (i == 0 && compressed) name += (sel & 0x10) ? ".zst" : ".gz";
    fuzz::WriteBytes(dir / name, parts[i]);
  }

  LoadOptions options;
  options.format = (sel & 0x80) ? "auto" : kFormats[layout];
  options.skip_bad_rows = (sel & 0x40) != 0;
  options.max_warnings = 3;
  if (cached) {
    DatasetCacheOptions cache;
    cache.dir = fuzz::FreshDir("cache");
    cache.min_bytes = 0;
    auto first = LoadDatasetCached(dir, options, cache);
    auto second = LoadDatasetCached(dir, options, cache);
    HR_FUZZ_CHECK(first.ok() == second.ok());
    if (first.ok()) {
      HR_FUZZ_CHECK(second->from_cache || second->note.find("could not write") != std::string::npos ||
                    first->note.find("could not write") != std::string::npos);
      const Dataset &a = first->dataset, &b = second->dataset;
      CheckDataset(b);
      HR_FUZZ_CHECK(a.users.ids() == b.users.ids() && a.items.ids() == b.items.ids());
      HR_FUZZ_CHECK(a.interactions.size() == b.interactions.size());
      for (size_t i = 0; i < a.interactions.size(); ++i) {
        HR_FUZZ_CHECK(a.interactions[i].user == b.interactions[i].user);
        HR_FUZZ_CHECK(a.interactions[i].item == b.interactions[i].item);
        HR_FUZZ_CHECK(a.interactions[i].strength == b.interactions[i].strength);
        HR_FUZZ_CHECK(a.interactions[i].timestamp == b.interactions[i].timestamp);
      }
      for (uint32_t i = 0; i < a.num_items(); ++i) HR_FUZZ_CHECK(a.ItemText(i) == b.ItemText(i));
    }
    return 0;
  }
  auto ds = LoadDataset(dir, options);
  if (ds.ok()) {
    CheckDataset(*ds);
  } else {
    HR_FUZZ_CHECK(!ds.status().message().empty());
  }
  return 0;
}
