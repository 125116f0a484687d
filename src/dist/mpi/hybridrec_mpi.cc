// hybridrec-mpi: distributed training over MPI (dist/mpi/dist_als.h).
//
//   mpirun -n R hybridrec-mpi train --shards DIR --out MODEL [ALS flags] [--recommend-out DIR]
//   hybridrec-mpi shard --data DATASET --shards N --out DIR
//
// Every message names the rank. A rank that fails prints its error and aborts the whole job
// (MPI_Abort), so mpirun exits non-zero within seconds instead of leaving the others waiting.
// Exit codes: 0 success, 1 runtime error, 2 bad usage.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "cli/als_flags.h"
#include "collab/als_model.h"
#include "content/encoder_factory.h"
#include "core/topk.h"
#include "data/loader.h"
#include "dist/mpi/dist_als.h"
#include "dist/shards.h"
#include "eval/train_model.h"
#include "index/index_factory.h"

namespace hybridrec::dist {
namespace {

int g_rank = 0, g_ranks = 1;

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "hybridrec-mpi: rank %d of %d: error: %s\n", g_rank, g_ranks, message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::exit(1);
}

void Info(bool quiet, const std::string& message) {
  if (quiet) return;
  std::fprintf(stderr, "hybridrec-mpi: rank %d of %d: %s\n", g_rank, g_ranks, message.c_str());
  std::fflush(stderr);
}

struct TrainArgs {
  std::string shards, out, recommend_out, stats, gram = "exact";
  size_t recommend_k = 10;
  cli::AlsFlags als;
  std::string encoder = "auto", minilm_dir, index = "auto";
  bool no_content = false, quiet = false, skip_bad_rows = false;
};

struct ShardArgs {
  std::string data, out, format = "auto";
  int shards = 2;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Rank 0 gathers every rank's user ids (in rank order) and checks that no user is in two ranks'
// shards. Returns the global id map on rank 0 (empty elsewhere).
IdMap GatherUserIds(const Dataset& shard) {
  std::string packed;
  for (const std::string& id : shard.users.ids()) {
    const auto len = static_cast<uint32_t>(id.size());
    packed.append(reinterpret_cast<const char*>(&len), sizeof len);
    packed += id;
  }
  if (packed.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    Fail("the user ids of this rank's shards exceed 2 GiB; use more ranks or shorter ids");
  const int mine = static_cast<int>(packed.size());
  std::vector<int> sizes(static_cast<size_t>(g_ranks)), displs(static_cast<size_t>(g_ranks));
  MPI_Gather(&mine, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::string all;
  if (g_rank == 0) {
    int64_t total = 0;
    for (int r = 0; r < g_ranks; ++r) {
      if (total + sizes[r] > std::numeric_limits<int>::max()) Fail("the user ids of all shards exceed 2 GiB");
      displs[r] = static_cast<int>(total);
      total += sizes[r];
    }
    all.resize(static_cast<size_t>(total));
  }
  MPI_Gatherv(packed.data(), mine, MPI_BYTE, all.data(), sizes.data(), displs.data(), MPI_BYTE, 0, MPI_COMM_WORLD);
  IdMap ids;
  if (g_rank != 0) return ids;
  size_t pos = 0;
  std::vector<int> rank_of;
  for (int r = 0; r < g_ranks; ++r) {
    const size_t end = static_cast<size_t>(displs[r]) + static_cast<size_t>(sizes[r]);
    while (pos < end) {
      uint32_t len = 0;
      std::memcpy(&len, all.data() + pos, sizeof len);
      pos += sizeof len;
      const std::string_view id(all.data() + pos, len);
      pos += len;
      const uint32_t before = ids.size();
      const uint32_t idx = ids.GetOrAdd(id);
      if (idx != before)
        Fail("user '" + std::string(id) + "' is in the shards of rank " + std::to_string(rank_of[idx]) +
             " and of rank " + std::to_string(r) + "; shard files must be split by user (hybridrec-mpi shard)");
      rank_of.push_back(r);
    }
  }
  return ids;
}

// Each rank writes recommendations-RRRRR.csv with its users' top-K unseen items.
void WriteRecommendations(const TrainArgs& a, const Dataset& shard, const DistAlsResult& fit, const AlsModel& model) {
  std::error_code ec;
  std::filesystem::create_directories(a.recommend_out, ec);
  char name[64];
  std::snprintf(name, sizeof name, "recommendations-%05d.csv", g_rank);
  const std::filesystem::path path = std::filesystem::path(a.recommend_out) / name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Fail(path.string() + ": cannot open for writing");
  std::fputs("user,rank,item,score\n", f);
  const uint32_t ni = fit.num_items;
  constexpr size_t kBlock = 64;
  std::vector<float> scores(kBlock * ni);
  std::vector<uint32_t> users, top;
  const uint32_t nu_own = shard.num_users();
  for (uint32_t b = 0; b < nu_own; b += kBlock) {
    const uint32_t e = std::min<uint32_t>(nu_own, b + static_cast<uint32_t>(kBlock));
    users.clear();
    for (uint32_t u = b; u < e; ++u) users.push_back(static_cast<uint32_t>(fit.stats.user_offset + u));
    std::span<float> out(scores.data(), users.size() * ni);
    model.ScoreUsers(users, out, ni);
    for (uint32_t u = b; u < e; ++u) {
      std::span<float> s = out.subspan(static_cast<size_t>(u - b) * ni, ni);
      for (uint64_t t = fit.own_indptr[u]; t < fit.own_indptr[u + 1]; ++t)
        s[fit.own_indices[t]] = -std::numeric_limits<float>::infinity();
      TopKInto(s, a.recommend_k, top);
      const std::string uid = CsvField(shard.users.Id(u));
      for (size_t r = 0; r < top.size(); ++r) {
        char tail[64];
        std::snprintf(tail, sizeof tail, ",%.6g\n", static_cast<double>(s[top[r]]));
        const std::string line = uid + "," + std::to_string(r + 1) + "," + CsvField(shard.items.Id(top[r])) + tail;
        std::fwrite(line.data(), 1, line.size(), f);
      }
    }
  }
  if (std::fclose(f) != 0) Fail(path.string() + ": write failed (disk full?)");
}

int RunTrain(TrainArgs& a) {
  if (std::string err = a.als.Finish(); !err.empty()) {
    if (g_rank == 0) std::fprintf(stderr, "error: %s\n", err.c_str());
    return 2;
  }
  if (a.gram != "exact" && a.gram != "allreduce") {
    if (g_rank == 0) std::fprintf(stderr, "error: --gram must be exact or allreduce\n");
    return 2;
  }
  if (a.out.empty() && a.recommend_out.empty()) {
    if (g_rank == 0) std::fprintf(stderr, "error: nothing to write: give --out and/or --recommend-out\n");
    return 2;
  }
  TrainModelOptions o;
  o.content = !a.no_content;
  o.quiet = a.quiet;
  if (!a.no_content) {
    auto choice = ParseEncoderChoice(a.encoder);
    if (!choice.ok()) Fail(choice.status().message());
    o.content_options.encoder.choice = *choice;
    o.content_options.encoder.minilm_dir = a.minilm_dir;
    auto kind = ParseIndexKind(a.index);
    if (!kind.ok()) Fail(kind.status().message());
    o.content_options.index.kind = *kind;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto files = ListShardFiles(a.shards);
  if (!files.ok()) Fail(files.status().message());
  const auto [first, last] = FilesOfRank(files->size(), g_rank, g_ranks);
  LoadOptions lo;
  lo.skip_bad_rows = a.skip_bad_rows;
  auto read = ReadShards(a.shards, std::span(*files).subspan(first, last - first), lo);
  if (!read.ok()) Fail(read.status().message());
  Dataset& shard = *read;
  const double read_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Info(a.quiet, "read " + std::to_string(last - first) + " shard files: " + std::to_string(shard.num_users()) +
                    " users, " + std::to_string(shard.interactions.size()) + " interactions in " +
                    std::to_string(read_s) + " s");
  // Timestamp columns must agree across ranks (ranks without rows do not vote).
  {
    int votes[2] = {shard.has_timestamps && !shard.interactions.empty(),
                    !shard.has_timestamps && !shard.interactions.empty()};
    MPI_Allreduce(MPI_IN_PLACE, votes, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (votes[0] && votes[1]) Fail("the shard files disagree on the timestamp column; every shard needs the same header");
    shard.has_timestamps = votes[0] != 0;
  }
  IdMap users = GatherUserIds(shard);

  AlsOptions als = a.als.options;
  als.quiet = a.quiet;
  auto fit = FitDistributed(MPI_COMM_WORLD, shard, als, a.gram == "allreduce" ? GramMode::kAllReduce : GramMode::kExact,
                            !a.quiet);
  if (!fit.ok()) Fail(fit.status().message());
  const DistAlsStats& st = fit->stats;
  const double fit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - read_s;
  Info(a.quiet, "fitted " + std::to_string(st.own_users) + " users and " + std::to_string(st.own_items) +
                    " items (" + std::to_string(st.own_user_nnz) + " + " + std::to_string(st.own_item_nnz) +
                    " entries); median iteration compute " + std::to_string(Median(st.compute_s)) + " s, comm " +
                    std::to_string(Median(st.comm_s)) + " s, wait " + std::to_string(Median(st.wait_s)) +
                    " s; peak RSS " + std::to_string(st.peak_rss_kb_after_fit / 1024) + " MiB");

  // Per-rank figures to rank 0.
  constexpr int kFields = 14;
  const double mine[kFields] = {static_cast<double>(st.own_users), static_cast<double>(st.own_items),
                                static_cast<double>(st.own_user_nnz), static_cast<double>(st.own_item_nnz),
                                static_cast<double>(st.bytes_received_per_iteration),
                                static_cast<double>(st.bytes_sent_per_iteration),
                                static_cast<double>(st.min_bytes_received_per_iteration),
                                static_cast<double>(st.shuffle_bytes_sent), Median(st.compute_s), Median(st.comm_s),
                                Median(st.wait_s), static_cast<double>(st.peak_rss_kb_after_load),
                                static_cast<double>(st.peak_rss_kb_after_fit), st.setup_s};
  std::vector<double> all(static_cast<size_t>(kFields) * static_cast<size_t>(g_ranks));
  MPI_Gather(mine, kFields, MPI_DOUBLE, all.data(), kFields, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  // Per-iteration times of every rank (same count everywhere).
  const int iters = static_cast<int>(st.compute_s.size());
  std::vector<double> times(3 * static_cast<size_t>(iters));
  std::copy(st.compute_s.begin(), st.compute_s.end(), times.begin());
  std::copy(st.comm_s.begin(), st.comm_s.end(), times.begin() + iters);
  std::copy(st.wait_s.begin(), st.wait_s.end(), times.begin() + 2 * iters);
  std::vector<double> all_times(times.size() * static_cast<size_t>(g_ranks));
  MPI_Gather(times.data(), 3 * iters, MPI_DOUBLE, all_times.data(), 3 * iters, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  nlohmann::json dist = {{"ranks", g_ranks}, {"gram", a.gram}, {"fit_s", fit_s}, {"read_s", read_s}, {"per_rank", nlohmann::json::array()}};
  if (g_rank == 0) {
    const char* names[kFields] = {"users", "items", "user_nnz", "item_nnz", "bytes_received_per_iteration",
                                  "bytes_sent_per_iteration", "min_bytes_received_per_iteration",
                                  "shuffle_bytes_sent", "median_compute_s", "median_comm_s", "median_wait_s",
                                  "peak_rss_kb_after_load", "peak_rss_kb_after_fit", "setup_s"};
    for (int r = 0; r < g_ranks; ++r) {
      nlohmann::json j;
      for (int f = 0; f < kFields; ++f) j[names[f]] = all[static_cast<size_t>(r) * kFields + static_cast<size_t>(f)];
      const double* t = all_times.data() + static_cast<size_t>(r) * 3 * static_cast<size_t>(iters);
      j["compute_s"] = std::vector<double>(t, t + iters);
      j["comm_s"] = std::vector<double>(t + iters, t + 2 * iters);
      j["wait_s"] = std::vector<double>(t + 2 * iters, t + 3 * iters);
      dist["per_rank"].push_back(j);
    }
  }

  AlsModel model(als, fit->num_users, fit->num_items, std::move(fit->user_factors), std::move(fit->item_factors));
  if (!a.recommend_out.empty()) {
    WriteRecommendations(a, shard, *fit, model);
    Info(a.quiet, "wrote the top-" + std::to_string(a.recommend_k) + " of its users under " + a.recommend_out);
  }

  if (!a.out.empty()) {
    // Rank 0 assembles the dataset (catalogue, users, interactions) for the model directory.
    std::vector<Interaction> mine_rows = std::move(shard.interactions);
    for (Interaction& x : mine_rows) x.user = static_cast<uint32_t>(st.user_offset + x.user);
    MPI_Datatype row;
    MPI_Type_contiguous(static_cast<int>(sizeof(Interaction)), MPI_BYTE, &row);
    MPI_Type_commit(&row);
    if (mine_rows.size() > static_cast<size_t>(std::numeric_limits<int>::max())) Fail("more than 2^31 interactions on one rank");
    const int n = static_cast<int>(mine_rows.size());
    std::vector<int> counts(static_cast<size_t>(g_ranks)), displs(static_cast<size_t>(g_ranks));
    MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    Dataset d;
    if (g_rank == 0) {
      int64_t total = 0;
      for (int r = 0; r < g_ranks; ++r) {
        if (total + counts[r] > std::numeric_limits<int>::max()) Fail("more than 2^31 interactions to gather on rank 0");
        displs[r] = static_cast<int>(total);
        total += counts[r];
      }
      d.interactions.resize(static_cast<size_t>(total));
    }
    MPI_Gatherv(mine_rows.data(), n, row, d.interactions.data(), counts.data(), displs.data(), row, 0, MPI_COMM_WORLD);
    MPI_Type_free(&row);
    std::vector<Interaction>().swap(mine_rows);
    if (g_rank == 0) {
      d.name = shard.name;
      d.format = "generic";
      d.items = std::move(shard.items);
      d.item_info = std::move(shard.item_info);
      d.users = std::move(users);
      d.has_timestamps = shard.has_timestamps;
      o.extra_manifest["distributed"] = dist;
      o.fitted_als = &model;
      auto trained = TrainModel(d, o, a.out, a.quiet ? nullptr : &std::cerr);
      if (!trained.ok()) Fail(trained.status().message());
      std::cout << "trained " << d.num_users() << " users x " << d.num_items() << " items ("
                << d.interactions.size() << " interactions) on " << g_ranks << " ranks in " << fit_s << " s";
      if (!trained->content_description.empty()) std::cout << "; " << trained->content_description;
      std::cout << "; model written to " << a.out << "\n";
    }
  }
  if (g_rank == 0 && !a.stats.empty()) {
    std::ofstream f(a.stats);
    f << dist.dump(2) << "\n";
    if (!f) Fail(a.stats + ": cannot write");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return 0;
}

int RunShard(const ShardArgs& a) {
  if (g_rank != 0) return 0;
  LoadOptions lo;
  lo.format = a.format;
  auto d = LoadDataset(a.data, lo);
  if (!d.ok()) Fail(d.status().message());
  std::filesystem::path items;
  if (d->format == "generic" && std::filesystem::exists(std::filesystem::path(a.data) / "items.csv"))
    items = std::filesystem::path(a.data) / "items.csv";
  if (Status s = WriteShards(*d, a.shards, a.out, items); !s.ok()) Fail(s.message());
  std::cout << "wrote " << a.shards << " shards of " << d->num_users() << " users (" << d->interactions.size()
            << " interactions) to " << a.out << "\n";
  return 0;
}

}  // namespace
}  // namespace hybridrec::dist

int main(int argc, char** argv) {
  using namespace hybridrec::dist;
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_ranks);
  CLI::App app{"hybridrec-mpi: distributed ALS training over MPI"};
  app.require_subcommand(1);
  TrainArgs ta;
  ShardArgs sa;
  CLI::App* train = app.add_subcommand("train", "fit ALS on a shard directory across the MPI ranks");
  train->add_option("--shards", ta.shards, "shard directory: items.csv and interactions-*.csv split by user")->required();
  train->add_option("--out", ta.out, "model directory to write (rank 0; replaced atomically)");
  train->add_option("--recommend-out", ta.recommend_out,
                    "directory for every user's top-K unseen items (collaborative), one file per rank");
  train->add_option("--k", ta.recommend_k, "recommendations per user with --recommend-out")->capture_default_str();
  train->add_option("--stats", ta.stats, "JSON file (rank 0) with per-rank timings, bytes and peak memory");
  train->add_option("--gram", ta.gram,
                    "exact: Gram matrices summed as one process sums them (bit-identical factors); "
                    "allreduce: all-reduce of per-rank Grams (fewer bytes, ~1e-6 drift)")
      ->capture_default_str();
  train->add_flag("--skip-bad-rows", ta.skip_bad_rows, "skip (and count) malformed rows instead of failing");
  train->add_option("--encoder", ta.encoder, "item text encoder: auto|minilm|lsa")->capture_default_str();
  train->add_option("--minilm-dir", ta.minilm_dir, "MiniLM model folder (default models/all-MiniLM-L6-v2)");
  train->add_option("--index", ta.index, "vector index: auto|flat|hnsw")->capture_default_str();
  train->add_flag("--no-content", ta.no_content, "collaborative only: skip the content layer");
  train->add_flag("-q,--quiet", ta.quiet, "no progress output");
  ta.als.Add(train);
  CLI::App* shard = app.add_subcommand("shard", "split a dataset into a shard directory (one process)");
  shard->add_option("--data", sa.data, "dataset directory (ml-100k, MovieLens CSV or generic layout)")->required();
  shard->add_option("--out", sa.out, "shard directory to write")->required();
  shard->add_option("--shards", sa.shards, "number of interaction files")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  shard->add_option("--format", sa.format, "auto|ml-100k|movielens-csv|generic")->capture_default_str();
  int rc = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    rc = g_rank == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 2);
    MPI_Finalize();
    return rc == 0 ? 0 : 2;
  }
  try {
    rc = train->parsed() ? RunTrain(ta) : RunShard(sa);
  } catch (const std::exception& e) {
    Fail(e.what());
  }
  MPI_Finalize();
  return rc;
}
