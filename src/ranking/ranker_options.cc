#include "ranking/ranker_options.h"

#include <set>

#include "ranking/signal_registry.h"

namespace hybridrec {

nlohmann::json RankerOptionsToJson(const RankerOptions& o) {
  nlohmann::json j = nlohmann::json::object();
  FieldsToJson(o, j);
  return j;
}

Result<RankerOptions> RankerOptionsFromJson(const nlohmann::json& j) {
  RankerOptions o;
  try {
    if (!j.is_object()) throw std::invalid_argument("must be a JSON object");
    std::set<std::string> known = {"exclude_seen", "explain_items"};  // per-request keys older models stored
    RankerOptions::VisitFields(o, [&](const FieldSpec& f, const auto&) { known.insert(std::string(f.key)); });
    for (const auto& [key, value] : j.items())
      if (!known.count(key)) throw std::invalid_argument("unknown parameter \"" + key + "\"");
    FieldsFromJson(j, o);
    o.Validate();
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("ranker parameters in the manifest: ") + e.what());
  }
  return o;
}

std::vector<GridAxis> DefaultGridAxes(std::string_view protocol, const RankerOptions& base) {
  std::vector<GridAxis> axes;
  auto add = [&](std::string name, auto values, auto apply) {
    GridAxis a{std::move(name), {}};
    for (auto v : values) a.values.push_back([v, apply](RankerOptions& o) { apply(o, v); });
    axes.push_back(std::move(a));
  };
  const bool cold_users = protocol == "cold-users";
  const bool cold_items = protocol == "cold-items";
  add("candidates", cold_users ? std::vector<size_t>{200} : std::vector<size_t>{100, 200},
      [](RankerOptions& o, size_t v) { o.candidates = v; });
  add("T", std::vector<float>{1.f, 5.f, 10.f, 20.f, 50.f}, [](RankerOptions& o, float v) { o.T = v; });
  add("w_max",
      cold_items ? std::vector<float>{0.3f, 0.5f, 0.7f, 0.85f, 1.f} : std::vector<float>{0.5f, 0.7f, 0.85f, 1.f},
      [](RankerOptions& o, float v) { o.w_max = v; });
  if (cold_items) {
    // The content-to-factor map off, or on with ridge 1 or 10.
    add("map_cold_items", std::vector<std::pair<bool, float>>{{false, 1.f}, {true, 1.f}, {true, 10.f}},
        [](RankerOptions& o, std::pair<bool, float> v) {
          o.map_cold_items = v.first;
          o.map_ridge = v.second;
        });
  }
  for (const SignalRegistration& r : BuiltinSignals()) r.grid(protocol, base, axes);
  return axes;
}

}  // namespace hybridrec
