#include "ranking/signal_registry.h"

#include "ranking/ranker_options.h"
#include "ranking/signal_content.h"

namespace hybridrec {
namespace {

void NoGrid(std::string_view, const RankerOptions&, std::vector<GridAxis>&) {}

constexpr SignalRegistration kSignals[] = {
    {"collab", MakeCollabSignal, CollabOptions::Grid},
    {"content", MakeContentSignal, NoGrid},
    {"popularity", MakePopularitySignal, PopularityOptions::Grid},
    {"recent", MakeRecentSignal, RecentOptions::Grid},
    {"cooccurrence", MakeCooccurrenceSignal, CooccurrenceOptions::Grid},
    {"fresh", MakeFreshSignal, NoGrid},
};

}  // namespace

std::span<const SignalRegistration> BuiltinSignals() { return kSignals; }

std::vector<std::shared_ptr<const Signal>> MakeSignals(const SignalInputs& in, const RankerOptions& options) {
  std::vector<std::shared_ptr<const Signal>> out;
  for (const SignalRegistration& r : kSignals)
    if (auto s = r.make(in, options)) out.push_back(std::move(s));
  return out;
}

}  // namespace hybridrec
