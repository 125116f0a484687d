// `hybridrec simulate-experiment`: the online-experiment loop on a dataset, end to end through
// the service's handlers (serve/experiment_simulation.h). Splits the data (random, per user),
// trains a model on the train part, then runs
//  - A/B: arm A ranks by popularity (ranker overrides popularity_mix 1, popularity_T 1e5), arm
//    B is the trained (with --tune: tuned) hybrid; users click the shown items among their
//    held-out ones;
//  - --aa-runs A/A experiments (both arms the hybrid, a new salt each), counting those whose
//    CTR@K difference is significant at 5%.
// Prints the figures and writes them as JSON with --json.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "content/encoder_factory.h"
#include "data/loader.h"
#include "eval/split.h"
#include "eval/train_model.h"
#include "serve/experiment_simulation.h"

namespace hybridrec::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct SimArgs {
  std::string data;
  std::string out = "simulation";
  double test_fraction = 0.2;
  uint64_t seed = 0;
  float like_threshold = 4.f;
  int k = 10;
  int aa_runs = 100;
  size_t max_users = 0;
  bool tune = false;
  int factors = 64;
  int iterations = 15;
  std::string json_out;
  int exposure_flush_ms = 100;
  int latency_runs = 3;
  bool file_store = false;
};

std::string Interval(const json& d) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(4) << d["diff"].get<double>();
  if (!d["lo"].is_null())
    o << " [" << d["lo"].get<double>() << ", " << d["hi"].get<double>() << "], p = " << std::setprecision(3)
      << std::scientific << d["p_value"].get<double>();
  return o.str();
}

int RunSimulate(const SimArgs& a) {
  auto fail = [](const Status& s) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  };
  auto dataset = LoadDataset(a.data);
  if (!dataset.ok()) return fail(dataset.status());
  SplitOptions so;
  so.test_fraction = a.test_fraction;
  so.seed = a.seed;
  auto split = MakeSplit(*dataset, so);
  if (!split.ok()) return fail(split.status());
  Dataset train = *dataset;
  train.interactions = split->train;
  const fs::path model_dir = fs::path(a.out) / "model";
  TrainModelOptions to;
  to.als.factors = a.factors;
  to.als.iterations = a.iterations;
  to.als.seed = a.seed;
  to.tune = a.tune;
  to.tune_seed = a.seed;
  to.content_options.encoder.choice = *ParseEncoderChoice("lsa");
  std::cerr << "training on " << train.interactions.size() << " interactions" << (a.tune ? " (tuning)" : "") << "...\n";
  if (auto t = TrainModel(train, to, model_dir); !t.ok()) return fail(t.status());
  // The held-out items each user likes, in user order.
  std::map<uint32_t, serve::SimulatedUser> liked;
  for (const Interaction& i : split->test)
    if (i.strength >= a.like_threshold) {
      serve::SimulatedUser& u = liked[i.user];
      u.items.push_back(dataset->items.Id(i.item));
      u.strengths.push_back(i.strength);
    }
  std::vector<serve::SimulatedUser> users;
  for (auto& [u, sim] : liked) {
    if (a.max_users && users.size() >= a.max_users) break;
    sim.id = dataset->users.Id(u);
    users.push_back(std::move(sim));
  }
  std::cerr << users.size() << " simulated users with held-out items rated >= " << a.like_threshold << "\n";
  serve::SimulationOptions opt;
  opt.k = a.k;
  opt.exposure_flush_ms = a.exposure_flush_ms;

  auto ab = serve::ParseExperiment(R"({"name": "popularity-vs-hybrid", "salt": "sim-)" + std::to_string(a.seed) +
                                       R"(", "ctr_k": )" + std::to_string(a.k) + R"(, "conversion_min_strength": 5,
      "arms": [{"name": "A", "share": 0.5, "ranker": {"popularity_mix": 1, "popularity_T": 100000}},
               {"name": "B", "share": 0.5}]})",
                                   "(A/B simulation)");
  if (!ab.ok()) return fail(ab.status());
  auto res = serve::SimulateExperiment(model_dir, *ab, users, opt);
  if (!res.ok()) return fail(res.status());
  json out = {{"data", a.data}, {"users", users.size()}, {"k", a.k}, {"tuned", a.tune}, {"ab", res->report}};
  out["ab_requests"] = res->requests;
  out["ab_clicks"] = res->clicks;
  std::cout << "A/B (A popularity, B hybrid), " << users.size() << " users, k = " << a.k << ":\n";
  for (const json& arm : res->report["arms"])
    std::cout << "  arm " << arm["name"].get<std::string>() << ": " << arm["users"] << " users, CTR@" << a.k << " "
              << std::fixed << std::setprecision(4) << arm["ctr_at_k"]["mean"].get<double>() << " ["
              << arm["ctr_at_k"]["lo"].get<double>() << ", " << arm["ctr_at_k"]["hi"].get<double>()
              << "], conversions/user "
              << arm["conversions_per_user"]["mean"].get<double>() << "\n";
  if (const json* d = serve::ReportDifference(res->report, "ctr_at_k")) std::cout << "  B - A CTR@K: " << Interval(*d) << "\n";
  if (const json* d = serve::ReportDifference(res->report, "conversions_per_user"))
    std::cout << "  B - A conversions/user: " << Interval(*d) << "\n";

  // Latency added by the experiment and its exposure log: an A/A experiment (both arms the
  // model's ranker) against no experiment, batched and synchronous writes; the median of
  // `latency_runs` runs of each.
  auto same = serve::ParseExperiment(R"({"name": "latency", "salt": "l", "arms": [{"name": "A1", "share": 0.5},
      {"name": "A2", "share": 0.5}]})",
                                     "(latency)");
  json latency = json::object();
  for (const char* mode : {"no_experiment", "batched", "synchronous"}) {
    serve::SimulationOptions lo = opt;
    lo.run_experiment = std::string(mode) != "no_experiment";
    lo.exposure_flush_ms = std::string(mode) == "synchronous" ? 0 : opt.exposure_flush_ms;
    std::vector<double> med, p99;
    for (int r = 0; r < a.latency_runs; ++r) {
      if (a.file_store) {
        const fs::path db = fs::path(a.out) / "latency-events.sqlite";
        for (const char* ext : {"", "-wal", "-shm"}) fs::remove(db.string() + ext);
        lo.db = db.string();
      }
      auto run = serve::SimulateExperiment(model_dir, *same, users, lo);
      if (!run.ok()) return fail(run.status());
      med.push_back(run->median_request_ms);
      p99.push_back(run->p99_request_ms);
    }
    std::sort(med.begin(), med.end());
    std::sort(p99.begin(), p99.end());
    latency[mode] = {{"median_ms", med[med.size() / 2]}, {"p99_ms", p99[p99.size() / 2]}, {"runs", a.latency_runs}};
  }
  out["latency_ms"] = latency;
  std::cout << "request latency (median / p99 ms, median of " << a.latency_runs << " runs, "
            << (a.file_store ? "SQLite file in --out" : "in-memory SQLite") << "): no experiment "
            << latency["no_experiment"]["median_ms"] << " / " << latency["no_experiment"]["p99_ms"]
            << ", batched exposures " << latency["batched"]["median_ms"] << " / " << latency["batched"]["p99_ms"]
            << ", synchronous exposures " << latency["synchronous"]["median_ms"] << " / "
            << latency["synchronous"]["p99_ms"] << "\n";

  int significant = 0, runs = 0;
  json aa = json::array();
  for (int r = 0; r < a.aa_runs; ++r) {
    auto e = serve::ParseExperiment(R"({"name": "aa", "salt": "aa-)" + std::to_string(a.seed) + "-" +
                                        std::to_string(r) + R"(", "ctr_k": )" + std::to_string(a.k) + R"(,
        "arms": [{"name": "A1", "share": 0.5}, {"name": "A2", "share": 0.5}]})",
                                    "(A/A simulation)");
    if (!e.ok()) return fail(e.status());
    auto rr = serve::SimulateExperiment(model_dir, *e, users, opt);
    if (!rr.ok()) return fail(rr.status());
    const json* d = serve::ReportDifference(rr->report, "ctr_at_k");
    ++runs;
    const bool sig = d && !(*d)["p_value"].is_null() && (*d)["p_value"].get<double>() < 0.05;
    significant += sig;
    aa.push_back(d ? (*d)["p_value"] : json(nullptr));
    if ((r + 1) % 10 == 0) std::cerr << "A/A " << (r + 1) << "/" << a.aa_runs << ": " << significant << " significant\n";
  }
  if (runs > 0) {
    std::cout << "A/A: " << significant << " of " << runs << " runs significant at 5% (CTR@K, Welch z-test)\n";
    out["aa"] = {{"runs", runs}, {"significant_at_5pct", significant}, {"p_values", aa}};
  }
  if (!a.json_out.empty()) {
    std::ofstream f(a.json_out);
    f << out.dump(2) << "\n";
    if (!f) return fail(Status::IOError(a.json_out + ": cannot write"));
  }
  return 0;
}

}  // namespace

void RegisterSimulateExperiment(CLI::App& app, CommandRegistry& reg) {
  auto a = std::make_shared<SimArgs>();
  CLI::App* sub = app.add_subcommand(
      "simulate-experiment",
      "Simulate an online A/B test (popularity vs hybrid) and A/A tests with held-out interactions as users' clicks");
  sub->add_option("--data", a->data, "dataset directory (ml-100k, movielens-csv or generic layout)")->required();
  sub->add_option("--out", a->out, "working directory (the model trained on the train part goes to OUT/model)")
      ->capture_default_str();
  sub->add_option("--test-fraction", a->test_fraction, "held-out share of each user's interactions")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 0.9));
  sub->add_option("--seed", a->seed, "seed of the split, the training and the salts")->capture_default_str();
  sub->add_option("--like-threshold", a->like_threshold, "held-out interactions at least this strong are clicked")
      ->capture_default_str();
  sub->add_option("--k", a->k, "list length (and K of CTR@K)")->capture_default_str()->check(CLI::Range(1, 100));
  sub->add_option("--aa-runs", a->aa_runs, "A/A simulations")->capture_default_str()->check(CLI::Range(0, 10000));
  sub->add_option("--max-users", a->max_users, "simulate at most this many users (0: all)")->capture_default_str();
  sub->add_flag("--tune", a->tune, "tune the hybrid (ALS and fusion) on a validation split of the train part");
  sub->add_option("--factors", a->factors, "ALS factors")->capture_default_str()->check(CLI::Range(1, 1024));
  sub->add_option("--iterations", a->iterations, "ALS sweeps")->capture_default_str()->check(CLI::Range(1, 200));
  sub->add_option("--exposure-flush-ms", a->exposure_flush_ms, "exposure log flush interval (0: synchronous)")
      ->capture_default_str()
      ->check(CLI::Range(0, 60000));
  sub->add_option("--latency-runs", a->latency_runs, "runs of each latency measurement (the median is reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  sub->add_flag("--file-store", a->file_store,
                "measure latency over a SQLite file in --out (synchronous writes then wait for the disk)");
  sub->add_option("--json", a->json_out, "write the figures to this JSON file");
  reg.Add(sub, [a] { return RunSimulate(*a); });
}

}  // namespace hybridrec::cli
