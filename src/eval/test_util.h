// Test-only helpers for the eval layer's tests: small synthetic datasets. Not part of the library.
#pragma once

#include <string>

#include "data/dataset.h"

namespace hybridrec::eval_testing {

// `num_users` users with ids "u<n>"; user u has (u % 12) + 1 interactions with distinct items
// among `num_items` ("i<n>"), strength 1 + (u + j) % 5, timestamps shuffled within the user
// (so file order != time order) and a few equal timestamps to exercise tie-breaking.
inline Dataset MakeDataset(uint32_t num_users = 60, uint32_t num_items = 40, bool timestamps = true) {
  Dataset ds;
  ds.name = "synthetic";
  ds.format = "generic";
  for (uint32_t i = 0; i < num_items; ++i) ds.items.GetOrAdd("i" + std::to_string(i));
  ds.item_info.resize(num_items);
  for (uint32_t u = 0; u < num_users; ++u) {
    ds.users.GetOrAdd("u" + std::to_string(u));
    const uint32_t n = u % 12 + 1;
    for (uint32_t j = 0; j < n; ++j) {
      Interaction x;
      x.user = u;
      x.item = (u * 7 + j * 3) % num_items;
      x.strength = static_cast<float>(1 + (u + j) % 5);
      // Time order differs from file order; every 4th pair shares a timestamp with its neighbour.
      x.timestamp = timestamps ? static_cast<int64_t>(1000 + ((j * 5) % n) * 10 - (j % 4 == 3 ? 10 : 0)) : 0;
      ds.interactions.push_back(x);
    }
  }
  ds.has_timestamps = timestamps;
  return ds;
}

}  // namespace hybridrec::eval_testing
