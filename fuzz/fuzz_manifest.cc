// Fuzzes the manifest.json of a model directory: ModelDir::Open (format, version, file table,
// checksums) and LoadTrainedModel (dataset sizes, ALS and ranker parameters, encoder entry).
//
// At start-up a tiny real model (8 items, 6 users, LSA content) is trained and saved into the
// scratch directory; each input then replaces only its manifest.json. Selector byte:
//   even: the rest of the input is manifest.json as is (checksum table and all);
//   odd:  the rest is parsed as JSON and, when it is an object, its "files" table is replaced
//         by the real one, so the fuzzer gets past the checksums into the fields the loader
//         interprets (as an attacker who re-signs an edited manifest would).
// A model that loads must be internally consistent.
#include <cstdint>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "content/content_model.h"
#include "core/file_util.h"
#include "data/csr_matrix.h"
#include "fuzz/fuzz_util.h"
#include "model/model_dir.h"
#include "model/trained_model.h"

namespace hybridrec {
namespace {

[[noreturn]] void Die(const Status& s) {
  std::fprintf(stderr, "fuzz_manifest setup failed: %s\n", s.ToString().c_str());
  std::abort();
}

// Trains and saves the tiny model; returns its real "files" table.
nlohmann::json SetUpModel(const std::filesystem::path& dir) {
  Dataset d;
  d.name = "fuzz";
  d.format = "generic";
  const char* const titles[] = {"Toy Story", "Aladdin", "Lion King", "Die Hard",
                                "Die Hard 2", "Speed", "Casablanca", "Sleepless in Seattle"};
  const char* const genres[] = {"Animation", "Animation", "Musical", "Action",
                                "Action", "Thriller", "Drama", "Romance"};
  for (int i = 0; i < 8; ++i) {
    d.items.GetOrAdd("m" + std::to_string(i));
    d.item_info.push_back({titles[i], {genres[i]}, {}, {}});
  }
  for (uint32_t u = 0; u < 6; ++u) {
    d.users.GetOrAdd("u" + std::to_string(u));
    for (uint32_t i = u % 3; i < 8; i += 2 + u % 2)
      d.interactions.push_back({u, i, 1.f + static_cast<float>((u + i) % 4), 1000 + u * 10 + i});
  }
  const InteractionMatrix m = BuildInteractionMatrix(d.num_users(), d.num_items(), d.interactions);
  const FitInput in{&d, &m, true};
  PopularityModel pop;
  if (Status s = pop.Fit(in); !s.ok()) Die(s);
  AlsOptions ao;
  ao.factors = 3;
  ao.iterations = 2;
  ao.threads = 1;
  AlsModel als(ao);
  if (Status s = als.Fit(in); !s.ok()) Die(s);
  ContentModelOptions co;
  co.encoder.choice = EncoderChoice::kLsa;
  co.encoder.lsa.dim = 3;
  auto cm = BuildContentModel(d, co);
  if (!cm.ok()) Die(cm.status());
  if (Status s = SaveTrainedModel(dir, d, m.by_user, als, pop, &*cm, RankerOptions{}, nlohmann::json::object());
      !s.ok())
    Die(s);
  auto bytes = ReadFile(dir / "manifest.json");
  if (!bytes.ok()) Die(bytes.status());
  // HYBRIDREC_FUZZ_SEED_DIR=<dir>: also write the real manifest there as two seeds (how
  // fuzz/corpus/manifest/real_* were made).
  if (const char* seeds = std::getenv("HYBRIDREC_FUZZ_SEED_DIR")) {
    fuzz::WriteBytes(std::filesystem::path(seeds) / "real_raw", std::string(1, '\0') + *bytes);
    fuzz::WriteBytes(std::filesystem::path(seeds) / "real_resigned", std::string(1, '\1') + *bytes);
  }
  return nlohmann::json::parse(*bytes)["files"];
}

void CheckModel(const TrainedModel& tm) {
  HR_FUZZ_CHECK(tm.als && tm.popularity);
  HR_FUZZ_CHECK(tm.als->num_users() == tm.num_users() && tm.als->num_items() == tm.num_items());
  HR_FUZZ_CHECK(tm.popularity->num_items() == tm.num_items());
  HR_FUZZ_CHECK(tm.item_info.size() == tm.num_items());
  HR_FUZZ_CHECK(tm.history.rows == tm.num_users() && tm.history.cols == tm.num_items());
  HR_FUZZ_CHECK(tm.history.indptr.size() == tm.num_users() + 1u);
  HR_FUZZ_CHECK(tm.history.indices.size() == tm.history.values.size());
  HR_FUZZ_CHECK(tm.history.indptr.back() == tm.history.indices.size());
  if (tm.content) HR_FUZZ_CHECK(tm.content->num_items() == tm.num_items());
  // The ranker must accept the stored options (it validates them).
  (void)tm.MakeRanker(tm.ranker);
}

}  // namespace
}  // namespace hybridrec

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hybridrec;
  static const std::filesystem::path dir = fuzz::ScratchDir() / "model";
  static const nlohmann::json files = SetUpModel(dir);
  if (size < 1) return 0;
  const std::string_view body = fuzz::AsView(data + 1, size - 1);
  if ((data[0] & 1) == 0) {
    fuzz::WriteBytes(dir / "manifest.json", body);
  } else {
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return 0;
    j["files"] = files;
    fuzz::WriteBytes(dir / "manifest.json", j.dump());
  }
  auto tm = LoadTrainedModel(dir);
  if (tm.ok()) {
    CheckModel(*tm);
  } else {
    HR_FUZZ_CHECK(!tm.status().message().empty());
  }
  return 0;
}
