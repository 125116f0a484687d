// A simulated online experiment, end to end through the service's own handlers (no sockets):
// simulated users whose "true" preferences are held-out interactions ask for their
// recommendations, get their arm's list (GET /v1/users/{id}/recommendations), and click
// (POST /v1/events with the response's request_id) the shown items that are in their held-out
// set; then the experiment's report is read back (GET /v1/experiments/{name}), computed from
// the exposures and events the service stored.
//
// Each simulation runs on its own event store (by default SQLite ":memory:") over the model
// directory, so runs are independent. Users arrive one after another on a simulated clock
// (seconds_per_user apart), which stamps the exposures and the clicks.
// Thread-safety: one call per thread; calls share nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "serve/experiments.h"

namespace hybridrec::serve {

struct SimulatedUser {
  std::string id;                  // external user id (known to the model)
  std::vector<std::string> items;  // held-out external item ids: the items the user would click
  std::vector<float> strengths;    // the strength each click is posted with (empty: 1)
};

struct SimulationOptions {
  int k = 10;                       // list length asked for
  int64_t start_time = 1700000000;  // simulated clock at the first user (seconds since the epoch)
  int64_t seconds_per_user = 10;
  int exposure_flush_ms = 100;      // exposure log flush interval (0: synchronous)
  bool run_experiment = true;       // false: the same requests with no experiment (latency baseline)
  std::string db = ":memory:";      // event store location (store/event_store.h OpenEventStore); must be empty
};

struct SimulationOutcome {
  nlohmann::json report;            // GET /v1/experiments/{name} (null without the experiment)
  size_t requests = 0;              // lists served
  size_t clicks = 0;                // events posted
  double median_request_ms = 0;     // of the recommendation requests
  double p99_request_ms = 0;
  double seconds = 0;               // wall time of the whole simulation
};

Result<SimulationOutcome> SimulateExperiment(const std::filesystem::path& model_dir, const Experiment& experiment,
                                             const std::vector<SimulatedUser>& users,
                                             const SimulationOptions& options = {});

// The difference of `metric` for the second arm in a report, or null.
const nlohmann::json* ReportDifference(const nlohmann::json& report, std::string_view metric);

}  // namespace hybridrec::serve
