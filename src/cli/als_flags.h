// Shared CLI flags for ALS hyper-parameters (train, evaluate): one place that maps flags onto
// AlsOptions, so the commands agree on names and defaults.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "collab/als.h"

namespace hybridrec::cli {

struct AlsFlags {
  AlsOptions options;          // defaults = AlsOptions defaults
  std::string solver = "cg";
  std::string confidence = "linear";

  void Add(CLI::App* sub) {
    sub->add_option("--factors", options.factors, "latent factors k")->capture_default_str();
    sub->add_option("--regularization", options.regularization, "lambda")->capture_default_str();
    sub->add_option("--reg-exponent", options.reg_exponent,
                    "frequency-scaled regularisation exponent nu (0 = constant lambda)")->capture_default_str();
    sub->add_option("--alpha", options.confidence.alpha, "confidence scale a in c = 1 + a*r")->capture_default_str();
    sub->add_option("--confidence", confidence, "confidence transform: linear|log|bm25")->capture_default_str();
    sub->add_option("--iterations", options.iterations, "ALS sweeps")->capture_default_str();
    sub->add_option("--solver", solver, "row solver: cg|cholesky")->capture_default_str();
    sub->add_option("--cg-steps", options.cg_steps, "conjugate-gradient steps per row")->capture_default_str();
    sub->add_option("--threads", options.threads, "worker threads (0 = all cores)")->capture_default_str();
    sub->add_option("--seed", options.seed, "random seed (saved with the model)")->capture_default_str();
  }
  // Resolves the string flags; returns an error message or "" when valid.
  std::string Finish() {
    auto s = ParseAlsSolver(solver);
    if (!s.ok()) return s.status().message();
    options.solver = *s;
    auto c = ParseConfidenceKind(confidence);
    if (!c.ok()) return c.status().message();
    options.confidence.kind = *c;
    try {
      options.Validate();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  }
};

}  // namespace hybridrec::cli
