// The collaborative candidates' index end to end: `train --collab-index` builds and calibrates it
// on users' factors and saves it with the model; a loaded model's ranker takes its collaborative
// candidates from it above RankerOptions::brute_force_max_items and answers nearly what the
// exact scan does; a damaged index file is refused naming it.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "model/trained_model.h"
#include "serve_test_util.h"

namespace hybridrec {
namespace {

using serve_test::RunCli;
using serve_test::TempDir;

TEST(CollabIndex, TrainedSavedLoadedAndCloseToTheExactScan) {
  const auto dir = TempDir("collab_index");
  std::string out;
  ASSERT_EQ(RunCli("synth --users 400 --items 3000 --nnz 16000 --seed 5 --out " + (dir / "data").string(), &out), 0)
      << out;
  for (const std::string kind : {"ivf", "hnsw"}) {
    SCOPED_TRACE(kind);
    const auto mdir = dir / ("m-" + kind);
    ASSERT_EQ(RunCli("train --quiet --encoder lsa --collab-index " + kind + " --factors 16 --iterations 4 --data " +
                         (dir / "data").string() + " --out " + mdir.string(),
                     &out),
              0)
        << out;
    EXPECT_NE(out.find("collaborative index over"), std::string::npos) << out;
    auto model = LoadTrainedModel(mdir);
    ASSERT_TRUE(model.ok()) << model.status().message();
    const auto& ci = model->manifest["collab_index"];
    ASSERT_TRUE(ci.is_object()) << model->manifest.dump();
    EXPECT_EQ(ci["kind"], kind);
    EXPECT_EQ(ci["dimension"], 17);
    ASSERT_TRUE(ci.contains("calibration")) << ci.dump();
    EXPECT_EQ(ci["calibration"]["queries"], 400);
    EXPECT_EQ(ci["calibration"]["reached"], true) << ci.dump();
    ASSERT_NE(model->factor_index, nullptr);

    // 3,000 items are below the default brute_force_max_items: the exact scan. With 0 the index.
    RankerOptions exact_options = model->ranker, index_options = model->ranker;
    index_options.brute_force_max_items = 0;
    const auto exact = model->MakeRanker(exact_options);
    const auto indexed = model->MakeRanker(index_options);
    double found = 0, total = 0;
    for (uint32_t u = 0; u < model->num_users(); u += 4) {
      std::vector<HistoryEntry> h;
      for (uint64_t e = model->history.indptr[u]; e < model->history.indptr[u + 1]; ++e)
        h.emplace_back(model->history.indices[e], model->history.values[e]);
      UserQuery q;
      q.known_user = u;
      q.history = h;
      const auto a = exact->Recommend(q, 10), b = indexed->Recommend(q, 10);
      std::set<uint32_t> want;
      for (const auto& it : a.items) want.insert(it.item);
      for (const auto& it : b.items) found += static_cast<double>(want.count(it.item));
      total += static_cast<double>(a.items.size());
    }
    EXPECT_GE(found / total, 0.95) << "recall@10 of the final lists against the exact scan";
    EXPECT_EQ(RunCli("recommend --model " + mdir.string() + " --user 1 -k 5", &out), 0) << out;
  }

  // A damaged index file is refused by name.
  {
    std::fstream f(dir / "m-ivf" / kFactorIndexFile, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.put('\x55');
  }
  EXPECT_NE(RunCli("recommend --model " + (dir / "m-ivf").string() + " --user 1 -k 5", &out), 0);
  EXPECT_NE(out.find(kFactorIndexFile), std::string::npos) << out;
  // --collab-index none: no index file; auto on 3,000 items: none either. A bad value is a usage error.
  for (const std::string kind : {"none", "auto"}) {
    ASSERT_EQ(RunCli("train --quiet --no-content --collab-index " + kind + " --factors 4 --iterations 2 --data " +
                         (dir / "data").string() + " --out " + (dir / kind).string(),
                     &out),
              0)
        << out;
    EXPECT_FALSE(std::filesystem::exists(dir / kind / kFactorIndexFile)) << kind;
  }
  EXPECT_EQ(RunCli("train --collab-index pq --data " + (dir / "data").string() + " --out " + (dir / "x").string(), &out),
            2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hybridrec
