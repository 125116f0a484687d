// Registration of CLI subcommands. Each cmd_*.cc defines a Register<Name>(app, reg) that adds
// its CLI11 subcommand and a callback; main() runs the one that was selected.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace hybridrec::cli {

class CommandRegistry {
 public:
  void Add(CLI::App* sub, std::function<int()> run) { cmds_.push_back({sub, std::move(run)}); }
  int Run() const {
    for (const auto& c : cmds_)
      if (c.sub->parsed()) return c.run();
    return 2;
  }

 private:
  struct Cmd { CLI::App* sub; std::function<int()> run; };
  std::vector<Cmd> cmds_;
};

void RegisterAll(CLI::App& app, CommandRegistry& reg);

}  // namespace hybridrec::cli
