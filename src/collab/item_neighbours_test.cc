#include "collab/item_neighbours.h"

#include <cmath>
#include <map>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace hybridrec {
namespace {

// users x items CSR from rows of item ids (values 1).
CsrMatrix FromRows(uint32_t cols, const std::vector<std::vector<uint32_t>>& rows) {
  CsrMatrix m;
  m.rows = static_cast<uint32_t>(rows.size());
  m.cols = cols;
  m.indptr.push_back(0);
  for (const auto& r : rows) {
    for (uint32_t i : r) {
      m.indices.push_back(i);
      m.values.push_back(1.f);
    }
    m.indptr.push_back(m.indices.size());
  }
  return m;
}

CsrMatrix RandomRows(uint32_t users, uint32_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::vector<uint32_t>> rows(users);
  for (auto& r : rows) {
    for (uint32_t i = 0; i < cols; ++i)
      if (rng() % 4 == 0 || (i < 3 && rng() % 2 == 0)) r.push_back(i);  // items 0-2 popular
  }
  return FromRows(cols, rows);
}

TEST(ItemNeighbours, WeightsAreCooccurrenceOverPopularityPowers) {
  const CsrMatrix x = RandomRows(40, 12, 1);
  ItemNeighboursOptions o;
  o.max_neighbours = 100;  // keep all
  o.alpha = 0.5f;
  o.beta = 0.3f;
  const ItemNeighbours nb = BuildItemNeighbours(x, o, 1);
  ASSERT_EQ(nb.num_items, 12u);
  std::vector<double> pop(12, 0);
  std::map<std::pair<uint32_t, uint32_t>, double> c;
  for (uint32_t u = 0; u < x.rows; ++u)
    for (uint32_t i : x.RowIndices(u)) {
      pop[i] += 1;
      for (uint32_t j : x.RowIndices(u))
        if (i != j) c[{i, j}] += 1;
    }
  size_t total = 0;
  for (uint32_t i = 0; i < 12; ++i) {
    const auto js = nb.Items(i);
    const auto ws = nb.Weights(i);
    for (size_t q = 0; q < js.size(); ++q) {
      if (q > 0) {
        EXPECT_LT(js[q - 1], js[q]);  // ascending
      }
      EXPECT_NE(js[q], i);
      const double want = c[{i, js[q]}] / std::pow(pop[i], 0.5) / std::pow(pop[js[q]], 0.3);
      EXPECT_NEAR(ws[q], want, 1e-5 * want) << i << " " << js[q];
    }
    total += js.size();
  }
  EXPECT_EQ(total, c.size());  // every co-occurring pair, nothing else
}

TEST(ItemNeighbours, KeepsTheLargestWeightsWithTiesByItemAndIgnoresThreadCount) {
  // Item 0 co-occurs with 1 (3 users), 2 and 3 (2 users each), 4 (1 user).
  const CsrMatrix x = FromRows(6, {{0, 1, 2}, {0, 1, 3}, {0, 1, 2, 3}, {0, 4}, {5}});
  ItemNeighboursOptions o;
  o.max_neighbours = 2;
  o.alpha = 0.f;
  const ItemNeighbours nb = BuildItemNeighbours(x, o, 1);
  ASSERT_EQ(nb.Items(0).size(), 2u);
  EXPECT_EQ(nb.Items(0)[0], 1u);
  EXPECT_EQ(nb.Items(0)[1], 2u);  // 2 and 3 tie: the lower id stays
  EXPECT_FLOAT_EQ(nb.Weights(0)[0], 3.f);
  EXPECT_TRUE(nb.Items(5).empty());  // its only user took nothing else
  const CsrMatrix big = RandomRows(300, 80, 7);
  o.max_neighbours = 10;
  o.alpha = 0.75f;
  o.beta = 0.2f;
  const ItemNeighbours a = BuildItemNeighbours(big, o, 1);
  const ItemNeighbours b = BuildItemNeighbours(big, o, 3);
  EXPECT_EQ(a.indptr, b.indptr);
  EXPECT_EQ(a.items, b.items);
  EXPECT_EQ(a.weights, b.weights);
  EXPECT_EQ(a.options, o);
}

TEST(ItemNeighbours, RefusesInvalidOptions) {
  const CsrMatrix x = FromRows(3, {{0, 1}});
  ItemNeighboursOptions o;
  o.max_neighbours = 0;
  EXPECT_THROW(BuildItemNeighbours(x, o), std::invalid_argument);
  o = {};
  o.alpha = -1.f;
  EXPECT_THROW(BuildItemNeighbours(x, o), std::invalid_argument);
  o = {};
  o.beta = NAN;
  EXPECT_THROW(BuildItemNeighbours(x, o), std::invalid_argument);
}

}  // namespace
}  // namespace hybridrec
