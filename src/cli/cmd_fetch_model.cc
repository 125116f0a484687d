// hybridrec fetch-model all-MiniLM-L6-v2 [--dest DIR] [--mirror DIR]
// Thin wrapper over FetchModel (content/minilm/fetch_model.h).
#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "content/minilm/fetch_model.h"

namespace hybridrec::cli {

void RegisterFetchModel(CLI::App& app, CommandRegistry& reg) {
  struct Args {
    std::string model;
    std::string dest;
    std::string mirror;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "fetch-model", "Download the MiniLM sentence encoder (config.json, vocab.txt, model.safetensors) from the "
                     "Hugging Face hub, or copy it from a mirror folder");
  sub->add_option("model", args->model, "Model name (supported: all-MiniLM-L6-v2)")->required();
  sub->add_option("--dest", args->dest, "Destination folder (default: models/<model>)");
  sub->add_option("--mirror", args->mirror,
                  "Copy from this local folder instead of downloading (default: $HYBRIDREC_MODEL_MIRROR if set)");
  reg.Add(sub, [args]() {
    FetchModelOptions o;
    o.model = args->model;
    o.dest = args->dest;
    o.mirror = args->mirror;
    if (o.mirror.empty()) {
      if (const char* env = std::getenv("HYBRIDREC_MODEL_MIRROR"); env != nullptr && *env != '\0') o.mirror = env;
    }
    auto r = FetchModel(o, &std::cerr);
    if (!r.ok()) {
      std::cerr << "error: " << r.status().message() << "\n";
      return 1;
    }
    return 0;
  });
}

}  // namespace hybridrec::cli
