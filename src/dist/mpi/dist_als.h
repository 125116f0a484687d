// Distributed implicit ALS over MPI (the algorithm of collab/als_model.h, rows spread over ranks).
//
// Partitioning. Rank r owns a contiguous range of users (its shard files, dist/shards.h) and a
// contiguous range of items (chosen from the global item counts so that every rank holds about
// the same number of interactions). At start the rank's interactions are sent once to the owners
// of their items (one MPI_Alltoallv), so each rank holds the user-major rows of its users and
// the item-major rows of its items: about 2 x nnz / R entries, never the whole matrix.
//
// One iteration:
//   YtY  = the Gram of Y from per-rank partials (GramMode below)
//   user half-step on the rank's users against the full Y (collab/als_sweep.h HalfStep)
//   X    = all-gather of every rank's user rows
//   XtX  = the Gram of X, likewise
//   item half-step on the rank's items against the full X
//   Y    = all-gather of every rank's item rows
// Every rank thus receives all factor rows rather than only those its rows reference (Spark's
// out-blocks): on data like MovieLens or any power-law catalogue nearly every item is referenced
// by every rank's users and a large share of users by every rank's items, so the all-gather
// moves little more than the referenced rows would (DistAlsStats reports both per rank) and
// needs no per-iteration index exchange. Bytes received per rank and iteration:
//   4k (num_users - own users + num_items - own items) + the Grams' share (GramMode).
//
// Same answer: the rows are solved by the same kernels, from the same per-row initial factors
// (SplitSeed of the global row index), against the same other-side factors and Grams, so with
// GramMode::kExact the factors are bit-identical to the single-process trainer's for any R and
// any thread count. Within a rank the result never depends on the thread count.
//
// Errors: any Status is local to the calling rank; the caller aborts the job (MPI_Abort) so
// that no rank waits in a collective for a rank that failed.
#pragma once

#include <mpi.h>

#include <cstdint>
#include <vector>

#include "collab/als.h"
#include "core/status.h"
#include "data/dataset.h"

namespace hybridrec::dist {

enum class GramMode {
  // Bit-identical to als::ComputeGram: ranks compute the partial Grams of blocks of its fixed
  // 512-row chunks over the full (all-gathered) factors, all-gather them and add them in chunk
  // order. Receives about 4k^2 bytes per 512 rows: k/512 of the factor traffic (12.5% at k = 64).
  kExact,
  // All-reduce (in double) of each rank's Gram of its own rows: 2 x 8k^2 bytes, but the sum
  // order differs from one process, which moves factors by ~1e-6 relative per iteration.
  kAllReduce,
};

struct DistAlsStats {
  uint32_t own_users = 0, own_items = 0;      // rows this rank solves
  uint64_t user_offset = 0, item_offset = 0;  // global index of its first user / item
  uint64_t own_user_nnz = 0, own_item_nnz = 0;  // entries of its user-major / item-major rows
  uint64_t shuffle_bytes_sent = 0;            // the one-off exchange of interactions
  uint64_t bytes_received_per_iteration = 0;  // factor rows and Grams, as above
  uint64_t bytes_sent_per_iteration = 0;      // own rows x (R - 1) + Grams
  // Lower bound of this partitioning: factor rows referenced by own rows and owned elsewhere.
  uint64_t min_bytes_received_per_iteration = 0;
  std::vector<double> compute_s, comm_s, wait_s;  // per iteration: solving + own Grams, collectives, barrier wait
  double setup_s = 0;                          // building the local matrices and the shuffle
  long peak_rss_kb_after_load = 0, peak_rss_kb_after_fit = 0;
};

struct DistAlsResult {
  uint32_t num_users = 0, num_items = 0;
  std::vector<float> user_factors, item_factors;  // full, row-major (every rank holds them)
  DistAlsStats stats;
  // This rank's users' rows (user-major; indices are global item indices), for batch top-K.
  std::vector<uint64_t> own_indptr;
  std::vector<uint32_t> own_indices;
};

// Fits on the rank's shard: `shard` has the whole catalogue and this rank's users (indices
// local, in global order after those of lower ranks) with their merged interactions.
// options.iterations sweeps; BM25 confidence and compute_loss are refused (InvalidArgument).
// `progress`: rank 0 shows an iteration bar when true.
Result<DistAlsResult> FitDistributed(MPI_Comm comm, const Dataset& shard, const AlsOptions& options,
                                     GramMode gram_mode, bool progress);

// Peak resident set of this process in KiB (getrusage).
long PeakRssKb();

}  // namespace hybridrec::dist
