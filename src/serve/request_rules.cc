#include "serve/request_rules.h"

#include <string>
#include <vector>

namespace hybridrec::serve {

Status ApplyRules(const Snapshot& snap, const RulesParams& params, int64_t now, ItemBitmap& eligible,
                  RankRequest& request) {
  if (!params.any()) return Status::Ok();
  const ItemAttributes& attrs = snap.Attributes();
  ItemRules& rules = request.rules;
  if (params.filters()) {
    FilterSpec spec;
    for (const auto& c : params.include) spec.include.push_back({c.attribute, c.values});
    for (const auto& c : params.exclude) spec.exclude.push_back({c.attribute, c.values});
    std::string unknown;
    size_t num_unknown = 0;
    for (const std::string& id : params.exclude_items) {
      if (const auto item = snap.FindItem(id)) {
        spec.exclude_items.push_back(*item);
      } else if (num_unknown++ < 5) {
        unknown += (unknown.empty() ? "'" : ", '") + id.substr(0, 64) + "'";
      }
    }
    if (num_unknown > 0)
      return Status::InvalidArgument("field 'exclude_items': unknown item " +
                                     std::string(num_unknown > 1 ? "ids " : "id ") + unknown +
                                     (num_unknown > 5 ? " and " + std::to_string(num_unknown - 5) + " more" : "") +
                                     " (leave out ids the catalogue does not have)");
    spec.added_since = params.added_since;
    HR_ASSIGN_OR_RETURN(eligible, attrs.Eligible(spec));
    rules.eligible = &eligible;
  }
  rules.new_boost = params.new_boost;
  rules.half_life_days = params.new_half_life_days;
  rules.now = now;
  rules.item_time = attrs.times();
  rules.newest = attrs.newest();
  rules.diversity = params.diversity;
  rules.calibration = params.calibration;
  rules.categories = &attrs.genres();
  return Status::Ok();
}

void AppendRulesMembers(JsonText& t, const RulesParams& p, const RankResponse& r, size_t k) {
  if (p.filters()) {
    t.Key("filters").BeginObject();
    for (const auto* group : {&p.include, &p.exclude}) {
      if (group->empty()) continue;
      t.Key(group == &p.include ? "include" : "exclude").BeginObject();
      for (const auto& c : *group) {
        t.Key(c.attribute).BeginArray();
        for (const std::string& v : c.values) t.String(v);
        t.EndArray();
      }
      t.EndObject();
    }
    if (!p.exclude_items.empty()) t.Key("exclude_items").Number(static_cast<uint64_t>(p.exclude_items.size()));
    if (p.added_since) t.Key("added_since").Number(static_cast<int64_t>(*p.added_since));
    t.Key("eligible").Number(static_cast<uint64_t>(r.eligible.value_or(0)));
    t.Key("short").Bool(r.items.size() < k);
    t.EndObject();
  }
  if (p.diversity > 0.f || p.calibration > 0.f) {
    t.Key("rerank").BeginObject();
    t.Key("diversity").Number(p.diversity);
    t.Key("calibration").Number(p.calibration);
    if (r.calibration_kl_before && r.calibration_kl_after) {
      t.Key("calibration_kl").BeginObject();
      t.Key("before").Number(*r.calibration_kl_before);
      t.Key("after").Number(*r.calibration_kl_after);
      t.EndObject();
    }
    t.EndObject();
  }
  if (p.new_boost > 0.f) {
    t.Key("new_boost").BeginObject();
    t.Key("weight").Number(p.new_boost);
    t.Key("half_life_days").Number(p.new_half_life_days);
    t.EndObject();
  }
}

}  // namespace hybridrec::serve
