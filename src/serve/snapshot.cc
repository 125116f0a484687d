#include "serve/snapshot.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "core/file_util.h"
#include "core/pca.h"
#include "serve/json_text.h"
#include "serve/overlay_index.h"

namespace hybridrec::serve {

std::string ItemTextOf(const Item& item) {
  Dataset d;
  d.item_info.push_back(item);
  return d.ItemText(0);
}

std::shared_ptr<const Snapshot> Snapshot::Build(std::shared_ptr<const TrainedModel> model, std::string model_dir,
                                                std::vector<AddedItem> added, std::vector<float> added_embeddings,
                                                std::shared_ptr<UserEvents> users) {
  auto base = BuildBase(std::move(model), std::move(model_dir), std::move(users), nullptr);
  if (added.empty() && added_embeddings.empty()) return base;
  return base->WithItems(std::move(added), added_embeddings);
}

std::shared_ptr<Snapshot> Snapshot::BuildBase(std::shared_ptr<const TrainedModel> model, std::string model_dir,
                                              std::shared_ptr<UserEvents> users,
                                              std::shared_ptr<const std::vector<std::string>> base_refs) {
  if (!model) throw std::invalid_argument("Snapshot::Build: no model");
  std::shared_ptr<Snapshot> s(new Snapshot());
  s->model_ = std::move(model);
  s->model_dir_ = std::move(model_dir);
  s->users_ = users ? std::move(users) : std::make_shared<UserEvents>();
  const TrainedModel& m = *s->model_;
  s->version_ = Sha256Hex(m.manifest.dump()).substr(0, 12);
  s->base_items_ = m.num_items();
  const auto pop = m.popularity->item_scores();
  if (pop.size() == s->base_items_) {
    s->popularity_ = pop;
  } else {
    s->own_pop_.assign(pop.begin(), pop.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(pop.size(), s->base_items_)));
    s->own_pop_.resize(s->base_items_, 0.f);
    s->popularity_ = s->own_pop_;
  }
  const VectorIndex* index = nullptr;
  if (m.content) {
    s->dim_ = m.content->dimension();
    s->emb_view_ = m.content->embeddings;
    index = m.content->index.get();
  }
  s->ranker_ = std::make_unique<HybridRanker>(m.als.get(), s->emb_view_, s->dim_, index, s->popularity_, m.ranker,
                                              std::span<const uint8_t>{}, m.NeighboursFor(m.ranker),
                                              std::vector<std::shared_ptr<const Signal>>{}, m.factor_index.get());
  if (!base_refs) {
    auto refs = std::make_shared<std::vector<std::string>>();
    refs->reserve(s->base_items_);
    for (uint32_t i = 0; i < s->base_items_; ++i) refs->push_back(s->SerializeItemRef(m.items.Id(i), m.item_info[i]));
    base_refs = std::move(refs);
  }
  s->base_refs_ = std::move(base_refs);
  return s;
}

std::shared_ptr<const Snapshot> Snapshot::WithItems(std::vector<AddedItem> more,
                                                    std::span<const float> more_embeddings) const {
  const TrainedModel& m = *model_;
  if (!m.content) {
    if (more.empty()) return BuildBase(model_, model_dir_, users_, base_refs_);
    throw std::invalid_argument("Snapshot: items can only be added to a model with a content layer");
  }
  const size_t d = static_cast<size_t>(dim_);
  if (more_embeddings.size() != more.size() * d)
    throw std::invalid_argument("Snapshot: added embeddings do not match the added items");
  {
    std::unordered_set<std::string_view> batch;
    for (const AddedItem& a : more)
      if (FindItem(a.id) || !batch.insert(a.id).second)
        throw std::invalid_argument("Snapshot: added item '" + a.id + "' is already in the catalogue");
  }
  const size_t n = num_items();
  const size_t mm = more.size();
  const size_t total = n + mm;
  std::shared_ptr<Catalog> cat = cat_;
  if (!cat || !cat->tip.Claim(n, mm, cat->cap)) {
    // New storage with spare rows, holding this snapshot's rows (shared records, copied floats).
    cat = std::make_shared<Catalog>();
    cat->cap = GrownCapacity(total);
    cat->base = base_items_;
    cat->dim = d;
    cat->emb = std::make_unique<float[]>(cat->cap * d);
    cat->pop = std::make_unique<float[]>(cat->cap);
    cat->added = std::make_unique<std::shared_ptr<const AddedEntry>[]>(cat->cap - base_items_);
    std::copy(emb_view_.begin(), emb_view_.end(), cat->emb.get());
    std::copy(popularity_.begin(), popularity_.end(), cat->pop.get());
    for (uint32_t i = 0; i < num_added_; ++i) {
      cat->added[i] = cat_->added[i];
      cat->ids.emplace(cat_->added[i]->item.id, base_items_ + i);
    }
    cat->tip.Reset(total);
  }
  std::copy(more_embeddings.begin(), more_embeddings.end(), cat->emb.get() + n * d);
  {
    std::unique_lock lock(cat->ids_mu);
    for (size_t j = 0; j < mm; ++j) {
      auto e = std::make_shared<AddedEntry>();
      e->ref = SerializeItemRef(more[j].id, more[j].info);
      e->item = std::move(more[j]);
      const auto index = static_cast<uint32_t>(n + j);
      // An id left by an extension that was never published (rows past every snapshot) is
      // replaced.
      cat->ids.insert_or_assign(e->item.id, index);
      cat->added[n + j - base_items_] = std::move(e);
    }
  }

  std::shared_ptr<Snapshot> s(new Snapshot());
  s->model_ = model_;
  s->model_dir_ = model_dir_;
  s->version_ = version_;
  s->base_items_ = base_items_;
  s->num_added_ = static_cast<uint32_t>(total - base_items_);
  s->dim_ = dim_;
  s->cat_ = std::move(cat);
  s->emb_view_ = std::span<const float>(s->cat_->emb.get(), total * d);
  s->popularity_ = std::span<const float>(s->cat_->pop.get(), total);
  s->users_ = users_;
  s->base_refs_ = base_refs_;
  const VectorIndex* index = m.content->index.get();
  if (index != nullptr) {
    s->overlay_ = std::make_unique<OverlayIndex>(index, s->emb_view_.subspan(base_items_ * d), base_items_);
    index = s->overlay_.get();
  }
  s->ranker_ = ranker_->Extended(s->emb_view_, index, s->popularity_);
  return s;
}

bool Snapshot::SharesStorageWith(const Snapshot& other) const {
  return cat_ != nullptr && cat_ == other.cat_ && ranker_->SharesTablesWith(*other.ranker_);
}

std::string Snapshot::SerializeItemRef(std::string_view id, const Item& info) const {
  JsonText t(64 + info.title.size());
  t.BeginObject().Key("genres").BeginArray();
  for (const auto& g : info.genres) t.String(g);
  t.EndArray().Key("id").String(id).Key("title").String(info.title).EndObject();
  return t.Take();
}

std::string_view Snapshot::ItemRefText(uint32_t item) const {
  return item < base_items_ ? std::string_view((*base_refs_)[item]) : std::string_view(Added(item).ref);
}

const VectorIndex* Snapshot::index() const {
  if (overlay_) return overlay_.get();
  return model_->content ? model_->content->index.get() : nullptr;
}

const TextEncoder* Snapshot::encoder() const { return model_->content ? model_->content->encoder.get() : nullptr; }

std::optional<uint32_t> Snapshot::FindItem(std::string_view id) const {
  if (auto i = model_->items.Find(id)) return i;
  if (num_added_ == 0) return std::nullopt;
  std::shared_lock lock(cat_->ids_mu);
  const auto it = cat_->ids.find(std::string(id));
  if (it == cat_->ids.end() || it->second >= num_items()) return std::nullopt;
  return it->second;
}

const std::string& Snapshot::ItemId(uint32_t item) const {
  return item < base_items_ ? model_->items.Id(item) : Added(item).item.id;
}

const Item& Snapshot::ItemInfo(uint32_t item) const {
  return item < base_items_ ? model_->item_info[item] : Added(item).item.info;
}

const std::vector<float>& Snapshot::EmbeddingMap() const {
  std::call_once(map_once_, [this] {
    if (dim_ > 0 && num_items() > 0) map_ = Pca2D(emb_view_, num_items(), static_cast<size_t>(dim_));
  });
  return map_;
}

const ItemAttributes& Snapshot::Attributes() const {
  std::call_once(attrs_once_, [this] {
    attrs_ = std::make_unique<ItemAttributes>(
        num_items(), [this](uint32_t i) -> const Item& { return ItemInfo(i); },
        [this](uint32_t i) -> std::optional<int64_t> {
          return IsAdded(i) ? std::optional<int64_t>(AddedAt(i)) : std::nullopt;
        });
  });
  return *attrs_;
}

}  // namespace hybridrec::serve
