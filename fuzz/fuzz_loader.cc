// Fuzzes the dataset loaders (data/loader.h) in all three layouts.
//
// Input: one selector byte, then the layout's files separated by fuzz::kPartSeparator:
//   layout 0 (ml-100k)        u.data, u.item[, u.genre]
//   layout 1 (movielens-csv)  ratings.csv, movies.csv[, tags.csv]
//   layout 2 (generic)        interactions.csv[, items.csv]
// Selector: (byte & 0x0f) % 3 = layout; bit 0x40 = skip_bad_rows; bit 0x80 = format "auto"
// (exercises DetectFormat too). A successful load must satisfy the Dataset invariants.
#include <cmath>
#include <cstdint>

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
  for (size_t i = 0; i < parts.size(); ++i) fuzz::WriteBytes(dir / kNames[layout][i], parts[i]);

  LoadOptions options;
  options.format = (sel & 0x80) ? "auto" : kFormats[layout];
  options.skip_bad_rows = (sel & 0x40) != 0;
  options.max_warnings = 3;
  auto ds = LoadDataset(dir, options);
  if (ds.ok()) {
    CheckDataset(*ds);
  } else {
    HR_FUZZ_CHECK(!ds.status().message().empty());
  }
  return 0;
}
