// `hybridrec recommend` and `hybridrec similar`: read a trained model directory and print the
// hybrid ranker's answer: path taken, weight used, component scores and, on request,
// the history items that explain each recommendation.
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/parallel.h"
#include "model/batch_recommend.h"
#include "model/rank_query.h"
#include "model/trained_model.h"
#include "ranking/signal_registry.h"
#include "ranking/hybrid_ranker.h"
#include "ranking/item_filter.h"

namespace hybridrec::cli {
namespace {

struct RecommendArgs {
  std::string model, user, items;
  int k = 10;
  bool all_users = false;  // every user of the model, through the batch path
  std::string out;         // --all-users: CSV file ("-" or empty: stdout)
  int threads = 0;
  bool json = false, include_seen = false, explain = false;
  // Filters, new-item boost, re-ranking (item_filter.h).
  std::vector<std::string> include, exclude;  // ATTR=V1,V2
  std::string exclude_items, added_since;
  float new_boost = 0.f, diversity = 0.f, calibration = 0.f;
  double half_life = 30.0;
  bool filters() const {
    return !include.empty() || !exclude.empty() || !exclude_items.empty() || !added_since.empty();
  }
  bool rules() const { return filters() || new_boost > 0.f || diversity > 0.f || calibration > 0.f; }
};

// "ATTR=V1,V2" of --include / --exclude.
Result<FilterSpec::Clause> ParseClause(const char* flag, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    return Status::InvalidArgument(std::string(flag) + " '" + text +
                                   "': give ATTRIBUTE=VALUE[,VALUE...], e.g. genre=Comedy");
  FilterSpec::Clause c;
  c.attribute = text.substr(0, eq);
  HR_ASSIGN_OR_RETURN(c.values, SplitList(flag, std::string_view(text).substr(eq + 1), 256));
  return c;
}

// The request's rules over the model's catalogue; `eligible` holds the filter's bitmap.
Status BuildRules(const TrainedModel& tm, const ItemAttributes& attrs, const RecommendArgs& a, ItemBitmap& eligible,
                  RankRequest& request) {
  ItemRules& rules = request.rules;
  if (a.filters()) {
    FilterSpec spec;
    for (const std::string& t : a.include) {
      HR_ASSIGN_OR_RETURN(auto c, ParseClause("--include", t));
      spec.include.push_back(std::move(c));
    }
    for (const std::string& t : a.exclude) {
      HR_ASSIGN_OR_RETURN(auto c, ParseClause("--exclude", t));
      spec.exclude.push_back(std::move(c));
    }
    if (!a.exclude_items.empty()) {
      HR_ASSIGN_OR_RETURN(auto ids, SplitList("--exclude-items", a.exclude_items, 100000));
      for (const std::string& id : ids) {
        const auto idx = tm.items.Find(id);
        if (!idx) return Status::NotFound("--exclude-items: unknown item id '" + id + "'");
        spec.exclude_items.push_back(*idx);
      }
    }
    if (!a.added_since.empty()) {
      HR_ASSIGN_OR_RETURN(int64_t t, ParseDateTime("--added-since", a.added_since));
      spec.added_since = t;
    }
    auto el = attrs.Eligible(spec);
    if (!el.ok()) {
      // "field 'include_genre': ..." -> "--include genre: ..."
      std::string msg = el.status().message();
      for (const char* kind : {"include", "exclude"}) {
        const std::string from = std::string("field '") + kind + "_";
        if (msg.starts_with(from)) {
          const auto end = msg.find("': ");
          if (end != std::string::npos)
            msg = "--" + std::string(kind) + " " + msg.substr(from.size(), end - from.size()) + ": " +
                  msg.substr(end + 3);
        }
      }
      return Status::InvalidArgument(msg);
    }
    eligible = std::move(el).value();
    rules.eligible = &eligible;
  }
  rules.new_boost = a.new_boost;
  rules.half_life_days = a.half_life;
  rules.now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  rules.item_time = attrs.times();
  rules.newest = attrs.newest();
  rules.diversity = a.diversity;
  rules.calibration = a.calibration;
  rules.categories = &attrs.genres();
  return Status::Ok();
}

nlohmann::json OptJson(const std::optional<float>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

// Parses "ID[:strength],ID..." into (item, strength) pairs; unknown ids are an error naming them.
Result<std::vector<HistoryEntry>> ParseItems(const TrainedModel& tm, const std::string& list) {
  std::vector<HistoryEntry> out;
  std::stringstream ss(list);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (tok.empty()) continue;
    float strength = 1.f;
    if (const auto colon = tok.rfind(':'); colon != std::string::npos) {
      try {
        size_t used = 0;
        strength = std::stof(tok.substr(colon + 1), &used);
        if (used != tok.size() - colon - 1 || !(strength > 0.f) || !std::isfinite(strength)) throw std::invalid_argument("");
      } catch (const std::exception&) {
        return Status::InvalidArgument("--items: '" + tok + "': strength after ':' must be a positive number");
      }
      tok.resize(colon);
    }
    const auto idx = tm.items.Find(tok);
    if (!idx) return Status::NotFound("--items: unknown item id '" + tok + "'");
    out.emplace_back(*idx, strength);
  }
  if (out.empty()) return Status::InvalidArgument("--items: give at least one item id");
  return out;
}

void PrintReasons(const TrainedModel& tm, const char* label, std::span<const Contribution> reasons) {
  if (reasons.empty()) return;
  std::cout << "       " << label << ":";
  for (const auto& c : reasons)
    std::cout << "  " << tm.item_info[c.history_item].title << " (" << std::setprecision(3) << c.value << ")";
  std::cout << "\n";
}

// --all-users: every user's top-k as CSV "user,rank,item,score" (rank 1 = best), ranked through
// the batch path; the ranking time and rate go to stderr, apart from loading and writing.
int RunRecommendAll(const RecommendArgs& a, const TrainedModel& tm, const HybridRanker& ranker) {
  const uint32_t n = tm.num_users();
  const size_t k = static_cast<size_t>(a.k);
  std::vector<std::optional<uint32_t>> users(n);
  for (uint32_t u = 0; u < n; ++u) users[u] = u;
  std::vector<int32_t> items(static_cast<size_t>(n) * k);
  std::vector<float> scores(items.size());
  const int threads = ResolveThreads(a.threads);
  const auto t0 = std::chrono::steady_clock::now();
  RecommendUsers(tm, ranker, users, k, threads, items, scores);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::ofstream file;
  const bool to_stdout = a.out.empty() || a.out == "-";
  if (!to_stdout) {
    file.open(a.out, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::cerr << "error: cannot write --out " << a.out << ": " << std::strerror(errno) << "\n";
      return 1;
    }
  }
  std::ostream& os = to_stdout ? std::cout : file;
  os << "user,rank,item,score\n";
  std::string line;
  for (uint32_t u = 0; u < n; ++u) {
    const std::string& uid = tm.users.Id(u);
    for (size_t r = 0; r < k; ++r) {
      const int32_t item = items[u * k + r];
      if (item < 0) break;
      line = uid;
      line += ',';
      line += std::to_string(r + 1);
      line += ',';
      line += tm.items.Id(static_cast<uint32_t>(item));
      line += ',';
      char num[32];
      const auto res = std::to_chars(num, num + sizeof num, scores[u * k + r]);
      line.append(num, res.ptr);
      line += '\n';
      os << line;
    }
  }
  os.flush();
  if (!os) {
    std::cerr << "error: writing the recommendations failed (disk full?)\n";
    return 1;
  }
  std::cerr << "ranked " << n << " users (top " << k << ", seen items excluded) in " << std::fixed
            << std::setprecision(3) << secs << " s: " << std::setprecision(0) << (secs > 0 ? n / secs : 0.0)
            << " users/s on " << threads << " threads\n";
  return 0;
}

int RunRecommend(const RecommendArgs& a) {
  if (a.all_users) {
    if (!a.user.empty() || !a.items.empty() || a.rules() || a.explain || a.json || a.include_seen) {
      std::cerr << "error: --all-users takes only --model, -k, --threads and --out\n";
      return 2;
    }
  } else if (a.user.empty() == a.items.empty()) {
    std::cerr << "error: give exactly one of --user ID, --items ID[,ID...] or --all-users\n";
    return 2;
  } else if (!a.out.empty() || a.threads != 0) {
    std::cerr << "error: --out and --threads go with --all-users\n";
    return 2;
  }
  auto tm = LoadTrainedModel(a.model);
  if (!tm.ok()) {
    std::cerr << "error: " << tm.status().message() << "\n";
    return 1;
  }
  auto ranker = tm->MakeRanker(tm->ranker);
  if (a.all_users) return RunRecommendAll(a, *tm, *ranker);

  RankQuery q;
  std::optional<uint32_t> known;
  if (!a.user.empty()) {
    known = tm->users.Find(a.user);
    q = QueryForUser(*tm, known, {}, ranker->options().recent.items);
  } else {
    auto parsed = ParseItems(*tm, a.items);
    if (!parsed.ok()) {
      std::cerr << "error: " << parsed.status().message() << "\n";
      return 1;
    }
    q = QueryForItems(*parsed);  // --items are listed oldest first
  }
  const std::vector<HistoryEntry>& history = q.history;
  RankRequest request;
  request.k = static_cast<size_t>(a.k);
  request.explain = a.explain;
  request.exclude_seen = !a.include_seen;
  ItemBitmap eligible;
  std::unique_ptr<ItemAttributes> attrs;
  if (a.rules()) {
    attrs = std::make_unique<ItemAttributes>(
        static_cast<uint32_t>(tm->item_info.size()), [&](uint32_t i) -> const Item& { return tm->item_info[i]; },
        nullptr);
    if (const Status s = BuildRules(*tm, *attrs, a, eligible, request); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return s.code() == Status::Code::kNotFound ? 1 : 2;  // an unknown id, as --items; else bad usage
    }
  }
  const RankResponse r = ranker->Recommend(q.view(), request);
  const bool short_list = r.items.size() < request.k;

  if (a.json) {
    nlohmann::json out = {{"path", RankPathName(r.path)},
                          {"weight", r.weight("collab")},
                          {"popularity_weight", PopularityShare(r)},
                          {"recent_weight", r.weight("recent")},
                          {"recent_items", r.inputs("recent")},
                          {"cooccurrence_weight", r.weight("cooccurrence")},
                          {"signals", nlohmann::json::object()},
                          {"history_size", history.size()},
                          {"items", nlohmann::json::array()}};
    for (const SignalUse& u : r.signals) out["signals"][std::string(u.name)] = u.weight;
    if (a.filters()) out["filters"] = {{"eligible", r.eligible.value_or(0)}, {"short", short_list}};
    if (a.diversity > 0.f || a.calibration > 0.f) {
      out["rerank"] = {{"diversity", a.diversity}, {"calibration", a.calibration}};
      if (r.calibration_kl_before && r.calibration_kl_after)
        out["rerank"]["calibration_kl"] = {{"before", *r.calibration_kl_before}, {"after", *r.calibration_kl_after}};
    }
    if (a.new_boost > 0.f) out["new_boost"] = {{"weight", a.new_boost}, {"half_life_days", a.half_life}};
    if (!a.user.empty()) {
      out["user"] = a.user;
      out["known_user"] = known.has_value();
    }
    for (const auto& it : r.items) {
      nlohmann::json j = {{"id", tm->items.Id(it.item)},  {"title", tm->item_info[it.item].title},
                          {"genres", tm->item_info[it.item].genres}, {"score", it.score},
                          {"collab", OptJson(r.raw(it, "collab"))}, {"content", OptJson(r.raw(it, "content"))}};
      for (const SignalRegistration& reg : BuiltinSignals()) j["z_" + std::string(reg.name)] = r.z(it, reg.name);
      for (const SignalUse& u : r.signals) j["z_" + std::string(u.name)] = r.z(it, u.name);
      if (a.explain) {
        auto reasons = [&](std::span<const Contribution> cs) {
          nlohmann::json arr = nlohmann::json::array();
          for (const auto& c : cs)
            arr.push_back({{"id", tm->items.Id(c.history_item)}, {"title", tm->item_info[c.history_item].title},
                           {"contribution", c.value}});
          return arr;
        };
        j["because"] = {{"content", reasons(r.reasons(it, "content"))}, {"collab", reasons(r.reasons(it, "collab"))}};
      }
      out["items"].push_back(std::move(j));
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (!a.user.empty())
    std::cout << "user " << a.user << (known ? "" : " (unknown: no history)") << ", ";
  std::cout << history.size() << " history items, path " << RankPathName(r.path) << ", weight w_u = " << std::fixed
            << std::setprecision(3) << r.weight("collab") << "\n";
  if (a.filters())
    std::cout << "filters: " << r.eligible.value_or(0) << " eligible items"
              << (short_list ? ", fewer than k = " + std::to_string(request.k) + ": all of them listed" : "") << "\n";
  if (a.diversity > 0.f || a.calibration > 0.f) {
    std::cout << "re-ranked: diversity " << a.diversity << ", calibration " << a.calibration;
    if (r.calibration_kl_before && r.calibration_kl_after)
      std::cout << ", genre KL " << *r.calibration_kl_before << " -> " << *r.calibration_kl_after;
    std::cout << "\n";
  }
  std::cout << "  #  item       score   collab  content  title\n";
  for (size_t i = 0; i < r.items.size(); ++i) {
    const auto& it = r.items[i];
    auto opt = [](const std::optional<float>& v) {
      std::ostringstream s;
      if (v) s << std::fixed << std::setprecision(3) << *v; else s << "-";
      return s.str();
    };
    std::cout << std::setw(3) << i + 1 << "  " << std::left << std::setw(8) << tm->items.Id(it.item) << std::right
              << std::setw(8) << std::setprecision(3) << it.score << std::setw(9) << opt(r.raw(it, "collab")) << std::setw(9)
              << opt(r.raw(it, "content")) << "  " << tm->item_info[it.item].title << "\n";
    if (a.explain) {
      PrintReasons(*tm, "because (content)", r.reasons(it, "content"));
      PrintReasons(*tm, "because (collab) ", r.reasons(it, "collab"));
    }
  }
  return 0;
}

struct SimilarArgs {
  std::string model, item, mode = "hybrid";
  int k = 10;
  bool json = false;
};

int RunSimilar(const SimilarArgs& a) {
  const auto mode = ParseSimilarMode(a.mode);
  if (!mode) {
    std::cerr << "error: --mode must be content, collab or hybrid\n";
    return 2;
  }
  auto tm = LoadTrainedModel(a.model);
  if (!tm.ok()) {
    std::cerr << "error: " << tm.status().message() << "\n";
    return 1;
  }
  const auto item = tm->items.Find(a.item);
  if (!item) {
    std::cerr << "error: unknown item id '" << a.item << "'\n";
    return 1;
  }
  if (*mode != SimilarMode::kCollab && !tm->content) {
    std::cerr << "error: this model was trained without the content layer (--no-content); use --mode collab\n";
    return 1;
  }
  auto ranker = tm->MakeRanker(tm->ranker);
  const auto sims = ranker->Similar(*item, static_cast<size_t>(a.k), *mode);
  if (a.json) {
    nlohmann::json out = {{"item", a.item}, {"title", tm->item_info[*item].title}, {"mode", a.mode},
                          {"items", nlohmann::json::array()}};
    for (const auto& s : sims)
      out["items"].push_back({{"id", tm->items.Id(s.item)}, {"title", tm->item_info[s.item].title},
                              {"score", s.score}, {"content", OptJson(s.content)}, {"collab", OptJson(s.collab)}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << "items similar to " << a.item << " " << tm->item_info[*item].title << " (" << a.mode << ")\n";
  for (size_t i = 0; i < sims.size(); ++i)
    std::cout << std::setw(3) << i + 1 << "  " << std::left << std::setw(8) << tm->items.Id(sims[i].item) << std::right
              << std::fixed << std::setprecision(3) << std::setw(8) << sims[i].score << "  "
              << tm->item_info[sims[i].item].title << "\n";
  return 0;
}

}  // namespace

void RegisterRecommend(CLI::App& app, CommandRegistry& reg) {
  auto args = std::make_shared<RecommendArgs>();
  CLI::App* sub = app.add_subcommand("recommend", "Top-K recommendations for a user, or for a list of items (new user)");
  sub->add_option("--model", args->model, "model directory written by `hybridrec train`")->required();
  sub->add_option("--user", args->user, "user id (as in the data files); an unknown id gets the cold-start path");
  sub->add_option("--items", args->items, "a new user's items: ID[:strength],ID... (folded in on the fly)");
  sub->add_option("-k,--k", args->k, "number of items")->capture_default_str()->check(CLI::Range(1, 1000));
  sub->add_flag("--all-users", args->all_users,
                "every user of the model at once through the batch path: CSV user,rank,item,score to --out "
                "(default stdout); prints the ranking rate to stderr");
  sub->add_option("--out", args->out, "--all-users: output CSV file");
  sub->add_option("--threads", args->threads, "--all-users: threads (0: all cores)")->check(CLI::Range(0, 1024));
  sub->add_flag("--explain", args->explain, "list the history items behind each recommendation");
  sub->add_flag("--include-seen", args->include_seen, "do not exclude the user's own items");
  sub->add_flag("--json", args->json, "print JSON");
  sub->add_option("--include", args->include,
                  "only items with one of these values of an attribute: ATTR=V1,V2 (genre, tag; case-insensitive; "
                  "repeat for several attributes: all must match)");
  sub->add_option("--exclude", args->exclude, "leave out items with any of these values: ATTR=V1,V2 (repeatable)");
  sub->add_option("--exclude-items", args->exclude_items, "leave out these item ids: ID,ID...");
  sub->add_option("--added-since", args->added_since,
                  "only items dated at or after YYYY-MM-DD[THH:MM:SSZ] or epoch seconds (trained items: the year in "
                  "their title)");
  sub->add_option("--new-boost", args->new_boost, "add W * 2^(-age / half-life) to the fused score of dated items")
      ->check(CLI::Range(0.0, 100.0));
  sub->add_option("--new-half-life", args->half_life, "half-life of the new-item boost in days")
      ->capture_default_str()
      ->check(CLI::Range(1e-6, 36500.0));
  sub->add_option("--diversity", args->diversity, "MMR re-ranking over the content embeddings, in [0, 1] (0: off)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--calibration", args->calibration,
                  "calibrate the list to the user's genre mix (Steck 2018), in [0, 1] (0: off)")
      ->check(CLI::Range(0.0, 1.0));
  reg.Add(sub, [args] { return RunRecommend(*args); });

  auto sargs = std::make_shared<SimilarArgs>();
  CLI::App* sim = app.add_subcommand("similar", "Items similar to an item (content, collaborative or hybrid)");
  sim->add_option("--model", sargs->model, "model directory written by `hybridrec train`")->required();
  sim->add_option("--item", sargs->item, "item id")->required();
  sim->add_option("--mode", sargs->mode, "content|collab|hybrid")->capture_default_str();
  sim->add_option("-k,--k", sargs->k, "number of items")->capture_default_str()->check(CLI::Range(1, 1000));
  sim->add_flag("--json", sargs->json, "print JSON");
  reg.Add(sim, [sargs] { return RunSimilar(*sargs); });
}

}  // namespace hybridrec::cli
