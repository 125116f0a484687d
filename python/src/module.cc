// hybridrec._hybridrec: the pybind11 module under the `hybridrec` Python package.
//
// It exposes the library the CLI uses (data loading, implicit ALS, the trained hybrid model, the
// evaluation pipeline) with as little glue as possible; the pure-Python part of the package
// (python/hybridrec/__init__.py) turns arguments and results into SciPy / NumPy / pandas
// objects. Conventions:
//   - Every call that computes releases the GIL (py::gil_scoped_release) while it runs, so
//     several Python threads may call into one object at once. Objects are immutable once built;
//     ALS.fit builds a new fitted state and swaps it in, so arrays handed out before keep
//     the state they came from alive (their base is a capsule owning a shared_ptr).
//   - Errors: a Status becomes ValueError (InvalidArgument, Corruption, Unsupported),
//     FileNotFoundError (NotFound) or OSError (IOError) with the message the CLI prints after
//     "error: "; std::invalid_argument from the library becomes ValueError; an unknown id KeyError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "collab/als_model.h"
#include "content/content_model.h"
#include "content/encoder_factory.h"
#include "core/parallel.h"
#include "core/topk.h"
#include "data/csr_matrix.h"
#include "data/loader.h"
#include "data/synth.h"
#include "index/index_factory.h"
#include "eval/pipeline.h"
#include "eval/split.h"
#include "eval/train_model.h"
#include "model/batch_recommend.h"
#include "model/rank_query.h"
#include "model/trained_model.h"
#include "ranking/hybrid_ranker.h"
#include "ranking/signal_registry.h"

namespace py = pybind11;
using namespace hybridrec;

namespace {

// ---------------------------------------------------------------------------------------------
// Errors

[[noreturn]] void Raise(const Status& s) {
  PyObject* type = PyExc_ValueError;
  switch (s.code()) {
    case Status::Code::kNotFound: type = PyExc_FileNotFoundError; break;
    case Status::Code::kIOError: type = PyExc_OSError; break;
    default: break;
  }
  PyErr_SetString(type, s.message().c_str());
  throw py::error_already_set();
}

void Check(const Status& s) {
  if (!s.ok()) Raise(s);
}

template <typename T>
T Take(Result<T>&& r) {
  if (!r.ok()) Raise(r.status());
  return std::move(r).value();
}

[[noreturn]] void RaiseKey(const std::string& msg) {
  PyErr_SetString(PyExc_KeyError, msg.c_str());
  throw py::error_already_set();
}

// ---------------------------------------------------------------------------------------------
// Arrays

// A NumPy array over `data` whose base keeps `owner` alive (no copy).
template <typename T, typename Owner>
py::array View(const T* data, std::vector<py::ssize_t> shape, std::shared_ptr<Owner> owner, bool writeable = false) {
  auto* keep = new std::shared_ptr<Owner>(std::move(owner));
  py::capsule base(keep, [](void* p) { delete static_cast<std::shared_ptr<Owner>*>(p); });
  py::array a(py::dtype::of<T>(), std::move(shape), {}, data, base);
  if (!writeable) py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// A NumPy array that takes over a vector (moved, not copied).
template <typename T, typename Elem = T>
py::array Own(std::vector<Elem>&& v, std::vector<py::ssize_t> shape) {
  static_assert(sizeof(T) == sizeof(Elem));
  auto owner = std::make_shared<std::vector<Elem>>(std::move(v));
  const T* data = reinterpret_cast<const T*>(owner->data());
  return View<T>(data, std::move(shape), owner, true);
}

// A C-contiguous array of one of the given dtypes; ValueError naming `what` otherwise.
void RequireContiguous(const py::array& a, const char* what) {
  if (!(a.flags() & py::array::c_style))
    throw py::value_error(std::string(what) + " must be a C-contiguous array");
}

// CsrView over three NumPy arrays (SciPy's indptr, indices, data). The arrays must outlive the
// view; the Python wrapper has converted other dtypes (copying) before this point.
CsrView ViewOf(const py::array& indptr, const py::array& indices, const py::array& data, uint32_t rows, uint32_t cols) {
  RequireContiguous(indptr, "indptr");
  RequireContiguous(indices, "indices");
  RequireContiguous(data, "data");
  CsrView v;
  v.rows = rows;
  v.cols = cols;
  if (indptr.ndim() != 1 || static_cast<size_t>(indptr.shape(0)) != static_cast<size_t>(rows) + 1)
    throw py::value_error("indptr must have shape (rows + 1,) = (" + std::to_string(rows + 1) + ",)");
  if (indptr.dtype().is(py::dtype::of<int64_t>())) v.indptr_64 = true;
  else if (!indptr.dtype().is(py::dtype::of<int32_t>())) throw py::value_error("indptr must be int32 or int64");
  if (!indices.dtype().is(py::dtype::of<int32_t>())) throw py::value_error("indices must be int32");
  if (data.dtype().is(py::dtype::of<double>())) v.values_64 = true;
  else if (!data.dtype().is(py::dtype::of<float>())) throw py::value_error("data must be float32 or float64");
  if (indices.ndim() != 1 || data.ndim() != 1 || indices.shape(0) != data.shape(0))
    throw py::value_error("indices and data must be 1-D arrays of the same length");
  v.nnz = static_cast<uint64_t>(indices.shape(0));
  v.indptr = indptr.data();
  v.indices = static_cast<const uint32_t*>(indices.data());
  v.values = data.data();
  return v;
}

uint32_t CheckedDim(py::ssize_t n, const char* what) {
  if (n < 0 || static_cast<uint64_t>(n) >= (uint64_t{1} << 32) - 1)
    throw py::value_error(std::string(what) + " out of range");
  return static_cast<uint32_t>(n);
}

// ---------------------------------------------------------------------------------------------
// Dataset

struct PyDataset {
  std::shared_ptr<const Dataset> d;
};

PyDataset LoadDatasetPy(const std::string& path, const std::string& format, bool skip_bad_rows) {
  LoadOptions lo;
  lo.format = format;
  lo.skip_bad_rows = skip_bad_rows;
  Result<Dataset> r = Status::InvalidArgument("unset");
  {
    py::gil_scoped_release nogil;
    r = LoadDataset(path, lo);
  }
  return PyDataset{std::make_shared<const Dataset>(Take(std::move(r)))};
}

// Builds a Dataset from columns with the generic layout's rules: ids are strings, users get
// indices in first-seen order, items the catalogue's order (then first-seen order), duplicate
// pairs are summed with the latest timestamp kept, strengths must be finite and > 0, and with a
// catalogue every interaction's item must be in it.
PyDataset DatasetFromColumns(const std::vector<std::string>& users, const std::vector<std::string>& items,
                             py::array_t<double, py::array::c_style | py::array::forcecast> strength,
                             std::optional<py::array_t<int64_t, py::array::c_style | py::array::forcecast>> timestamp,
                             const std::vector<std::string>& catalogue_ids,
                             const std::vector<std::string>& titles,
                             const std::vector<std::vector<std::string>>& genres,
                             const std::vector<std::string>& texts, const std::string& name) {
  const size_t n = users.size();
  if (items.size() != n || static_cast<size_t>(strength.size()) != n ||
      (timestamp && static_cast<size_t>(timestamp->size()) != n))
    throw py::value_error("the user, item, strength and timestamp columns must have the same length");
  if (n == 0) throw py::value_error("the interaction frame has no rows");
  const bool fixed = !catalogue_ids.empty();
  if (titles.size() != catalogue_ids.size() || genres.size() != catalogue_ids.size() ||
      texts.size() != catalogue_ids.size())
    throw py::value_error("the item frame's columns must have the same length");
  auto d = std::make_shared<Dataset>();
  d->name = name;
  d->format = "frame";
  d->has_timestamps = timestamp.has_value();
  for (size_t i = 0; i < catalogue_ids.size(); ++i) {
    if (catalogue_ids[i].empty()) throw py::value_error("item frame, row " + std::to_string(i) + ": the item id is empty");
    if (d->items.Find(catalogue_ids[i]))
      throw py::value_error("item frame, row " + std::to_string(i) + ": item id '" + catalogue_ids[i] +
                            "' appears twice; keep one row per item");
    d->items.GetOrAdd(catalogue_ids[i]);
    d->item_info.push_back(Item{titles[i], genres[i], {}, texts[i]});
  }
  const double* s = strength.data();
  const int64_t* ts = timestamp ? timestamp->data() : nullptr;
  d->interactions.reserve(n);
  for (size_t r = 0; r < n; ++r) {
    if (users[r].empty() || items[r].empty())
      throw py::value_error("interaction frame, row " + std::to_string(r) + ": the " +
                            (users[r].empty() ? "user" : "item") + " id is empty");
    if (!(s[r] > 0.0) || !std::isfinite(s[r]))
      throw py::value_error("interaction frame, row " + std::to_string(r) + ": strength " + std::to_string(s[r]) +
                            " is not a positive finite number; fix or remove the row");
    std::optional<uint32_t> item = d->items.Find(items[r]);
    if (!item) {
      if (fixed)
        throw py::value_error("interaction frame, row " + std::to_string(r) + ": item '" + items[r] +
                              "' is not in the item frame; add it there or remove the row");
      item = d->items.GetOrAdd(items[r]);
      d->item_info.push_back(Item{items[r], {}, {}, {}});
    }
    d->interactions.push_back({d->users.GetOrAdd(users[r]), *item, static_cast<float>(s[r]), ts ? ts[r] : 0});
    ++d->report.rows_read;
  }
  MergeDuplicateInteractions(*d);
  return PyDataset{std::move(d)};
}

// (indptr int64, indices int32, data float32, (users, items)) of the user x item matrix.
py::tuple DatasetCsr(const PyDataset& ds) {
  InteractionMatrix m;
  {
    py::gil_scoped_release nogil;
    m = BuildInteractionMatrix(ds.d->num_users(), ds.d->num_items(), ds.d->interactions);
  }
  const auto rows = static_cast<py::ssize_t>(m.by_user.rows);
  const auto nnz = static_cast<py::ssize_t>(m.by_user.nnz());
  return py::make_tuple(Own<int64_t>(std::move(m.by_user.indptr), {rows + 1}),
                        Own<int32_t>(std::move(m.by_user.indices), {nnz}), Own<float>(std::move(m.by_user.values), {nnz}),
                        py::make_tuple(m.by_user.rows, m.by_user.cols));
}

py::dict DatasetInteractions(const PyDataset& ds) {
  const auto& xs = ds.d->interactions;
  std::vector<int32_t> u(xs.size()), i(xs.size());
  std::vector<float> s(xs.size());
  std::vector<int64_t> t(xs.size());
  for (size_t k = 0; k < xs.size(); ++k) {
    u[k] = static_cast<int32_t>(xs[k].user);
    i[k] = static_cast<int32_t>(xs[k].item);
    s[k] = xs[k].strength;
    t[k] = xs[k].timestamp;
  }
  const auto n = static_cast<py::ssize_t>(xs.size());
  py::dict out;
  out["user"] = Own<int32_t>(std::move(u), {n});
  out["item"] = Own<int32_t>(std::move(i), {n});
  out["strength"] = Own<float>(std::move(s), {n});
  out["timestamp"] = Own<int64_t>(std::move(t), {n});
  return out;
}

py::dict DatasetItems(const PyDataset& ds) {
  const Dataset& d = *ds.d;
  py::list titles, genres, tags, texts;
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    titles.append(d.item_info[i].title);
    genres.append(py::cast(d.item_info[i].genres));
    tags.append(py::cast(d.item_info[i].tags));
    texts.append(d.ItemText(i));
  }
  py::dict out;
  out["item"] = py::cast(d.items.ids());
  out["title"] = titles;
  out["genres"] = genres;
  out["tags"] = tags;
  out["text"] = texts;
  return out;
}

// ---------------------------------------------------------------------------------------------
// ALS

// One fitted model, immutable; arrays and results handed to Python keep it alive.
struct FittedAls {
  explicit FittedAls(std::unique_ptr<AlsModel> m) : model(std::move(m)) {}
  std::unique_ptr<AlsModel> model;
  // A collab-only ranker for similar_items, built on first use.
  mutable std::once_flag ranker_once;
  mutable std::unique_ptr<HybridRanker> ranker;
  const HybridRanker& Ranker() const {
    std::call_once(ranker_once, [&] { ranker = std::make_unique<HybridRanker>(model.get(), std::span<const float>{}, 0,
                                                                              nullptr, std::span<const float>{}); });
    return *ranker;
  }
};

class AlsCore {
 public:
  explicit AlsCore(AlsOptions o) : options_(o) { options_.Validate(); }

  const AlsOptions& options() const { return options_; }

  // Fits on the matrix read in place; returns the addresses read (for the zero-copy test).
  py::tuple Fit(const py::array& indptr, const py::array& indices, const py::array& data, py::ssize_t rows,
                py::ssize_t cols, bool show_progress) {
    const CsrView v = ViewOf(indptr, indices, data, CheckedDim(rows, "rows"), CheckedDim(cols, "cols"));
    auto model = std::make_unique<AlsModel>(options_);
    Status st;
    {
      py::gil_scoped_release nogil;
      st = model->FitCsr(v, !show_progress);
    }
    Check(st);
    auto fitted = std::make_shared<const FittedAls>(std::move(model));
    {
      std::lock_guard<std::mutex> lock(mu_);
      state_ = std::move(fitted);
    }
    return py::make_tuple(reinterpret_cast<uintptr_t>(v.indptr), reinterpret_cast<uintptr_t>(v.indices),
                          reinterpret_cast<uintptr_t>(v.values));
  }

  void SetFactors(py::array_t<float, py::array::c_style | py::array::forcecast> x,
                  py::array_t<float, py::array::c_style | py::array::forcecast> y) {
    if (x.ndim() != 2 || y.ndim() != 2 || x.shape(1) != options_.factors || y.shape(1) != options_.factors)
      throw py::value_error("user and item factors must be 2-D arrays with " + std::to_string(options_.factors) +
                            " columns (the model's factors)");
    std::vector<float> xv(x.data(), x.data() + x.size()), yv(y.data(), y.data() + y.size());
    auto model = std::make_unique<AlsModel>(options_, CheckedDim(x.shape(0), "users"), CheckedDim(y.shape(0), "items"),
                                            std::move(xv), std::move(yv));
    std::lock_guard<std::mutex> lock(mu_);
    state_ = std::make_shared<const FittedAls>(std::move(model));
  }

  std::shared_ptr<const FittedAls> State() const {
    std::lock_guard<std::mutex> lock(mu_);
    if (!state_) throw py::value_error("the model is not fitted yet: call fit(user_items) first");
    return state_;
  }
  bool fitted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return state_ != nullptr;
  }

  py::array UserFactors() const {
    auto s = State();
    const AlsModel& m = *s->model;
    return View<float>(m.user_factors().data(), {m.num_users(), m.factors()}, s);
  }
  py::array ItemFactors() const {
    auto s = State();
    const AlsModel& m = *s->model;
    return View<float>(m.item_factors().data(), {m.num_items(), m.factors()}, s);
  }

  // Top-N items per user. `liked` (optional) holds the users' items: row j for userids[j] when
  // `aligned`, else row userids[j] (the training matrix). Filtered items are left out; with
  // `recalculate`, each user's factor is folded in from its aligned row instead of the trained one.
  py::tuple Recommend(py::array_t<int64_t, py::array::c_style | py::array::forcecast> userids, size_t n,
                      std::optional<py::array> indptr, std::optional<py::array> indices,
                      std::optional<py::array> data, py::ssize_t liked_rows, bool aligned, bool filter_liked,
                      bool recalculate, std::optional<py::array_t<int32_t, py::array::c_style | py::array::forcecast>>
                                            filter_items) const {
    auto s = State();
    const AlsModel& m = *s->model;
    const uint32_t items = m.num_items();
    const size_t count = static_cast<size_t>(userids.size());
    const int64_t* ids = userids.data();
    std::optional<CsrView> liked;
    if (indptr) {
      liked = ViewOf(*indptr, *indices, *data, CheckedDim(liked_rows, "rows"), items);
      // The requested rows are checked in full; the training matrix was checked by fit (and
      // is only read for masking, bounds-checked below), so a per-user call stays O(row).
      if (aligned) Check(liked->Validate());
    }
    for (size_t j = 0; j < count; ++j) {
      const bool need_row = !recalculate || !aligned;
      if (need_row && (ids[j] < 0 || ids[j] >= static_cast<int64_t>(m.num_users())))
        throw py::index_error("userid " + std::to_string(ids[j]) + " is out of range [0, " +
                              std::to_string(m.num_users()) + ")");
      if (liked && !aligned) {
        if (ids[j] >= static_cast<int64_t>(liked->rows))
          throw py::index_error("userid " + std::to_string(ids[j]) + " has no row in the training matrix");
        const auto r = static_cast<uint32_t>(ids[j]);
        if (liked->RowBegin(r) > liked->RowEnd(r) || liked->RowEnd(r) > liked->nnz)
          throw py::value_error("the training matrix given to fit was changed since; fit again");
      }
    }
    std::vector<uint32_t> blocked;
    if (filter_items) {
      for (py::ssize_t t = 0; t < filter_items->size(); ++t) {
        const int32_t i = filter_items->data()[t];
        if (i < 0 || static_cast<uint32_t>(i) >= items) throw py::index_error("filter_items: item " + std::to_string(i) + " is out of range");
        blocked.push_back(static_cast<uint32_t>(i));
      }
    }
    n = std::min<size_t>(n, items);
    std::vector<int32_t> out_ids(count * n, -1);
    std::vector<float> out_scores(count * n, -INFINITY);
    {
      py::gil_scoped_release nogil;
      const int threads = m.options().threads;
      constexpr size_t kBatch = 1024;
      std::vector<float> scores(std::min(kBatch, count) * items);
      std::vector<uint32_t> block;
      for (size_t b = 0; b < count; b += kBatch) {
        const size_t nb = std::min(kBatch, count - b);
        if (recalculate) {
          ParallelFor(nb, threads, [&](size_t jb, size_t je) {
            std::vector<std::pair<uint32_t, float>> row;
            for (size_t j = jb; j < je; ++j) {
              const uint32_t r = static_cast<uint32_t>(aligned ? b + j : static_cast<size_t>(ids[b + j]));
              row.clear();
              const auto idx = liked->RowIndices(r);
              for (size_t t = 0; t < idx.size(); ++t) row.emplace_back(idx[t], liked->Value(liked->RowBegin(r) + t));
              const std::vector<float> x = m.FoldInUser(row);
              m.ScoreVector(x, std::span<float>(scores.data() + j * items, items));
            }
          }, 16);
        } else {
          block.resize(nb);
          for (size_t j = 0; j < nb; ++j) block[j] = static_cast<uint32_t>(ids[b + j]);
          m.ScoreUsers(block, std::span<float>(scores.data(), nb * items), items);
        }
        ParallelFor(nb, threads, [&](size_t jb, size_t je) {
          std::vector<uint32_t> top;
          for (size_t j = jb; j < je; ++j) {
            float* row = scores.data() + j * items;
            if (filter_liked && liked) {
              const uint32_t r = static_cast<uint32_t>(aligned ? b + j : static_cast<size_t>(ids[b + j]));
              for (uint32_t i : liked->RowIndices(r))
                if (i < items) row[i] = -INFINITY;
            }
            for (uint32_t i : blocked) row[i] = -INFINITY;
            TopKInto(std::span<const float>(row, items), n, top);
            for (size_t t = 0; t < top.size(); ++t) {
              out_ids[(b + j) * n + t] = static_cast<int32_t>(top[t]);
              out_scores[(b + j) * n + t] = row[top[t]];
            }
          }
        }, 32);
      }
    }
    const auto c = static_cast<py::ssize_t>(count), k = static_cast<py::ssize_t>(n);
    return py::make_tuple(Own<int32_t>(std::move(out_ids), {c, k}), Own<float>(std::move(out_scores), {c, k}));
  }

  // One user's factor folded in from (items, strengths) against the trained item factors.
  py::array RecalculateUser(py::array_t<int32_t, py::array::c_style | py::array::forcecast> items,
                            py::array_t<float, py::array::c_style | py::array::forcecast> strengths) const {
    auto s = State();
    if (items.size() != strengths.size()) throw py::value_error("items and strengths must have the same length");
    std::vector<std::pair<uint32_t, float>> row;
    for (py::ssize_t t = 0; t < items.size(); ++t) {
      const int32_t i = items.data()[t];
      if (i < 0 || static_cast<uint32_t>(i) >= s->model->num_items())
        throw py::index_error("item " + std::to_string(i) + " is out of range [0, " +
                              std::to_string(s->model->num_items()) + ")");
      row.emplace_back(static_cast<uint32_t>(i), strengths.data()[t]);
    }
    std::vector<float> x;
    {
      py::gil_scoped_release nogil;
      x = s->model->FoldInUser(row);
    }
    const auto k = static_cast<py::ssize_t>(x.size());
    return Own<float>(std::move(x), {k});
  }

  // Items most similar to `item` by the cosine of their factors (the item itself left out).
  py::tuple SimilarItems(int64_t item, size_t n) const {
    auto s = State();
    if (item < 0 || item >= static_cast<int64_t>(s->model->num_items()))
      throw py::index_error("itemid " + std::to_string(item) + " is out of range [0, " +
                            std::to_string(s->model->num_items()) + ")");
    std::vector<SimilarItem> sims;
    {
      py::gil_scoped_release nogil;
      sims = s->Ranker().Similar(static_cast<uint32_t>(item), n, SimilarMode::kCollab);
    }
    std::vector<int32_t> ids;
    std::vector<float> scores;
    for (const auto& x : sims) {
      ids.push_back(static_cast<int32_t>(x.item));
      scores.push_back(x.score);
    }
    const auto k = static_cast<py::ssize_t>(ids.size());
    return py::make_tuple(Own<int32_t>(std::move(ids), {k}), Own<float>(std::move(scores), {k}));
  }

 private:
  AlsOptions options_;
  mutable std::mutex mu_;
  std::shared_ptr<const FittedAls> state_;
};

std::unique_ptr<AlsCore> MakeAlsCore(int factors, float regularization, float alpha, int iterations, const std::string& solver,
                    int threads, uint64_t seed, float reg_exponent, int cg_steps, const std::string& confidence) {
  AlsOptions o;
  o.factors = factors;
  o.regularization = regularization;
  o.confidence.alpha = alpha;
  o.iterations = iterations;
  o.solver = Take(ParseAlsSolver(solver));
  o.threads = threads;
  o.seed = seed;
  o.reg_exponent = reg_exponent;
  o.cg_steps = cg_steps;
  o.confidence.kind = Take(ParseConfidenceKind(confidence));
  return std::make_unique<AlsCore>(o);
}

// ---------------------------------------------------------------------------------------------
// The trained hybrid model

struct LoadedModel {
  TrainedModel tm;
  std::unique_ptr<HybridRanker> ranker;
};

class PyModel {
 public:
  static PyModel Load(const std::string& dir) {
    auto lm = std::make_shared<LoadedModel>();
    Status st;
    {
      py::gil_scoped_release nogil;
      auto r = LoadTrainedModel(dir);
      if (r.ok()) {
        lm->tm = std::move(r).value();
        lm->ranker = lm->tm.MakeRanker(lm->tm.ranker);
      } else {
        st = r.status();
      }
    }
    Check(st);
    return PyModel(std::move(lm));
  }

  const TrainedModel& tm() const { return m_->tm; }

  // The `recommend --json` object as a dict: for a known or unknown user id, or a new user
  // given (item id, strength) pairs, oldest first.
  py::dict Recommend(std::optional<std::string> user, std::optional<std::vector<std::pair<std::string, float>>> items,
                     size_t k, bool explain, bool exclude_seen) const {
    if (user.has_value() == items.has_value()) throw py::value_error("give exactly one of user=ID or items=[ID, ...]");
    if (k < 1 || k > 1000) throw py::value_error("k must be in [1, 1000]");
    const TrainedModel& t = tm();
    RankQuery q;
    std::optional<uint32_t> known;
    if (user) {
      known = t.users.Find(*user);
      q = QueryForUser(t, known, {}, m_->ranker->options().recent.items);
    } else {
      std::vector<HistoryEntry> hist;
      for (const auto& [id, strength] : *items) {
        if (!(strength > 0.f) || !std::isfinite(strength))
          throw py::value_error("items: '" + id + "': strength must be a positive number");
        const auto idx = t.items.Find(id);
        if (!idx) RaiseKey("items: unknown item id '" + id + "'");
        hist.emplace_back(*idx, strength);
      }
      if (hist.empty()) throw py::value_error("items: give at least one item id");
      q = QueryForItems(hist);
    }
    RankRequest request;
    request.k = k;
    request.explain = explain;
    request.exclude_seen = exclude_seen;
    RankResponse r;
    {
      py::gil_scoped_release nogil;
      r = m_->ranker->Recommend(q.view(), request);
    }
    auto opt = [](const std::optional<float>& v) { return v ? py::object(py::float_(*v)) : py::object(py::none()); };
    py::dict out;
    out["path"] = std::string(RankPathName(r.path));
    out["weight"] = r.weight("collab");
    out["popularity_weight"] = PopularityShare(r);
    py::dict signals;
    for (const SignalUse& u : r.signals) signals[py::str(std::string(u.name))] = u.weight;
    out["signals"] = signals;
    out["history_size"] = q.history.size();
    if (user) {
      out["user"] = *user;
      out["known_user"] = known.has_value();
    }
    py::list list;
    for (const auto& it : r.items) {
      py::dict j;
      j["id"] = t.items.Id(it.item);
      j["title"] = t.item_info[it.item].title;
      j["genres"] = py::cast(t.item_info[it.item].genres);
      j["score"] = it.score;
      j["collab"] = opt(r.raw(it, "collab"));
      j["content"] = opt(r.raw(it, "content"));
      for (const SignalRegistration& reg : BuiltinSignals())
        j[py::str("z_" + std::string(reg.name))] = r.z(it, reg.name);
      if (explain) {
        auto reasons = [&](std::span<const Contribution> cs) {
          py::list arr;
          for (const auto& c : cs) {
            py::dict e;
            e["id"] = t.items.Id(c.history_item);
            e["title"] = t.item_info[c.history_item].title;
            e["contribution"] = c.value;
            arr.append(e);
          }
          return arr;
        };
        j["because_content"] = reasons(r.reasons(it, "content"));
        j["because_collab"] = reasons(r.reasons(it, "collab"));
      }
      list.append(j);
    }
    out["items"] = list;
    return out;
  }

  // Top-k item indices and scores for many user ids (unknown ids get the cold-start path), seen
  // items excluded, through the ranker's batch path over `threads` threads (0: all).
  py::tuple RecommendBatch(const std::vector<std::string>& users, size_t k, int threads) const {
    if (k < 1 || k > 1000) throw py::value_error("k must be in [1, 1000]");
    const TrainedModel& t = tm();
    const size_t n = users.size();
    std::vector<int32_t> ids(n * k, -1);
    std::vector<float> scores(n * k, NAN);
    {
      py::gil_scoped_release nogil;
      std::vector<std::optional<uint32_t>> rows(n);
      for (size_t u = 0; u < n; ++u) rows[u] = t.users.Find(users[u]);
      RecommendUsers(t, *m_->ranker, rows, k, threads, ids, scores);
    }
    const auto c = static_cast<py::ssize_t>(n), kk = static_cast<py::ssize_t>(k);
    return py::make_tuple(Own<int32_t>(std::move(ids), {c, kk}), Own<float>(std::move(scores), {c, kk}));
  }

  py::list Similar(const std::string& item, size_t k, const std::string& mode_name) const {
    const auto mode = ParseSimilarMode(mode_name);
    if (!mode) throw py::value_error("mode must be content, collab or hybrid");
    if (k < 1 || k > 1000) throw py::value_error("k must be in [1, 1000]");
    const TrainedModel& t = tm();
    const auto idx = t.items.Find(item);
    if (!idx) RaiseKey("unknown item id '" + item + "'");
    if (*mode != SimilarMode::kCollab && !t.content)
      throw py::value_error("this model was trained without the content layer (--no-content); use mode='collab'");
    std::vector<SimilarItem> sims;
    {
      py::gil_scoped_release nogil;
      sims = m_->ranker->Similar(*idx, k, *mode);
    }
    py::list out;
    for (const auto& s : sims) {
      py::dict j;
      j["id"] = t.items.Id(s.item);
      j["title"] = t.item_info[s.item].title;
      j["score"] = s.score;
      j["content"] = s.content ? py::object(py::float_(*s.content)) : py::object(py::none());
      j["collab"] = s.collab ? py::object(py::float_(*s.collab)) : py::object(py::none());
      out.append(j);
    }
    return out;
  }

  py::list Search(const std::string& text, int k) const {
    if (k < 1 || k > 1000) throw py::value_error("k must be in [1, 1000]");
    const TrainedModel& t = tm();
    if (!t.content) throw py::value_error("this model was trained without the content layer (--no-content)");
    Result<std::vector<ContentHit>> hits = Status::InvalidArgument("unset");
    {
      py::gil_scoped_release nogil;
      hits = SearchByText(*t.content, text, k);
    }
    py::list out;
    for (const auto& h : Take(std::move(hits))) {
      py::dict j;
      j["id"] = t.content->item_ids[h.item];
      j["title"] = t.content->titles[h.item];
      j["score"] = h.score;
      out.append(j);
    }
    return out;
  }

  // Embeddings of free texts with the model's encoder (num_texts x dim, float32).
  py::array Embed(const std::vector<std::string>& texts) const {
    const TrainedModel& t = tm();
    if (!t.content) throw py::value_error("this model was trained without the content layer (--no-content)");
    std::vector<float> out;
    Status st;
    {
      py::gil_scoped_release nogil;
      st = t.content->encoder->Encode(texts, out);
    }
    Check(st);
    const auto d = static_cast<py::ssize_t>(t.content->dimension());
    return Own<float>(std::move(out), {static_cast<py::ssize_t>(texts.size()), d});
  }

  py::array UserFactors() const {
    const AlsModel& a = *tm().als;
    return View<float>(a.user_factors().data(), {a.num_users(), a.factors()}, m_);
  }
  py::array ItemFactors() const {
    const AlsModel& a = *tm().als;
    return View<float>(a.item_factors().data(), {a.num_items(), a.factors()}, m_);
  }
  py::object ItemEmbeddings() const {
    if (!tm().content) return py::none();
    const ContentModel& c = *tm().content;
    return View<float>(c.embeddings.data(), {static_cast<py::ssize_t>(c.num_items()), c.dimension()}, m_);
  }
  // The training history as CSR arrays (indptr int64, indices int32, data float32) sharing memory.
  py::tuple History() const {
    const CsrMatrix& h = tm().history;
    return py::make_tuple(View<int64_t>(reinterpret_cast<const int64_t*>(h.indptr.data()), {h.rows + 1}, m_),
                          View<int32_t>(reinterpret_cast<const int32_t*>(h.indices.data()),
                                        {static_cast<py::ssize_t>(h.nnz())}, m_),
                          View<float>(h.values.data(), {static_cast<py::ssize_t>(h.nnz())}, m_),
                          py::make_tuple(h.rows, h.cols));
  }

 private:
  explicit PyModel(std::shared_ptr<LoadedModel> m) : m_(std::move(m)) {}
  std::shared_ptr<LoadedModel> m_;
};

// ---------------------------------------------------------------------------------------------
// Evaluation

// `evaluate --json` runs as a JSON string (one object per seed), with the CLI's defaults.
std::string EvaluatePy(const PyDataset& ds, const std::string& protocol_name, const std::vector<uint64_t>& seeds,
                       const std::vector<size_t>& ks, bool tune, const std::string& encoder, const AlsCore* als,
                       double test_fraction, uint32_t reveal, bool quiet) {
  auto protocol = Take(ParseSplitProtocol(protocol_name));
  auto choice = Take(ParseEncoderChoice(encoder));
  if (seeds.empty()) throw py::value_error("seeds: give at least one seed");
  if (ks.empty()) throw py::value_error("k: give at least one cutoff");
  PipelineOptions po;
  po.split.protocol = protocol;
  po.split.test_fraction = test_fraction;
  po.split.reveal = reveal;
  po.tune = tune;
  po.ks = ks;
  if (als != nullptr) po.tuning.als = als->options();
  po.tuning.als.quiet = quiet;
  po.tuning.quiet = quiet;
  po.tuning.fold_in_regularization = po.tuning.ranker.collab.foldin_regularization;
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  Status st;
  {
    py::gil_scoped_release nogil;
    ContentModelOptions co;
    co.encoder.choice = choice;
    auto content = BuildContentModel(*ds.d, co);
    if (!content.ok()) {
      st = content.status();
    } else {
      po.content_encoder = content->encoder ? content->encoder->name() : "";
      for (uint64_t seed : seeds) {
        auto run = RunEvaluationPipeline(*ds.d, content->embeddings, content->dimension(), po, seed);
        if (!run.ok()) {
          st = run.status();
          break;
        }
        runs.push_back(run->result.ToJson());
      }
    }
  }
  Check(st);
  return runs.dump();
}

// `hybridrec train`: returns the summary line's facts; the model is then opened with Model.load.
py::dict TrainPy(const PyDataset& ds, const std::string& out, const AlsCore* als, const std::string& encoder,
                 const std::string& index, bool content, bool tune, const std::string& tune_protocol,
                 uint64_t tune_seed, double cold_guard, bool quiet) {
  TrainModelOptions o;
  if (als != nullptr) o.als = als->options();
  o.content = content;
  o.content_options.encoder.choice = Take(ParseEncoderChoice(encoder));
  o.content_options.index.kind = Take(ParseIndexKind(index));
  o.tune = tune;
  o.tune_protocol = Take(ParseSplitProtocol(tune_protocol));
  o.tune_seed = tune_seed;
  if (!(cold_guard >= 0.0 && cold_guard <= 1.0)) throw py::value_error("cold_guard must be in [0, 1]");
  o.cold_guard = cold_guard;
  o.quiet = quiet;
  Result<TrainModelSummary> r = Status::InvalidArgument("unset");
  {
    py::gil_scoped_release nogil;
    r = TrainModel(*ds.d, o, out, quiet ? nullptr : &std::cerr);
  }
  const TrainModelSummary summary = Take(std::move(r));
  py::dict d;
  d["fit_s"] = summary.fit_s;
  d["embed_s"] = summary.embed_s;
  d["encoder_message"] = summary.encoder_message;
  d["content"] = summary.content_description;
  return d;
}

void SynthPy(uint32_t users, uint32_t items, uint64_t nnz, double zipf, uint64_t seed, uint32_t topics,
             const std::string& out) {
  SynthOptions o;
  o.users = users;
  o.items = items;
  o.nnz = nnz;
  o.zipf = zipf;
  o.seed = seed;
  o.topics = topics;
  Status st;
  {
    py::gil_scoped_release nogil;
    st = WriteSyntheticDataset(o, out);
  }
  Check(st);
}

}  // namespace

PYBIND11_MODULE(_hybridrec, m) {
  m.doc() = "Compiled core of the hybridrec package; use the `hybridrec` package, not this module.";

  py::class_<PyDataset>(m, "Dataset")
      .def_static("load", &LoadDatasetPy, py::arg("path"), py::arg("format") = "auto", py::arg("skip_bad_rows") = false)
      .def_static("from_columns", &DatasetFromColumns, py::arg("users"), py::arg("items"), py::arg("strength"),
                  py::arg("timestamp"), py::arg("catalogue_ids"), py::arg("titles"), py::arg("genres"),
                  py::arg("texts"), py::arg("name"))
      .def_property_readonly("name", [](const PyDataset& d) { return d.d->name; })
      .def_property_readonly("format", [](const PyDataset& d) { return d.d->format; })
      .def_property_readonly("num_users", [](const PyDataset& d) { return d.d->num_users(); })
      .def_property_readonly("num_items", [](const PyDataset& d) { return d.d->num_items(); })
      .def_property_readonly("num_interactions", [](const PyDataset& d) { return d.d->interactions.size(); })
      .def_property_readonly("has_timestamps", [](const PyDataset& d) { return d.d->has_timestamps; })
      .def_property_readonly("duplicates_merged", [](const PyDataset& d) { return d.d->report.duplicates_merged; })
      .def_property_readonly("rows_skipped", [](const PyDataset& d) { return d.d->report.rows_skipped; })
      .def_property_readonly("user_ids", [](const PyDataset& d) { return d.d->users.ids(); })
      .def_property_readonly("item_ids", [](const PyDataset& d) { return d.d->items.ids(); })
      .def("csr", &DatasetCsr)
      .def("interactions", &DatasetInteractions)
      .def("items", &DatasetItems);

  py::class_<AlsCore>(m, "ALSCore")
      .def(py::init(&MakeAlsCore), py::arg("factors"), py::arg("regularization"), py::arg("alpha"),
           py::arg("iterations"), py::arg("solver"), py::arg("threads"), py::arg("seed"), py::arg("reg_exponent"),
           py::arg("cg_steps"), py::arg("confidence"))
      .def("fit", &AlsCore::Fit)
      .def("set_factors", &AlsCore::SetFactors)
      .def_property_readonly("fitted", &AlsCore::fitted)
      .def_property_readonly("user_factors", &AlsCore::UserFactors)
      .def_property_readonly("item_factors", &AlsCore::ItemFactors)
      .def("recommend", &AlsCore::Recommend)
      .def("recalculate_user", &AlsCore::RecalculateUser)
      .def("similar_items", &AlsCore::SimilarItems);

  py::class_<PyModel>(m, "Model")
      .def_static("load", &PyModel::Load, py::arg("path"))
      .def("recommend", &PyModel::Recommend)
      .def("recommend_batch", &PyModel::RecommendBatch)
      .def("similar", &PyModel::Similar)
      .def("search", &PyModel::Search)
      .def("embed", &PyModel::Embed)
      .def_property_readonly("user_ids", [](const PyModel& p) { return p.tm().users.ids(); })
      .def_property_readonly("item_ids", [](const PyModel& p) { return p.tm().items.ids(); })
      .def_property_readonly("item_titles", [](const PyModel& p) {
        std::vector<std::string> v;
        for (const auto& i : p.tm().item_info) v.push_back(i.title);
        return v;
      })
      .def_property_readonly("manifest", [](const PyModel& p) { return p.tm().manifest.dump(); })
      .def_property_readonly("user_factors", &PyModel::UserFactors)
      .def_property_readonly("item_factors", &PyModel::ItemFactors)
      .def_property_readonly("item_embeddings", &PyModel::ItemEmbeddings)
      .def("history", &PyModel::History);

  m.def("evaluate", &EvaluatePy);
  m.def("synth", &SynthPy);
  m.def("train", &TrainPy);
}
