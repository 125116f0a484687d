#include "cli/commands.h"

namespace hybridrec::cli {

void RegisterFetchData(CLI::App& app, CommandRegistry& reg);
void RegisterSynth(CLI::App& app, CommandRegistry& reg);
void RegisterTrain(CLI::App& app, CommandRegistry& reg);
void RegisterEvaluate(CLI::App& app, CommandRegistry& reg);
void RegisterRecommend(CLI::App& app, CommandRegistry& reg);
void RegisterFetchModel(CLI::App& app, CommandRegistry& reg);
void RegisterSearch(CLI::App& app, CommandRegistry& reg);
void RegisterServe(CLI::App& app, CommandRegistry& reg);
void RegisterToken(CLI::App& app, CommandRegistry& reg);
void RegisterSimulateExperiment(CLI::App& app, CommandRegistry& reg);

void RegisterAll(CLI::App& app, CommandRegistry& reg) {
  RegisterFetchData(app, reg);
  RegisterSynth(app, reg);
  RegisterTrain(app, reg);
  RegisterEvaluate(app, reg);
  RegisterRecommend(app, reg);
  RegisterFetchModel(app, reg);
  RegisterSearch(app, reg);
  RegisterServe(app, reg);
  RegisterToken(app, reg);
  RegisterSimulateExperiment(app, reg);
}

}  // namespace hybridrec::cli
