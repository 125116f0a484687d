// Snapshot: one immutable view of what the service answers from: a trained model, the items
// added since training (the grown catalogue: their info and embeddings, indexed after the
// trained items), the vector index over the whole catalogue and the hybrid rankers over it.
// The service publishes snapshots copy-on-write (live_state.h): adding an item builds a new
// snapshot and swaps the pointer; requests keep the snapshot they started with alive.
// Snapshots of a growing catalogue share its storage: the added items' records and the
// embeddings live in arrays with spare rows (Catalog); a snapshot reads only its first
// num_items() rows, so the next snapshot appends in place and costs O(items added), not
// O(catalogue): the same for the vector index overlay and the rankers' tables
// (HybridRanker::Extended). When the spare rows run out the arrays are copied into larger ones;
// older snapshots keep the arrays they were built on alive.
//
// The per-user event overlay (UserEvents) is shared by all snapshots of one model generation
// (adding items only appends catalogue indices, so its item indices stay valid); a reload starts
// a new generation with a new overlay rebuilt from the event store.
//
// Thread-safety: every const method is safe from many threads. users() is internally
// synchronised.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/append_rows.h"
#include "data/dataset.h"
#include "index/vector_index.h"
#include "model/trained_model.h"
#include "ranking/hybrid_ranker.h"
#include "ranking/item_filter.h"
#include "serve/user_events.h"

namespace hybridrec::serve {

struct AddedItem {
  std::string id;
  Item info;
  int64_t created = 0;
};

class Snapshot {
 public:
  // Builds a snapshot over `model` with `added` items appended to the catalogue.
  // added_embeddings holds added.size() x dim floats (empty when the model has no content
  // layer, in which case `added` must be empty). Throws std::invalid_argument on size mismatch.
  static std::shared_ptr<const Snapshot> Build(std::shared_ptr<const TrainedModel> model, std::string model_dir,
                                               std::vector<AddedItem> added, std::vector<float> added_embeddings,
                                               std::shared_ptr<UserEvents> users);
  // A copy of this snapshot with more items appended (same model, same user overlay).
  std::shared_ptr<const Snapshot> WithItems(std::vector<AddedItem> more, std::span<const float> more_embeddings) const;

  const TrainedModel& model() const { return *model_; }
  const std::shared_ptr<const TrainedModel>& model_ptr() const { return model_; }
  const std::string& model_dir() const { return model_dir_; }
  const std::string& version() const { return version_; }  // 12 hex digits of the manifest's sha256

  uint32_t num_items() const { return base_items_ + num_added_; }
  uint32_t num_trained_items() const { return base_items_; }
  size_t num_added() const { return num_added_; }
  std::optional<uint32_t> FindItem(std::string_view id) const;
  // REQUIRES: item < num_items().
  const std::string& ItemId(uint32_t item) const;
  const Item& ItemInfo(uint32_t item) const;
  // The item's {"id","title","genres"} as compact JSON text (responses.h ItemRefJson), serialised
  // once per model generation (trained items) or once per added item, so hot responses splice
  // it in instead of rebuilding it per request.
  std::string_view ItemRefText(uint32_t item) const;
  bool IsAdded(uint32_t item) const { return item >= base_items_; }
  // When an added item was added (seconds since the epoch, as stored). REQUIRES: IsAdded(item)
  // and item < num_items(). Added items are indexed in the order they were added.
  int64_t AddedAt(uint32_t item) const { return Added(item).item.created; }
  float Popularity(uint32_t item) const { return item < popularity_.size() ? popularity_[item] : 0.f; }
  std::span<const float> popularity() const { return popularity_; }  // num_items()
  // True when `other` reads this snapshot's catalogue storage and ranker tables (no copy was
  // made to build it); for tests.
  bool SharesStorageWith(const Snapshot& other) const;

  bool has_content() const { return dim_ > 0; }
  int dim() const { return dim_; }
  std::span<const float> embeddings() const { return emb_view_; }  // num_items() x dim()
  const VectorIndex* index() const;  // over the whole catalogue; null without content
  const TextEncoder* encoder() const;  // null without content

  const HybridRanker& ranker() const { return *ranker_; }
  UserEvents& users() const { return *users_; }
  const std::shared_ptr<UserEvents>& users_ptr() const { return users_; }

  // 2-D PCA coordinates of the item embeddings (num_items() x 2), computed on first use.
  const std::vector<float>& EmbeddingMap() const;
  // The catalogue's attributes and item dates for request filters (ranking/item_filter.h):
  // added items are dated when they were added, trained items by the year in their title.
  // Built on first use (O(catalogue)), so adding an item costs nothing until a filter is asked for.
  const ItemAttributes& Attributes() const;

 private:
  struct AddedEntry {
    AddedItem item;
    std::string ref;  // ItemRefText
  };
  // Storage shared by the snapshots of a growing catalogue (core/append_rows.h): a snapshot
  // reads rows [0, its num_items()); only the one whose num_items() equals the rows written may
  // append in place.
  struct Catalog {
    size_t cap = 0;   // rows (trained + added) allocated
    size_t base = 0;  // trained rows
    size_t dim = 0;
    std::unique_ptr<float[]> emb;                                 // cap x dim
    std::unique_ptr<float[]> pop;                                 // cap: trained scores, then zeros
    std::unique_ptr<std::shared_ptr<const AddedEntry>[]> added;   // cap - base
    AppendTip tip;  // rows written
    // Added ids -> catalogue index, for every row written (a snapshot ignores rows past its own).
    mutable std::shared_mutex ids_mu;
    std::unordered_map<std::string, uint32_t> ids;
  };
  Snapshot() = default;
  // The snapshot of `model` without added items.
  static std::shared_ptr<Snapshot> BuildBase(std::shared_ptr<const TrainedModel> model, std::string model_dir,
                                             std::shared_ptr<UserEvents> users,
                                             std::shared_ptr<const std::vector<std::string>> base_refs);
  std::string SerializeItemRef(std::string_view id, const Item& info) const;
  const AddedEntry& Added(uint32_t item) const { return *cat_->added[item - base_items_]; }

  std::shared_ptr<const TrainedModel> model_;
  std::string model_dir_;
  std::string version_;
  uint32_t base_items_ = 0;
  uint32_t num_added_ = 0;
  int dim_ = 0;
  std::shared_ptr<Catalog> cat_;             // null until items are added
  std::span<const float> emb_view_;          // num_items() x dim: the trained embeddings or cat_->emb
  std::span<const float> popularity_;        // num_items(): the trained scores or cat_->pop
  std::vector<float> own_pop_;               // trained scores padded to the catalogue (when the model's differ in size)
  std::unique_ptr<VectorIndex> overlay_;     // trained index + added rows (only when items were added)
  std::unique_ptr<HybridRanker> ranker_;
  std::shared_ptr<UserEvents> users_;
  std::shared_ptr<const std::vector<std::string>> base_refs_;  // ItemRefText of the trained items
  mutable std::once_flag map_once_;
  mutable std::vector<float> map_;
  mutable std::once_flag attrs_once_;
  mutable std::unique_ptr<ItemAttributes> attrs_;
};

// The text the content layer embeds for an item (same format as Dataset::ItemText).
std::string ItemTextOf(const Item& item);

}  // namespace hybridrec::serve
