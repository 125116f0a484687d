// `hybridrec fetch-data`: copies a MovieLens data set from a mirror (or downloads it) and
// verifies it. Thin: flags -> data/fetch.h.
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "data/fetch.h"

namespace hybridrec::cli {

void RegisterFetchData(CLI::App& app, CommandRegistry& reg) {
  struct Args {
    std::string name;
    std::string dest = "data";
    std::string mirror;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sub = app.add_subcommand(
      "fetch-data",
      "Get a MovieLens data set into DEST/NAME and verify every file's sha256. Copies from a local mirror "
      "(--mirror or $HYBRIDREC_DATA_MIRROR, a directory holding NAME/) when given, else downloads the "
      "official GroupLens zip (needs curl and unzip). Prints the data set directory.");
  sub->add_option("name", args->name, "data set: ml-100k or ml-latest-small")
      ->required()
      ->check(CLI::IsMember({"ml-100k", "ml-latest-small"}));
  sub->add_option("--dest", args->dest, "directory that receives NAME/")->capture_default_str();
  sub->add_option("--mirror", args->mirror, "local mirror directory holding NAME/ (overrides $HYBRIDREC_DATA_MIRROR)");
  reg.Add(sub, [args]() {
    std::optional<std::filesystem::path> mirror;
    if (!args->mirror.empty()) mirror = args->mirror;
    auto r = FetchDataset(args->name, args->dest, mirror, std::cerr);
    if (!r.ok()) {
      std::cerr << "error: " << r.status().message() << "\n";
      return 1;
    }
    std::cout << r->string() << "\n";
    return 0;
  });
}

}  // namespace hybridrec::cli
