// The built-in ranking signals, in the order they enter the fused score.
//
// Adding a signal: write signal_<name>.{h,cc} (its options struct with VisitFields and Grid, the
// Signal subclass, a factory) and its test, add the options struct as a member of RankerOptions
// (ranker_options.h: the member and its VisitFields line), and add one line here. The ranker, the
// manifest, the command-line flags and the tuning grid need nothing else. A signal that is not a
// model option (an experiment, a test) can instead be handed to one ranker directly
// (HybridRanker's `extra_signals`).
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "ranking/option_fields.h"
#include "ranking/signal.h"

namespace hybridrec {

struct SignalRegistration {
  std::string_view name;
  // Null when the options turn the signal off or the model lacks what it needs.
  std::shared_ptr<const Signal> (*make)(const SignalInputs&, const RankerOptions&);
  // Its axes of the tuning grid for a protocol (may add none).
  void (*grid)(std::string_view protocol, const RankerOptions& base, std::vector<GridAxis>& out);
};

std::span<const SignalRegistration> BuiltinSignals();

// The built-in signals the options turn on, in registration order.
std::vector<std::shared_ptr<const Signal>> MakeSignals(const SignalInputs& in, const RankerOptions& options);

}  // namespace hybridrec
