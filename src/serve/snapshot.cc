#include "serve/snapshot.h"

#include <stdexcept>

#include "core/file_util.h"
#include "eval/report.h"
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
  return BuildWith(std::move(model), std::move(model_dir), std::move(added), std::move(added_embeddings),
                   std::move(users), nullptr);
}

std::shared_ptr<const Snapshot> Snapshot::BuildWith(std::shared_ptr<const TrainedModel> model, std::string model_dir,
                                                    std::vector<AddedItem> added, std::vector<float> added_embeddings,
                                                    std::shared_ptr<UserEvents> users,
                                                    std::shared_ptr<const std::vector<std::string>> base_refs) {
  if (!model) throw std::invalid_argument("Snapshot::Build: no model");
  std::shared_ptr<Snapshot> s(new Snapshot());
  s->base_refs_ = std::move(base_refs);
  s->model_ = std::move(model);
  s->model_dir_ = std::move(model_dir);
  s->users_ = users ? std::move(users) : std::make_shared<UserEvents>();
  s->added_ = std::move(added);
  s->embeddings_ = std::move(added_embeddings);  // Init() prepends the trained rows
  s->Init();
  return s;
}

std::shared_ptr<const Snapshot> Snapshot::WithItems(std::vector<AddedItem> more,
                                                    std::span<const float> more_embeddings) const {
  std::vector<AddedItem> all = added_;
  for (auto& m : more) all.push_back(std::move(m));
  std::vector<float> emb;
  const size_t d = static_cast<size_t>(dim_);
  if (d > 0 && !added_.empty())
    emb.assign(emb_view_.begin() + static_cast<std::ptrdiff_t>(base_items_ * d), emb_view_.end());
  emb.insert(emb.end(), more_embeddings.begin(), more_embeddings.end());
  return BuildWith(model_, model_dir_, std::move(all), std::move(emb), users_, base_refs_);
}

void Snapshot::Init() {
  const TrainedModel& m = *model_;
  version_ = Sha256Hex(m.manifest.dump()).substr(0, 12);
  base_items_ = m.num_items();
  for (uint32_t i = 0; i < added_.size(); ++i) {
    if (m.items.Find(added_[i].id) || !added_index_.emplace(added_[i].id, base_items_ + i).second)
      throw std::invalid_argument("Snapshot: added item '" + added_[i].id + "' is already in the catalogue");
  }
  const auto pop = m.popularity->item_scores();
  popularity_.assign(pop.begin(), pop.end());
  popularity_.resize(num_items(), 0.f);

  const VectorIndex* index = nullptr;
  if (m.content) {
    dim_ = m.content->dimension();
    const size_t d = static_cast<size_t>(dim_);
    if (embeddings_.size() != added_.size() * d)
      throw std::invalid_argument("Snapshot: added embeddings do not match the added items");
    index = m.content->index.get();
    if (added_.empty()) {
      emb_view_ = m.content->embeddings;
    } else {
      std::vector<float> all;
      all.reserve(m.content->embeddings.size() + embeddings_.size());
      all.insert(all.end(), m.content->embeddings.begin(), m.content->embeddings.end());
      all.insert(all.end(), embeddings_.begin(), embeddings_.end());
      embeddings_ = std::move(all);
      emb_view_ = embeddings_;
      if (index != nullptr) {
        auto overlay = std::make_unique<OverlayIndex>(index);
        std::vector<int64_t> ids(added_.size());
        for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(base_items_ + i);
        const Status st = overlay->Add(std::span<const float>(emb_view_).subspan(base_items_ * d), ids);
        if (!st.ok()) throw std::invalid_argument("Snapshot: " + st.message());
        overlay_ = std::move(overlay);
        index = overlay_.get();
      }
    }
  } else if (!added_.empty()) {
    throw std::invalid_argument("Snapshot: items can only be added to a model with a content layer");
  }
  RankerOptions excl = m.ranker, incl = m.ranker;
  excl.exclude_seen = true;
  incl.exclude_seen = false;
  ranker_excl_ = std::make_unique<HybridRanker>(m.als.get(), emb_view_, dim_, index, popularity_, excl);
  ranker_incl_ = std::make_unique<HybridRanker>(m.als.get(), emb_view_, dim_, index, popularity_, incl);

  if (!base_refs_) {
    auto refs = std::make_shared<std::vector<std::string>>();
    refs->reserve(base_items_);
    for (uint32_t i = 0; i < base_items_; ++i) refs->push_back(SerializeItemRef(i));
    base_refs_ = std::move(refs);
  }
  added_refs_.clear();
  for (uint32_t i = 0; i < added_.size(); ++i) added_refs_.push_back(SerializeItemRef(base_items_ + i));
}

std::string Snapshot::SerializeItemRef(uint32_t item) const {
  const Item& info = ItemInfo(item);
  JsonText t(64 + info.title.size());
  t.BeginObject().Key("genres").BeginArray();
  for (const auto& g : info.genres) t.String(g);
  t.EndArray().Key("id").String(ItemId(item)).Key("title").String(info.title).EndObject();
  return t.Take();
}

std::string_view Snapshot::ItemRefText(uint32_t item) const {
  return item < base_items_ ? std::string_view((*base_refs_)[item]) : std::string_view(added_refs_[item - base_items_]);
}

const VectorIndex* Snapshot::index() const {
  if (overlay_) return overlay_.get();
  return model_->content ? model_->content->index.get() : nullptr;
}

const TextEncoder* Snapshot::encoder() const { return model_->content ? model_->content->encoder.get() : nullptr; }

std::optional<uint32_t> Snapshot::FindItem(std::string_view id) const {
  if (auto i = model_->items.Find(id)) return i;
  if (added_index_.empty()) return std::nullopt;
  const auto it = added_index_.find(std::string(id));
  if (it == added_index_.end()) return std::nullopt;
  return it->second;
}

const std::string& Snapshot::ItemId(uint32_t item) const {
  return item < base_items_ ? model_->items.Id(item) : added_[item - base_items_].id;
}

const Item& Snapshot::ItemInfo(uint32_t item) const {
  return item < base_items_ ? model_->item_info[item] : added_[item - base_items_].info;
}

const std::vector<float>& Snapshot::EmbeddingMap() const {
  std::call_once(map_once_, [this] {
    if (dim_ > 0 && num_items() > 0) map_ = Pca2D(emb_view_, num_items(), static_cast<size_t>(dim_));
  });
  return map_;
}

}  // namespace hybridrec::serve
