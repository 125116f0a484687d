#include "eval/evaluator.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "core/parallel.h"
#include "core/progress.h"
#include "core/topk.h"
#include "ranking/rerank.h"

namespace hybridrec {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Status CheckKs(const std::vector<size_t>& ks) {
  if (ks.empty()) return Status::InvalidArgument("evaluation needs at least one K");
  for (size_t k : ks)
    if (k == 0) return Status::InvalidArgument("every K must be > 0");
  return Status::Ok();
}

double Get(const UserMetrics& m, MetricKind kind) {
  switch (kind) {
    case MetricKind::kPrecision: return m.precision;
    case MetricKind::kRecall: return m.recall;
    case MetricKind::kNdcg: return m.ndcg;
    case MetricKind::kAp: return m.ap;
    case MetricKind::kHitRate: return m.hit;
  }
  return 0;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// Columns padded to their widest cell: the first left-aligned (names), the rest right-aligned
// (numbers), a rule under the header.
std::string AlignedTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (c > 0) s += "  ";
      const std::string pad(width[c] - cells[c].size(), ' ');
      s += c == 0 ? cells[c] + pad : pad + cells[c];
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s + "\n";
  };
  size_t total = 0;
  for (size_t w : width) total += w;
  std::string out = line(header);
  out += std::string(total + 2 * (width.size() - 1), '-') + "\n";
  for (const auto& row : rows) out += line(row);
  return out;
}

}  // namespace

std::vector<double> ModelEvaluation::PerUser(size_t k_index, MetricKind metric) const {
  if (k_index >= per_user.size()) throw std::invalid_argument("PerUser: k index out of range");
  std::vector<double> out;
  out.reserve(per_user[k_index].size());
  for (const UserMetrics& m : per_user[k_index]) out.push_back(Get(m, metric));
  return out;
}

const ModelEvaluation& EvaluationResult::model(const std::string& name) const {
  for (const auto& m : models)
    if (m.name == name) return m;
  throw std::invalid_argument("no evaluated model named '" + name + "'");
}

std::vector<uint32_t> UsersWithTestItems(const InteractionMatrix& test) {
  std::vector<uint32_t> users;
  for (uint32_t u = 0; u < test.num_users(); ++u)
    if (test.by_user.RowLength(u) > 0) users.push_back(u);
  return users;
}

namespace {

bool SameShape(const InteractionMatrix& a, const InteractionMatrix& b) {
  return a.num_users() == b.num_users() && a.num_items() == b.num_items();
}

std::vector<EvalModel> Wrap(std::span<Recommender* const> models) {
  std::vector<EvalModel> out;
  for (Recommender* m : models) out.push_back(EvalModel{m, nullptr});
  return out;
}

}  // namespace

ModelEvaluation EvaluateFitted(const EvalModel& entry, const EvalData& data, std::span<const uint32_t> users,
                               const EvalOptions& options) {
  if (entry.model == nullptr || data.train == nullptr || data.test == nullptr)
    throw std::invalid_argument("EvaluateFitted: null model, train or test");
  const Recommender& model = *entry.model;
  const InteractionMatrix& train = *data.train;
  const InteractionMatrix& test = *data.test;
  const InteractionMatrix* revealed = data.revealed;
  if (!SameShape(train, test) || (revealed != nullptr && !SameShape(train, *revealed)))
    throw std::invalid_argument("EvaluateFitted: train, test and revealed matrices differ in shape");
  if (options.ks.empty()) throw std::invalid_argument("EvaluateFitted: empty K list");
  const auto t0 = std::chrono::steady_clock::now();
  const uint32_t n_items = train.num_items();
  const size_t n_users = users.size();
  const size_t kmax = *std::max_element(options.ks.begin(), options.ks.end());
  for (uint32_t u : users) {
    if (u >= test.num_users() || test.by_user.RowLength(u) == 0)
      throw std::invalid_argument("EvaluateFitted: user " + std::to_string(u) + " has no test items");
    if (revealed != nullptr && revealed->by_user.RowLength(u) > 0 && !entry.score_history)
      throw std::invalid_argument("EvaluateFitted: model '" + model.name() +
                                  "' has no score_history for users known by a revealed history");
  }

  // A batch's score buffer is batch x n_items floats per thread: keep it bounded (~64 MiB).
  constexpr size_t kMaxBufferFloats = size_t{16} << 20;
  size_t batch = std::max<size_t>(1, options.batch_users);
  if (n_items > 0) batch = std::max<size_t>(1, std::min(batch, kMaxBufferFloats / n_items));
  const size_t n_batches = (n_users + batch - 1) / batch;

  ModelEvaluation ev;
  ev.name = model.name();
  ev.per_user.assign(options.ks.size(), std::vector<UserMetrics>(n_users));
  std::vector<uint32_t> lists(n_users * kmax, kNoItem);  // top-kmax per user, for coverage
  // Beyond accuracy: per k index and user, {ild, novelty, calibration KL (NaN: no genre mix)}.
  const ItemCategories* cats = options.categories;
  std::vector<std::vector<std::array<double, 3>>> beyond;
  std::vector<uint32_t> item_users;
  if (cats != nullptr) {
    if (cats->indptr.size() != size_t{n_items} + 1)
      throw std::invalid_argument("EvaluateFitted: the item categories do not cover the catalogue");
    beyond.assign(options.ks.size(), std::vector<std::array<double, 3>>(n_users));
    item_users.resize(n_items);
    for (uint32_t i = 0; i < n_items; ++i) item_users[i] = static_cast<uint32_t>(train.by_item.RowLength(i));
  }
  // Content intra-list distance per k index and user.
  const bool content_div = !options.embeddings.empty();
  std::vector<std::vector<double>> content_ild;
  if (content_div) {
    if (options.embedding_dim <= 0 ||
        options.embeddings.size() != size_t{n_items} * static_cast<size_t>(options.embedding_dim))
      throw std::invalid_argument("EvaluateFitted: the content embeddings do not cover the catalogue");
    content_ild.assign(options.ks.size(), std::vector<double>(n_users));
  }

  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  ConcurrentProgress progress("evaluating " + model.name() + " (users)", n_users, options.quiet);
  ParallelFor(
      n_batches, ResolveThreads(options.threads),
      [&](size_t b_begin, size_t b_end) {
        std::vector<float> scores(batch * static_cast<size_t>(n_items));
        std::vector<uint32_t> top;
        std::vector<HistoryEntry> hist;
        std::vector<float> mix;
        for (size_t b = b_begin; b < b_end; ++b) {
          const size_t first = b * batch;
          const size_t count = std::min(batch, n_users - first);
          std::span<float> out(scores.data(), count * n_items);
          model.ScoreUsers(users.subspan(first, count), out, n_items);
          for (size_t j = 0; j < count; ++j) {
            const size_t ui = first + j;
            const uint32_t u = users[ui];
            std::span<float> row = out.subspan(j * n_items, n_items);
            if (revealed != nullptr && revealed->by_user.RowLength(u) > 0) {
              const auto items = revealed->by_user.RowIndices(u);
              entry.score_history(items, revealed->by_user.RowValues(u), row);
              for (uint32_t item : items) row[item] = kNegInf;
            }
            for (uint32_t item : train.by_user.RowIndices(u)) row[item] = kNegInf;
            TopKInto(row, kmax, top);
            std::copy(top.begin(), top.end(), lists.begin() + static_cast<std::ptrdiff_t>(ui * kmax));
            const auto relevant = test.by_user.RowIndices(u);
            for (size_t ki = 0; ki < options.ks.size(); ++ki)
              ev.per_user[ki][ui] = ComputeUserMetrics(top, relevant, options.ks[ki]);
            if (content_div)
              for (size_t ki = 0; ki < options.ks.size(); ++ki)
                content_ild[ki][ui] =
                    ContentIntraListDistance(top, options.ks[ki], options.embeddings, options.embedding_dim);
            if (cats != nullptr) {
              // The user's genre mix: from the revealed history when there is one, else training.
              const CsrMatrix& h =
                  revealed != nullptr && revealed->by_user.RowLength(u) > 0 ? revealed->by_user : train.by_user;
              const auto hi = h.RowIndices(u);
              const auto hv = h.RowValues(u);
              hist.clear();
              for (size_t x = 0; x < hi.size(); ++x) hist.emplace_back(hi[x], hv[x]);
              CategoryMix(*cats, hist, mix);
              const bool has_mix = std::any_of(mix.begin(), mix.end(), [](float v) { return v > 0.f; });
              for (size_t ki = 0; ki < options.ks.size(); ++ki) {
                const size_t k = options.ks[ki];
                const std::span<const uint32_t> list(top.data(), std::min(k, top.size()));
                beyond[ki][ui] = {IntraListDiversity(top, k, *cats), Novelty(top, k, item_users, train.num_users()),
                                  has_mix ? CalibrationKl(*cats, mix, list) : std::numeric_limits<double>::quiet_NaN()};
              }
            }
          }
          progress.Add(count);
        }
      },
      /*grain=*/1);
  progress.Finish();

  for (size_t ki = 0; ki < options.ks.size(); ++ki) {
    MetricsAtK m;
    m.k = options.ks[ki];
    for (const UserMetrics& um : ev.per_user[ki]) {
      m.precision += um.precision;
      m.recall += um.recall;
      m.ndcg += um.ndcg;
      m.map += um.ap;
      m.hit_rate += um.hit;
    }
    if (n_users > 0) {
      const double n = static_cast<double>(n_users);
      m.precision /= n; m.recall /= n; m.ndcg /= n; m.map /= n; m.hit_rate /= n;
    }
    m.coverage = (n_items == 0 || n_users == 0) ? 0.0 : CatalogueCoverage(lists, kmax, m.k, n_items);
    if (cats != nullptr) {
      m.beyond_accuracy = true;
      for (const auto& [ild, nov, kl] : beyond[ki]) {
        m.ild += ild;
        m.novelty += nov;
        if (!std::isnan(kl)) {
          m.calibration_kl += kl;
          ++m.calibration_users;
        }
      }
      if (n_users > 0) {
        m.ild /= static_cast<double>(n_users);
        m.novelty /= static_cast<double>(n_users);
      }
      if (m.calibration_users > 0) m.calibration_kl /= static_cast<double>(m.calibration_users);
    }
    if (content_div) {
      m.content_diversity = true;
      for (double d : content_ild[ki]) m.content_ild += d;
      if (n_users > 0) m.content_ild /= static_cast<double>(n_users);
    }
    ev.at_k.push_back(m);
  }
  ev.eval_seconds = SecondsSince(t0);
  return ev;
}

Result<EvaluationResult> EvaluateModels(const Dataset& dataset, const EvalData& data,
                                        std::span<const EvalModel> models, const EvalOptions& options) {
  HR_RETURN_IF_ERROR(CheckKs(options.ks));
  if (data.train == nullptr || data.test == nullptr) return Status::InvalidArgument("evaluation: no train or test matrix");
  const InteractionMatrix& train = *data.train;
  if (!SameShape(train, *data.test) || (data.revealed != nullptr && !SameShape(train, *data.revealed)))
    return Status::InvalidArgument("evaluation: train, test and revealed matrices differ in shape");
  if (train.num_users() != dataset.num_users() || train.num_items() != dataset.num_items())
    return Status::InvalidArgument("evaluation: matrices do not match the dataset's users x items");
  const bool has_revealed = data.revealed != nullptr && data.revealed->by_user.nnz() > 0;
  EvaluationResult r;
  r.dataset = dataset.name;
  r.ks = options.ks;
  r.users = UsersWithTestItems(*data.test);
  r.users_skipped = dataset.num_users() - r.users.size();
  // The dataset's genres for the beyond-accuracy metrics (when it describes its items).
  const bool described = dataset.item_info.size() == dataset.num_items();
  const ItemAttributes attrs(
      described ? dataset.num_items() : 0, [&](uint32_t i) -> const Item& { return dataset.item_info[i]; }, nullptr);
  EvalOptions eval_options = options;
  if (eval_options.categories == nullptr && described) eval_options.categories = &attrs.genres();
  for (const EvalModel& entry : models) {
    if (entry.model == nullptr) return Status::InvalidArgument("evaluation: null model");
    if (has_revealed && !entry.score_history)
      return Status::InvalidArgument("model '" + entry.model->name() +
                                     "' cannot score users from a revealed history (needed by cold-users)");
    FitInput in;
    in.dataset = &dataset;
    in.train = &train;
    in.quiet = options.quiet;
    const auto t0 = std::chrono::steady_clock::now();
    Status st = entry.model->Fit(in);
    if (!st.ok()) return st.WithContext("fitting model '" + entry.model->name() + "'");
    const double fit_s = SecondsSince(t0);
    ModelEvaluation ev = EvaluateFitted(entry, data, r.users, eval_options);
    ev.fit_seconds = fit_s;
    r.models.push_back(std::move(ev));
  }
  return r;
}

Result<EvaluationResult> EvaluateModels(const Dataset& dataset, const InteractionMatrix& train,
                                        const InteractionMatrix& test, std::span<Recommender* const> models,
                                        const EvalOptions& options) {
  const std::vector<EvalModel> wrapped = Wrap(models);
  return EvaluateModels(dataset, EvalData{&train, &test, nullptr}, wrapped, options);
}

Result<EvaluationResult> Evaluate(const Dataset& dataset, const Split& split, std::span<const EvalModel> models,
                                  const EvalOptions& options) {
  EvalData data{&split.train_matrix, &split.test_matrix, nullptr};
  if (split.options.protocol == SplitProtocol::kColdUsers) data.revealed = &split.revealed_matrix;
  HR_ASSIGN_OR_RETURN(EvaluationResult r, EvaluateModels(dataset, data, models, options));
  r.protocol = SplitProtocolName(split.options.protocol);
  r.seed = split.options.seed;
  return r;
}

Result<EvaluationResult> Evaluate(const Dataset& dataset, const Split& split,
                                  std::span<Recommender* const> models, const EvalOptions& options) {
  const std::vector<EvalModel> wrapped = Wrap(models);
  return Evaluate(dataset, split, wrapped, options);
}

nlohmann::ordered_json EvaluationResult::ToJson() const {
  using J = nlohmann::ordered_json;
  J j;
  j["dataset"] = dataset;
  j["protocol"] = protocol;
  j["seed"] = seed;
  j["k"] = ks;
  j["users_evaluated"] = users.size();
  j["users_skipped"] = users_skipped;
  J jm = J::object();
  for (const auto& m : models) {
    J o = J::object();
    for (const auto& a : m.at_k) {
      const std::string s = "@" + std::to_string(a.k);
      o["precision" + s] = a.precision;
      o["recall" + s] = a.recall;
      o["ndcg" + s] = a.ndcg;
      o["map" + s] = a.map;
      o["hit_rate" + s] = a.hit_rate;
      o["coverage" + s] = a.coverage;
    }
    jm[m.name] = o;
  }
  j["models"] = jm;
  J jb = J::object();
  for (const auto& m : models) {
    J o = J::object();
    for (const auto& a : m.at_k) {
      const std::string s = "@" + std::to_string(a.k);
      if (a.beyond_accuracy) {
        o["ild" + s] = a.ild;
        o["novelty" + s] = a.novelty;
        o["calibration_kl" + s] = a.calibration_kl;
      }
      if (a.content_diversity) o["content_ild" + s] = a.content_ild;
    }
    if (!o.empty()) jb[m.name] = o;
  }
  if (!jb.empty()) j["beyond_accuracy"] = jb;
  J jp = J::object();
  for (size_t a = 1; a < models.size(); ++a) {
    for (size_t b = 0; b < a; ++b) {
      J pair = J::object();
      for (size_t ki = 0; ki < ks.size(); ++ki) {
        for (auto [kind, label] : {std::pair{MetricKind::kNdcg, "ndcg"}, std::pair{MetricKind::kRecall, "recall"}}) {
          const PairedStat d = PairedDifference(models[a].PerUser(ki, kind), models[b].PerUser(ki, kind));
          pair[std::string(label) + "@" + std::to_string(ks[ki])] = J{{"mean", d.mean}, {"stderr", d.stderr_}};
        }
      }
      jp[models[a].name + "-" + models[b].name] = pair;
    }
  }
  j["paired"] = jp;
  j["params"] = params;
  J fit = J::object(), ev = J::object();
  for (const auto& m : models) {
    fit[m.name] = m.fit_seconds;
    ev[m.name] = m.eval_seconds;
  }
  j["timings"] = J{{"fit_s", fit}, {"eval_s", ev}};
  return j;
}

namespace {

struct MeanSd {
  double mean = 0, sd = 0;
};
MeanSd Summarize(const std::vector<double>& v) {
  MeanSd m;
  if (v.empty()) return m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  if (v.size() < 2) return m;
  double ss = 0;
  for (double x : v) ss += (x - m.mean) * (x - m.mean);
  m.sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
  return m;
}

}  // namespace

Result<nlohmann::ordered_json> SummarizeRuns(std::span<const EvaluationResult> runs) {
  using J = nlohmann::ordered_json;
  if (runs.empty()) return Status::InvalidArgument("SummarizeRuns: no runs");
  const EvaluationResult& first = runs[0];
  for (const auto& r : runs) {
    bool same = r.ks == first.ks && r.models.size() == first.models.size();
    for (size_t m = 0; same && m < r.models.size(); ++m) same = r.models[m].name == first.models[m].name;
    if (!same) return Status::InvalidArgument("SummarizeRuns: runs differ in K list or models");
  }
  // Every run's ToJson has the same keys; average them key by key.
  std::vector<J> jsons;
  for (const auto& r : runs) jsons.push_back(r.ToJson());
  auto summarize_section = [&](const char* section) {
    J out = J::object();
    for (const auto& [name, metrics] : jsons[0][section].items()) {
      J o = J::object();
      for (const auto& [key, value] : metrics.items()) {
        std::vector<double> xs;
        for (const J& j : jsons) {
          const J& v = j[section][name][key];
          xs.push_back(v.is_object() ? v["mean"].get<double>() : v.get<double>());
        }
        const MeanSd s = Summarize(xs);
        o[key] = J{{"mean", s.mean}, {"sd", s.sd}};
      }
      out[name] = o;
    }
    return out;
  };
  J j;
  j["protocol"] = first.protocol;
  J seeds = J::array();
  for (const auto& r : runs) seeds.push_back(r.seed);
  j["seeds"] = seeds;
  j["runs"] = runs.size();
  j["k"] = first.ks;
  j["models"] = summarize_section("models");
  j["paired"] = summarize_section("paired");
  return j;
}

std::string FormatRunsTable(const nlohmann::ordered_json& summary) {
  std::vector<std::string> header = {"model"};
  const auto ks = summary.at("k").get<std::vector<size_t>>();
  for (size_t k : ks)
    for (const char* name : {"P", "R", "NDCG", "MAP"}) header.push_back(std::string(name) + "@" + std::to_string(k));
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, metrics] : summary.at("models").items()) {
    std::vector<std::string> row = {name};
    for (size_t k : ks) {
      for (const char* key : {"precision", "recall", "ndcg", "map"}) {
        const auto& v = metrics.at(std::string(key) + "@" + std::to_string(k));
        row.push_back(Fixed(v.at("mean").get<double>(), 4) + "+-" + Fixed(v.at("sd").get<double>(), 4));
      }
    }
    rows.push_back(std::move(row));
  }
  return "protocol " + summary.at("protocol").get<std::string>() + ", mean+-sd over " +
         std::to_string(summary.at("runs").get<size_t>()) + " seeds\n" + AlignedTable(header, rows);
}

std::string FormatTable(const EvaluationResult& r) {
  std::vector<std::string> header = {"model"};
  for (size_t k : r.ks) {
    const std::string s = "@" + std::to_string(k);
    for (const char* name : {"P", "R", "NDCG", "MAP", "HR", "Cov"}) header.push_back(name + s);
  }
  header.push_back("fit_s");
  header.push_back("eval_s");
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : r.models) {
    std::vector<std::string> row = {m.name};
    for (const auto& a : m.at_k)
      for (double v : {a.precision, a.recall, a.ndcg, a.map, a.hit_rate, a.coverage}) row.push_back(Fixed(v, 4));
    row.push_back(Fixed(m.fit_seconds, 2));
    row.push_back(Fixed(m.eval_seconds, 2));
    rows.push_back(std::move(row));
  }
  std::string out = "dataset " + r.dataset + ", protocol " + r.protocol + ", seed " + std::to_string(r.seed) + ": " +
                    std::to_string(r.users.size()) + " users evaluated, " + std::to_string(r.users_skipped) +
                    " skipped (no test items)\n" + AlignedTable(header, rows);
  if (r.models.empty() || r.models[0].at_k.empty()) return out;
  const bool genres = r.models[0].at_k[0].beyond_accuracy;
  const bool content = r.models[0].at_k[0].content_diversity;
  if (!genres && !content) return out;
  // Beyond accuracy: intra-list diversity over genres and content, novelty (bits), calibration KL
  // to the user's genre mix.
  std::vector<const char*> names;
  if (genres) names.push_back("ILD");
  if (content) names.push_back("Dist");
  if (genres) names.insert(names.end(), {"Nov", "KL"});
  std::vector<std::string> bh = {"model"};
  for (size_t k : r.ks)
    for (const char* name : names) bh.push_back(name + ("@" + std::to_string(k)));
  std::vector<std::vector<std::string>> brows;
  for (const auto& m : r.models) {
    std::vector<std::string> row = {m.name};
    for (const auto& a : m.at_k) {
      if (genres) row.push_back(Fixed(a.ild, 4));
      if (content) row.push_back(Fixed(a.content_ild, 4));
      if (genres) {
        row.push_back(Fixed(a.novelty, 4));
        row.push_back(Fixed(a.calibration_kl, 4));
      }
    }
    brows.push_back(std::move(row));
  }
  std::string legend = "beyond accuracy (";
  if (genres) legend += "ILD: intra-list genre diversity, ";
  if (content) legend += "Dist: intra-list content distance, ";
  if (genres) legend += "Nov: novelty in bits, KL: calibration to the user's genre mix, ";
  legend.resize(legend.size() - 2);
  return out + legend + ")\n" + AlignedTable(bh, brows);
}

}  // namespace hybridrec
