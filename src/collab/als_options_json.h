// AlsOptions <-> JSON: the one mapping used by the model manifest (so a loaded model folds in
// exactly as it was trained), evaluation "params" and tuning reports. Stateless; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "collab/als.h"
#include "core/status.h"

namespace hybridrec {

// Every hyper-parameter of `o` except run-time ones (threads, quiet, compute_loss).
nlohmann::ordered_json AlsOptionsToJson(const AlsOptions& o);
// Inverse of AlsOptionsToJson; optional fields take AlsOptions defaults. Corruption on a missing
// or invalid field (the message names it).
Result<AlsOptions> AlsOptionsFromJson(const nlohmann::json& j);

}  // namespace hybridrec
