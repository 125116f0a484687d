// `hybridrec recommend`: top-K items for one user of a trained model.
#include <iomanip>
#include <iostream>
#include <limits>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/topk.h"
#include "model/trained_model.h"

namespace hybridrec::cli {
namespace {

struct RecommendArgs {
  std::string model, user;
  int k = 10;
  bool json = false;
  bool include_seen = false;
};

int RunRecommend(const RecommendArgs& a) {
  auto tm = LoadTrainedModel(a.model);
  if (!tm.ok()) {
    std::cerr << "error: " << tm.status().message() << "\n";
    return 1;
  }
  const uint32_t n = tm->num_items();
  std::vector<float> scores(n);
  std::string path;
  const auto u = tm->users.Find(a.user);
  if (u) {
    tm->als->ScoreUser(*u, scores);
    path = "collab";
    if (!a.include_seen)
      for (uint32_t i : tm->history.RowIndices(*u)) scores[i] = -std::numeric_limits<float>::infinity();
  } else {
    // Unknown user: nothing to personalise on, so the popularity fallback (SPEC 5.6).
    tm->popularity->ScoreUser(0, scores);
    path = "popularity";
  }
  const auto top = TopK(scores, static_cast<size_t>(a.k));
  if (a.json) {
    nlohmann::json out = {{"user", a.user}, {"path", path}, {"known_user", u.has_value()}, {"items", nlohmann::json::array()}};
    for (uint32_t i : top)
      out["items"].push_back({{"id", tm->items.Id(i)}, {"title", tm->item_info[i].title}, {"score", scores[i]}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "user " << a.user << (u ? "" : " (unknown: popularity fallback)") << ", path " << path << "\n";
  for (size_t r = 0; r < top.size(); ++r) {
    const uint32_t i = top[r];
    std::cout << std::setw(3) << r + 1 << ". " << std::setw(8) << tm->items.Id(i) << "  " << std::fixed
              << std::setprecision(4) << std::setw(9) << scores[i] << "  " << tm->item_info[i].title << "\n";
  }
  return 0;
}

}  // namespace

void RegisterRecommend(CLI::App& app, CommandRegistry& reg) {
  auto args = std::make_shared<RecommendArgs>();
  CLI::App* sub = app.add_subcommand("recommend", "Top-K recommendations for a user of a trained model");
  sub->add_option("--model", args->model, "model directory written by `hybridrec train`")->required();
  sub->add_option("--user", args->user, "user id (as in the data files)")->required();
  sub->add_option("-k,--k", args->k, "number of items")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_flag("--include-seen", args->include_seen, "do not exclude the user's training items");
  sub->add_flag("--json", args->json, "print JSON");
  reg.Add(sub, [args] { return RunRecommend(*args); });
}

}  // namespace hybridrec::cli
