// hybridrec command-line entry point: dispatches to one subcommand per file (cmd_*.cc).
// Exit codes: 0 success, 1 runtime error (one-line message on stderr), 2 bad usage.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"hybridrec: hybrid (content + collaborative) top-K recommender"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "hybridrec 0.1.0");
  hybridrec::cli::CommandRegistry reg;
  hybridrec::cli::RegisterAll(app, reg);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    return reg.Run();
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
