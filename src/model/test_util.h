// Test-only helpers for tests that need a trained model directory (model, serve): a tiny model
// trained in process in well under a second. Not part of the library.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "collab/als_model.h"
#include "collab/popularity.h"
#include "content/content_model.h"
#include "data/csr_matrix.h"
#include "model/trained_model.h"

namespace hybridrec::model_testing {

// Trains and saves a tiny model: `num_items` items, 6 users, ALS with `factors` factors and an
// LSA content model of dimension `dim` (at most the rank of the tiny TF-IDF matrix, 3 here),
// with `ranker` as its fusion defaults. Items "m0".."m7" (titles of well-known films, one genre
// each), users "u0".."u5"; user u took items u % 3, then every (2 + u % 2)-th, with timestamp
// 1000 + 10 u + i, so each user's most recent item is its highest index.
inline void TrainTinyModel(const std::filesystem::path& dir, uint32_t num_items = 8, int factors = 3, int dim = 3,
                           const RankerOptions& ranker = RankerOptions{}) {
  Dataset d;
  d.name = "tiny";
  d.format = "generic";
  d.has_timestamps = true;
  const char* const titles[] = {"Toy Story", "Aladdin", "Lion King", "Die Hard",
                                "Die Hard 2", "Speed", "Casablanca", "Sleepless in Seattle"};
  const char* const genres[] = {"Animation", "Animation", "Musical", "Action",
                                "Action", "Thriller", "Drama", "Romance"};
  ASSERT_LE(num_items, 8u);
  for (uint32_t i = 0; i < num_items; ++i) {
    d.items.GetOrAdd("m" + std::to_string(i));
    d.item_info.push_back({titles[i], {genres[i]}, {}, {}});
  }
  for (uint32_t u = 0; u < 6; ++u) {
    d.users.GetOrAdd("u" + std::to_string(u));
    for (uint32_t i = u % 3; i < num_items; i += 2 + u % 2)
      d.interactions.push_back({u, i, 1.f + static_cast<float>((u + i) % 4), 1000 + u * 10 + i});
  }
  const InteractionMatrix m = BuildInteractionMatrix(d.num_users(), d.num_items(), d.interactions);
  const FitInput in{&d, &m, true};
  PopularityModel pop;
  ASSERT_TRUE(pop.Fit(in).ok());
  AlsOptions ao;
  ao.factors = factors;
  ao.iterations = 2;
  ao.threads = 1;
  AlsModel als(ao);
  ASSERT_TRUE(als.Fit(in).ok());
  ContentModelOptions co;
  co.encoder.choice = EncoderChoice::kLsa;
  co.encoder.lsa.dim = dim;
  auto cm = BuildContentModel(d, co);
  ASSERT_TRUE(cm.ok()) << cm.status().ToString();
  ASSERT_EQ(cm->dimension(), dim);
  const Status s = SaveTrainedModel(dir, d, m.by_user, als, pop, &*cm, ranker, nlohmann::json::object());
  ASSERT_TRUE(s.ok()) << s.ToString();
}

}  // namespace hybridrec::model_testing
