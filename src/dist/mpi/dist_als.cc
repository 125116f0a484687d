#include "dist/mpi/dist_als.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "collab/als_kernels.h"
#include "collab/als_sweep.h"
#include "core/progress.h"
#include "core/random.h"
#include "data/csr_matrix.h"
#include "dist/shards.h"

namespace hybridrec::dist {
namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One interaction on its way to its item's owner.
struct Entry {
  uint32_t item;
  uint32_t user;  // global index
  float value;
};

// A committed MPI datatype of `bytes` contiguous bytes (counts then stay in elements, far from
// the 2^31 limit of int counts).
class ByteBlock {
 public:
  explicit ByteBlock(int bytes) {
    MPI_Type_contiguous(bytes, MPI_BYTE, &type_);
    MPI_Type_commit(&type_);
  }
  ~ByteBlock() { MPI_Type_free(&type_); }
  ByteBlock(const ByteBlock&) = delete;
  ByteBlock& operator=(const ByteBlock&) = delete;
  MPI_Datatype get() const { return type_; }

 private:
  MPI_Datatype type_;
};

// The partial Gram of `rows` x k factors, summed over ranks in double.
void AllReduceGram(MPI_Comm comm, std::span<const float> rows, uint32_t n, int k, int threads,
                   std::vector<float>& partial, std::vector<double>& sum, std::vector<float>& gram, double& compute,
                   double& comm_s) {
  auto t0 = Clock::now();
  if (n > 0) {
    als::ComputeGram(rows, n, k, threads, partial);
  } else {
    std::fill(partial.begin(), partial.end(), 0.f);
  }
  for (size_t j = 0; j < partial.size(); ++j) sum[j] = partial[j];
  compute += Since(t0);
  t0 = Clock::now();
  MPI_Allreduce(MPI_IN_PLACE, sum.data(), static_cast<int>(sum.size()), MPI_DOUBLE, MPI_SUM, comm);
  for (size_t j = 0; j < sum.size(); ++j) gram[j] = static_cast<float>(sum[j]);
  comm_s += Since(t0);
}

// The Gram of a matrix every rank holds in full, bit-identical to als::ComputeGram: each rank
// computes the partials of its block of the fixed 512-row chunks, an all-gather gives every
// rank all partials, and each adds them in chunk order.
class ExactGram {
 public:
  ExactGram(MPI_Comm comm, int rank, int ranks, uint32_t n, int k) : comm_(comm), n_(n), k_(k) {
    const size_t chunks = als::GramChunks(n);
    counts_.resize(static_cast<size_t>(ranks));
    displs_.resize(static_cast<size_t>(ranks));
    for (int r = 0; r < ranks; ++r) {
      const size_t b = chunks * static_cast<size_t>(r) / static_cast<size_t>(ranks);
      const size_t e = chunks * static_cast<size_t>(r + 1) / static_cast<size_t>(ranks);
      counts_[static_cast<size_t>(r)] = static_cast<int>(e - b);
      displs_[static_cast<size_t>(r)] = static_cast<int>(b);
    }
    first_ = static_cast<size_t>(displs_[static_cast<size_t>(rank)]);
    last_ = first_ + static_cast<size_t>(counts_[static_cast<size_t>(rank)]);
    kk_ = static_cast<size_t>(k) * static_cast<size_t>(k);
    partials_.resize(chunks * kk_);
    MPI_Type_contiguous(static_cast<int>(kk_), MPI_FLOAT, &block_);
    MPI_Type_commit(&block_);
    chunks_ = chunks;
  }
  ~ExactGram() { MPI_Type_free(&block_); }
  ExactGram(const ExactGram&) = delete;
  ExactGram& operator=(const ExactGram&) = delete;
  // Partial chunks received from other ranks, per call.
  uint64_t BytesReceived() const { return (chunks_ - (last_ - first_)) * kk_ * sizeof(float); }
  uint64_t BytesSent(int ranks) const { return (last_ - first_) * kk_ * sizeof(float) * static_cast<uint64_t>(ranks - 1); }

  void Compute(std::span<const float> full, int threads, std::vector<float>& gram, double& compute, double& comm_s) {
    auto t0 = Clock::now();
    als::ComputeGramChunks(full, n_, k_, first_, last_, threads,
                           std::span<float>(partials_).subspan(first_ * kk_, (last_ - first_) * kk_));
    compute += Since(t0);
    t0 = Clock::now();
    MPI_Allgatherv(MPI_IN_PLACE, 0, block_, partials_.data(), counts_.data(), displs_.data(), block_, comm_);
    comm_s += Since(t0);
    t0 = Clock::now();
    als::SumGramChunks(partials_, chunks_, k_, gram);
    compute += Since(t0);
  }

 private:
  MPI_Comm comm_;
  uint32_t n_;
  int k_;
  size_t kk_ = 0, first_ = 0, last_ = 0, chunks_ = 0;
  std::vector<int> counts_, displs_;
  std::vector<float> partials_;
  MPI_Datatype block_;
};

}  // namespace

long PeakRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

Result<DistAlsResult> FitDistributed(MPI_Comm comm, const Dataset& shard, const AlsOptions& o, GramMode gram_mode,
                                     bool progress) {
  if (o.confidence.kind == ConfidenceKind::kBm25)
    return Status::InvalidArgument("distributed ALS: BM25 confidence needs whole-matrix statistics; use linear or log");
  if (o.compute_loss) return Status::InvalidArgument("distributed ALS: --loss is not supported");
  int rank = 0, ranks = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &ranks);
  const auto t_setup = Clock::now();
  DistAlsResult res;
  DistAlsStats& st = res.stats;
  const int k = o.factors;
  const size_t ks = static_cast<size_t>(k);
  const uint32_t ni = shard.num_items();
  const uint32_t nu_own = shard.num_users();

  // Global user numbering: ranks in order.
  uint64_t own = nu_own, offset = 0, total = 0;
  MPI_Exscan(&own, &offset, 1, MPI_UINT64_T, MPI_SUM, comm);
  if (rank == 0) offset = 0;
  MPI_Allreduce(&own, &total, 1, MPI_UINT64_T, MPI_SUM, comm);
  if (total >= UINT32_MAX) return Status::InvalidArgument("distributed ALS: more than 2^32 - 1 users");
  uint32_t ni_check = ni, ni_max = 0;
  MPI_Allreduce(&ni_check, &ni_max, 1, MPI_UINT32_T, MPI_MAX, comm);
  if (ni_max != ni) return Status::InvalidArgument("distributed ALS: ranks read catalogues of different sizes");
  const auto nu = static_cast<uint32_t>(total);
  res.num_users = nu;
  res.num_items = ni;
  st.own_users = nu_own;
  st.user_offset = offset;
  if (nu == 0 || ni == 0) return Status::InvalidArgument("distributed ALS: the shards have no users or no items");
  std::vector<int> user_counts(static_cast<size_t>(ranks)), user_displs(static_cast<size_t>(ranks));
  {
    const int mine = static_cast<int>(nu_own);
    MPI_Allgather(&mine, 1, MPI_INT, user_counts.data(), 1, MPI_INT, comm);
    for (int r = 1; r < ranks; ++r) user_displs[r] = user_displs[r - 1] + user_counts[r - 1];
  }

  // User-major rows of the rank's users (sorted items, as BuildInteractionMatrix orders them).
  CsrMatrix by_user;
  {
    const InteractionMatrix m = BuildInteractionMatrix(nu_own, ni, shard.interactions);
    by_user = m.by_user;
  }
  st.own_user_nnz = by_user.nnz();

  // Global item counts -> item lambdas and the item partition.
  std::vector<uint64_t> item_counts(ni, 0);
  for (uint32_t t : by_user.indices) ++item_counts[t];
  MPI_Allreduce(MPI_IN_PLACE, item_counts.data(), static_cast<int>(ni), MPI_UINT64_T, MPI_SUM, comm);
  const std::vector<uint32_t> item_bounds = BalancedBoundaries(item_counts, ranks);
  const uint32_t i0 = item_bounds[static_cast<size_t>(rank)], i1 = item_bounds[static_cast<size_t>(rank) + 1];
  st.own_items = i1 - i0;
  st.item_offset = i0;
  std::vector<int> item_rows(static_cast<size_t>(ranks)), item_displs(static_cast<size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    item_rows[r] = static_cast<int>(item_bounds[r + 1] - item_bounds[r]);
    item_displs[r] = static_cast<int>(item_bounds[r]);
  }

  // Shuffle: every entry to its item's owner, in user order (so each item's users arrive sorted).
  ByteBlock entry_type(static_cast<int>(sizeof(Entry)));
  std::vector<int> send_counts(static_cast<size_t>(ranks), 0), recv_counts(static_cast<size_t>(ranks), 0);
  std::vector<int> send_displs(static_cast<size_t>(ranks), 0), recv_displs(static_cast<size_t>(ranks), 0);
  auto owner = [&](uint32_t item) {
    return static_cast<int>(std::upper_bound(item_bounds.begin(), item_bounds.end(), item) - item_bounds.begin()) - 1;
  };
  for (uint32_t t : by_user.indices) ++send_counts[owner(t)];
  for (int r = 1; r < ranks; ++r) send_displs[r] = send_displs[r - 1] + send_counts[r - 1];
  std::vector<Entry> send(by_user.nnz());
  {
    std::vector<int> pos(send_displs);
    for (uint32_t u = 0; u < nu_own; ++u) {
      const auto idx = by_user.RowIndices(u);
      const auto val = by_user.RowValues(u);
      for (size_t t = 0; t < idx.size(); ++t)
        send[static_cast<size_t>(pos[owner(idx[t])]++)] = {idx[t], static_cast<uint32_t>(offset + u), val[t]};
    }
  }
  MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm);
  for (int r = 1; r < ranks; ++r) recv_displs[r] = recv_displs[r - 1] + recv_counts[r - 1];
  const size_t nrecv = static_cast<size_t>(recv_displs.back()) + static_cast<size_t>(recv_counts.back());
  std::vector<Entry> recv(nrecv);
  MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), entry_type.get(), recv.data(),
                recv_counts.data(), recv_displs.data(), entry_type.get(), comm);
  for (int r = 0; r < ranks; ++r)
    if (r != rank) st.shuffle_bytes_sent += static_cast<uint64_t>(send_counts[r]) * sizeof(Entry);
  std::vector<Entry>().swap(send);

  // Item-major rows of the rank's items (stable counting sort by item keeps users ascending).
  CsrMatrix by_item;
  by_item.rows = i1 - i0;
  by_item.cols = nu;
  by_item.indptr.assign(static_cast<size_t>(by_item.rows) + 1, 0);
  for (const Entry& e : recv) ++by_item.indptr[e.item - i0 + 1];
  for (uint32_t r = 0; r < by_item.rows; ++r) by_item.indptr[r + 1] += by_item.indptr[r];
  by_item.indices.resize(nrecv);
  by_item.values.resize(nrecv);
  {
    std::vector<uint64_t> pos(by_item.indptr.begin(), by_item.indptr.end() - 1);
    for (const Entry& e : recv) {
      const uint64_t p = pos[e.item - i0]++;
      by_item.indices[p] = e.user;
      by_item.values[p] = e.value;
    }
  }
  std::vector<Entry>().swap(recv);
  st.own_item_nnz = by_item.nnz();

  // Lambdas, exactly as the single-process trainer computes them.
  std::vector<float> reg_u(nu_own), reg_i(by_item.rows);
  for (uint32_t u = 0; u < nu_own; ++u) reg_u[u] = als::RowRegularization(o, by_user.RowLength(u));
  for (uint32_t i = 0; i < by_item.rows; ++i) reg_i[i] = als::RowRegularization(o, item_counts[i0 + i]);

  // Bytes: what the all-gathers move, and the rows this partitioning really needs.
  {
    std::vector<char> seen(ni, 0);
    uint64_t foreign_items = 0, foreign_users = 0;
    for (uint32_t t : by_user.indices)
      if ((t < i0 || t >= i1) && !seen[t]) seen[t] = 1, ++foreign_items;
    std::vector<char> seen_u(nu, 0);
    for (uint32_t u : by_item.indices)
      if ((u < offset || u >= offset + nu_own) && !seen_u[u]) seen_u[u] = 1, ++foreign_users;
    st.min_bytes_received_per_iteration = (foreign_items + foreign_users) * ks * sizeof(float);
    st.bytes_received_per_iteration = (static_cast<uint64_t>(nu - nu_own) + (ni - st.own_items)) * ks * sizeof(float);
    st.bytes_sent_per_iteration =
        (static_cast<uint64_t>(nu_own) + st.own_items) * ks * sizeof(float) * static_cast<uint64_t>(ranks - 1);
  }

  // Initial factors: each rank its user rows, every rank the whole Y (same per-row streams).
  std::vector<float> x_own;
  als::InitFactorRows(x_own, offset, nu_own, k, SplitSeed(o.seed, 0), o.init_scale);
  std::vector<float>& x = res.user_factors;
  std::vector<float>& y = res.item_factors;
  x.assign(static_cast<size_t>(nu) * ks, 0.f);
  als::InitFactorRows(y, 0, ni, k, SplitSeed(o.seed, 1), o.init_scale);
  st.peak_rss_kb_after_load = PeakRssKb();
  st.setup_s = Since(t_setup);

  ByteBlock row_type(static_cast<int>(ks * sizeof(float)));
  const als::ConfidenceFn fn = als::PerEntryConfidence(o.confidence);
  std::vector<float> partial(ks * ks), gram(ks * ks);
  std::vector<double> sum(ks * ks);
  ExactGram exact_y(comm, rank, ranks, ni, k), exact_x(comm, rank, ranks, nu, k);
  if (ranks > 1) {
    if (gram_mode == GramMode::kExact) {
      st.bytes_received_per_iteration += exact_y.BytesReceived() + exact_x.BytesReceived();
      st.bytes_sent_per_iteration += exact_y.BytesSent(ranks) + exact_x.BytesSent(ranks);
    } else {
      st.bytes_received_per_iteration += 2 * ks * ks * sizeof(double);
      st.bytes_sent_per_iteration += 2 * ks * ks * sizeof(double);
    }
  }
  const std::span<float> y_own = std::span<float>(y).subspan(static_cast<size_t>(i0) * ks, static_cast<size_t>(st.own_items) * ks);
  auto gather_x = [&]() {
    std::copy(x_own.begin(), x_own.end(), x.begin() + static_cast<ptrdiff_t>(offset * ks));
    MPI_Allgatherv(MPI_IN_PLACE, 0, row_type.get(), x.data(), user_counts.data(), user_displs.data(), row_type.get(),
                   comm);
  };
  Progress bar("als (rank 0 of " + std::to_string(ranks) + ")", static_cast<size_t>(o.iterations),
               !(progress && rank == 0));
  for (int it = 0; it < o.iterations; ++it) {
    double compute = 0, comm_s = 0, wait = 0;
    if (gram_mode == GramMode::kExact) {
      exact_y.Compute(y, o.threads, gram, compute, comm_s);
    } else {
      AllReduceGram(comm, y_own, st.own_items, k, o.threads, partial, sum, gram, compute, comm_s);
    }
    auto t0 = Clock::now();
    als::HalfStep(by_user, fn, y, gram, x_own, reg_u, o);
    compute += Since(t0);
    t0 = Clock::now();
    MPI_Barrier(comm);  // load imbalance, measured apart from the transfer
    wait += Since(t0);
    t0 = Clock::now();
    gather_x();
    comm_s += Since(t0);
    if (gram_mode == GramMode::kExact) {
      exact_x.Compute(x, o.threads, gram, compute, comm_s);
    } else {
      AllReduceGram(comm, x_own, nu_own, k, o.threads, partial, sum, gram, compute, comm_s);
    }
    t0 = Clock::now();
    als::HalfStep(by_item, fn, x, gram, y_own, reg_i, o);
    compute += Since(t0);
    t0 = Clock::now();
    MPI_Barrier(comm);
    wait += Since(t0);
    t0 = Clock::now();
    MPI_Allgatherv(MPI_IN_PLACE, 0, row_type.get(), y.data(), item_rows.data(), item_displs.data(), row_type.get(),
                   comm);
    comm_s += Since(t0);
    st.compute_s.push_back(compute);
    st.comm_s.push_back(comm_s);
    st.wait_s.push_back(wait);
    bar.Update(static_cast<size_t>(it) + 1);
  }
  bar.Finish();
  if (o.iterations == 0) gather_x();
  st.peak_rss_kb_after_fit = PeakRssKb();
  res.own_indptr = std::move(by_user.indptr);
  res.own_indices = std::move(by_user.indices);
  return res;
}

}  // namespace hybridrec::dist
