// `hybridrec synth`: writes a synthetic generic-layout data set with power-law item popularity
// for scale tests. Thin: flags -> data/synth.h.
#include <chrono>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "data/synth.h"

namespace hybridrec::cli {

void RegisterSynth(CLI::App& app, CommandRegistry& reg) {
  struct Args {
    SynthOptions options;
    std::string out, shape;
  };
  auto args = std::make_shared<Args>();
  SynthOptions& o = args->options;
  CLI::App* sub = app.add_subcommand(
      "synth",
      "Write a synthetic data set (generic layout: interactions.csv + items.csv) with power-law item "
      "popularity, skewed user activity and exactly NNZ distinct (user, item) rows. Deterministic per seed.");
  CLI::Option* shape = sub->add_option("--shape", args->shape,
                                       "a named shape: ml25m (162,541 users x 59,047 items x 25,000,095), netflix "
                                       "(480,189 x 17,770 x 100,480,507) or catalogue (1,000,000 x 1,000,000 x "
                                       "50,000,000); sets --users, --items, --nnz and --topics");
  sub->add_option("--users", o.users, "number of users (each gets >= 1 interaction)")
      ->check(CLI::PositiveNumber)
      ->excludes(shape);
  sub->add_option("--items", o.items, "number of items")->check(CLI::PositiveNumber)->excludes(shape);
  sub->add_option("--nnz", o.nnz, "number of interactions (users <= nnz <= users * items)")->excludes(shape);
  sub->add_option("--topics", o.topics,
                  "topics that drive item titles, genres, tags and who interacts with what (0: none, titles "
                  "\"Item N\")")
      ->capture_default_str();
  sub->add_option("--topic-affinity", o.topic_affinity, "share of a user's interactions drawn from their two topics")
      ->capture_default_str();
  sub->add_option("--zipf", o.zipf, "item popularity exponent: P(rank r) ~ (r + 1)^-zipf")->capture_default_str();
  sub->add_option("--user-zipf", o.user_zipf, "user activity exponent")->capture_default_str();
  sub->add_option("--seed", o.seed, "random seed")->capture_default_str();
  sub->add_option("--out", args->out, "output directory (created if missing)")->required();
  reg.Add(sub, [args, sub]() {
    if (!args->shape.empty()) {
      const uint32_t topics = args->options.topics;
      if (!ApplySynthShape(args->shape, args->options)) {
        std::cerr << "error: --shape: unknown shape '" << args->shape << "'; known: " << SynthShapeNames() << "\n";
        return 2;
      }
      if (sub->count("--topics") > 0) args->options.topics = topics;
    } else if (sub->count("--users") == 0 || sub->count("--items") == 0 || sub->count("--nnz") == 0) {
      std::cerr << "error: give --shape NAME, or all of --users, --items and --nnz\n";
      return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const Status st = WriteSyntheticDataset(args->options, args->out);
    if (!st.ok()) {
      std::cerr << "error: " << st.message() << "\n";
      return 1;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cerr << "wrote " << args->options.nnz << " interactions (" << args->options.users << " users x "
              << args->options.items << " items) to " << args->out << " in " << secs << " s\n";
    std::cout << args->out << "\n";
    return 0;
  });
}

}  // namespace hybridrec::cli
