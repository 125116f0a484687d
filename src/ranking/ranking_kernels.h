// Pure kernels of the hybrid ranker: content profiles, candidate union,
// explanation decompositions and the Gantner et al. 2010 content-to-factor map. No state;
// thread-safe; inputs are row-major float matrices passed as spans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "data/confidence.h"

namespace hybridrec {

// One history entry: item index and raw strength (e.g. a rating, a click count).
using HistoryEntry = std::pair<uint32_t, float>;

// Sorts a history by item and sums duplicate items (as BuildInteractionMatrix and ALS fold-in
// do), writing into `out` (cleared first). Entries with a negative or non-finite strength throw
// std::invalid_argument.
void CanonicalHistory(std::span<const HistoryEntry> history, std::vector<HistoryEntry>& out);

// Per-entry ALS confidence c = 1 + alpha * r (linear) or 1 + alpha * log1p(r / eps) (log). BM25
// needs whole-matrix statistics, so it falls back to the linear form here, exactly as
// AlsModel::FoldInUser does: the weights then match the fold-in's.
float EntryConfidence(const ConfidenceOptions& options, float strength);

// Content profile p_u = L2-normalised weighted mean of the embeddings of the history items,
// with weight `weights[t]` for history item items[t]. Items >= num_items or with
// weight <= 0 are skipped. Writes `out` (size d) and returns false (out all zeros) when nothing
// usable remains or the mean is the zero vector.
// REQUIRES: embeddings.size() == num_items * d, out.size() == d, weights.size() == items.size().
bool BuildContentProfile(std::span<const float> embeddings, size_t num_items, size_t d,
                         std::span<const uint32_t> items, std::span<const float> weights, std::span<float> out);

// The candidate union: the distinct ids of `ids` below `limit`, minus `exclude`, written to
// `out` in ascending order (so downstream tie-breaking by position is tie-breaking by item
// index). `mark` is scratch of `limit` flags that is all zero between calls (it is left so).
// Many ids for the catalogue: O(limit) by marking, no sort; few (a large catalogue, fewer than
// limit / 16): O(m log m) by sorting them, so the cost does not grow with the catalogue.
void UnionCandidates(std::span<const uint32_t> ids, std::span<const uint32_t> exclude, uint32_t limit,
                     std::vector<uint8_t>& mark, std::vector<uint32_t>& out);

// The same SET of items as TopK(scores, n) (descending score, ties by ascending index; NaN and
// -infinity excluded) in O(size) time, unordered (currently: the items strictly above the n-th
// value by index, then the ties at it by index): the candidate stage only needs the set. `values` is scratch. Writes `out` (cleared first).
void SelectTopN(std::span<const float> scores, size_t n, std::vector<float>& values, std::vector<uint32_t>& out);

// One history item's share of a recommendation's score.
struct Contribution {
  uint32_t history_item = 0;
  float value = 0.f;
};

// Collaborative decomposition (Hu, Koren, Volinsky 2008, section 5). With the fold-in solution
// x_u = W_u^{-1} sum_h c_uh y_h and W_u = Y^T Y + sum_h (c_uh - 1) y_h y_h^T + reg I, the score
// is x_u . y_i = sum_h c_uh (y_i^T W_u^{-1} y_h): one term per history item. Returns those terms
// for each target item (out[t] has one entry per history item, in history order), computed in
// double with one Cholesky factorisation of W_u. `gram` = Y^T Y (k x k). History items must be
// < num_items of y. Throws std::invalid_argument on size mismatch or when W_u is not positive
// definite (reg = 0 with rank-deficient Y).
std::vector<std::vector<Contribution>> CollabContributions(std::span<const float> y, std::span<const float> gram,
                                                           int k, std::span<const uint32_t> history_items,
                                                           std::span<const float> confidences, float reg,
                                                           std::span<const uint32_t> targets);

// Content attribution: cosine(E_h, E_i) for each history item h (in history order); 0 when
// either vector is zero. REQUIRES: items < num_items.
std::vector<Contribution> ContentContributions(std::span<const float> embeddings, size_t d,
                                               std::span<const uint32_t> history_items, uint32_t target);

// Keeps the `n` largest contributions (ties: earlier history item first), best first.
void KeepTopContributions(std::vector<Contribution>& c, size_t n);

// Gantner et al. 2010 attribute-to-feature mapping by ridge regression: the d x k matrix
//   M = (E_w^T E_w + mu I)^{-1} E_w^T Y_w
// over the warm items w (rows of `warm_items`, each < num rows of both E and Y), so that a cold
// item's factor is estimated as y_i ~ E_i M. Solved in double by Cholesky. Throws
// std::invalid_argument on size mismatch, mu < 0, or an empty warm set with mu == 0.
std::vector<float> FitContentToFactorMap(std::span<const float> embeddings, size_t d, std::span<const float> y, int k,
                                         std::span<const uint32_t> warm_items, float mu);

// out (size k) = e (size d) . M (d x k).
void ApplyContentToFactorMap(std::span<const float> map, size_t d, int k, std::span<const float> e,
                             std::span<float> out);

// scores[i] = sum_j et[j * n + i] * q[j] for i < n: scoring against a d x n (item-major
// transposed) copy of the embeddings, which vectorises over items.
void ScoreTransposed(std::span<const float> et, size_t n, size_t d, std::span<const float> q, std::span<float> scores);
// The same over the first n columns of a d x ld matrix (ld >= n; row j starts at et[j * ld]):
// a transposed copy with spare columns, which grows by filling them (HybridRanker::Extended).
void ScoreTransposed(std::span<const float> et, size_t ld, size_t n, size_t d, std::span<const float> q,
                     std::span<float> scores);

// ScoreTransposed for several queries at once: outs[b][i] = sum_j et[j * n + i] * queries[b][j].
// Works over tiles of 64 items so the d x 64 slice of `et` stays in cache while every query of the
// block is scored against it (one pass over `et` per block instead of one per query: the
// single-query kernel is memory-bound). Summation order per (b, i) is the same as
// ScoreTransposed's (ascending j), so the results are the same floats.
// REQUIRES: queries[b] points to d floats, outs[b] to n floats; queries.size() == outs.size().
void ScoreTransposedBatch(std::span<const float> et, size_t n, size_t d, std::span<const float* const> queries,
                          std::span<float* const> outs);
// With a row stride ld >= n, as the strided ScoreTransposed.
void ScoreTransposedBatch(std::span<const float> et, size_t ld, size_t n, size_t d,
                          std::span<const float* const> queries, std::span<float* const> outs);

}  // namespace hybridrec
