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
    std::string out;
  };
  auto args = std::make_shared<Args>();
  SynthOptions& o = args->options;
  CLI::App* sub = app.add_subcommand(
      "synth",
      "Write a synthetic data set (generic layout: interactions.csv + items.csv) with power-law item "
      "popularity, skewed user activity and exactly NNZ distinct (user, item) rows. Deterministic per seed.");
  sub->add_option("--users", o.users, "number of users (each gets >= 1 interaction)")
      ->required()
      ->check(CLI::PositiveNumber);
  sub->add_option("--items", o.items, "number of items")->required()->check(CLI::PositiveNumber);
  sub->add_option("--nnz", o.nnz, "number of interactions (users <= nnz <= users * items)")->required();
  sub->add_option("--zipf", o.zipf, "item popularity exponent: P(rank r) ~ (r + 1)^-zipf")->capture_default_str();
  sub->add_option("--user-zipf", o.user_zipf, "user activity exponent")->capture_default_str();
  sub->add_option("--seed", o.seed, "random seed")->capture_default_str();
  sub->add_option("--out", args->out, "output directory (created if missing)")->required();
  reg.Add(sub, [args]() {
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
