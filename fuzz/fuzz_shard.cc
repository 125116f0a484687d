// Fuzzes the distributed trainer's shard reader (dist/shards.h ReadShards).
//
// Input: one selector byte, then items.csv and up to three interactions-*.csv shard files
// separated by fuzz::kPartSeparator. Selector bit 0x40 = skip_bad_rows. A successful read
// must satisfy the Dataset invariants, and splitting it again with WriteShards and reading the
// result back must give the same users and interactions.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "dist/shards.h"
#include "fuzz/fuzz_util.h"

namespace hybridrec {
namespace {

void CheckDataset(const Dataset& d) {
  HR_FUZZ_CHECK(d.item_info.size() == d.items.size());
  for (const Interaction& x : d.interactions) {
    HR_FUZZ_CHECK(x.user < d.num_users());
    HR_FUZZ_CHECK(x.item < d.num_items());
    HR_FUZZ_CHECK(x.strength > 0.f);  // merged duplicates may sum to infinity
  }
}

}  // namespace
}  // namespace hybridrec

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hybridrec;
  if (size < 1) return 0;
  const uint8_t sel = data[0];
  const auto parts = fuzz::SplitParts(fuzz::AsView(data + 1, size - 1), 4);
  const auto dir = fuzz::FreshDir("shards");
  fuzz::WriteBytes(dir / "items.csv", parts[0]);
  std::vector<std::filesystem::path> files;
  for (size_t i = 1; i < parts.size(); ++i) {
    files.push_back(dir / ("interactions-0000" + std::to_string(i) + ".csv"));
    fuzz::WriteBytes(files.back(), parts[i]);
  }
  LoadOptions options;
  options.skip_bad_rows = (sel & 0x40) != 0;
  options.max_warnings = 3;
  auto listed = dist::ListShardFiles(dir);
  HR_FUZZ_CHECK(listed.ok() == !files.empty());
  auto ds = dist::ReadShards(dir, files, options);
  if (!ds.ok()) {
    HR_FUZZ_CHECK(!ds.status().message().empty());
    return 0;
  }
  CheckDataset(*ds);
  if (ds->interactions.empty()) return 0;
  for (const Interaction& x : ds->interactions)
    if (!std::isfinite(x.strength)) return 0;
  const auto out = fuzz::FreshDir("shards-again");
  HR_FUZZ_CHECK(dist::WriteShards(*ds, 2, out, dir / "items.csv").ok());
  auto again_files = dist::ListShardFiles(out);
  HR_FUZZ_CHECK(again_files.ok());
  auto again = dist::ReadShards(out, *again_files, options);  // items.csv is copied as is
  if (!again.ok()) std::fprintf(stderr, "%s\n", again.status().message().c_str());
  HR_FUZZ_CHECK(again.ok());
  HR_FUZZ_CHECK(again->users.ids() == ds->users.ids());
  HR_FUZZ_CHECK(again->interactions.size() == ds->interactions.size());
  return 0;
}
