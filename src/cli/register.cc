#include "cli/commands.h"

namespace hybridrec::cli {

void RegisterAll(CLI::App& app, CommandRegistry& reg) {
  (void)app;
  (void)reg;
}

}  // namespace hybridrec::cli
