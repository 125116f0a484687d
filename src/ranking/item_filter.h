// Per-request filters, business rules and re-ranking of the hybrid ranker.
//
// A request may restrict which items can be recommended (ItemRules::eligible), boost newly added
// items, and re-rank the best candidates for diversity (MMR) or calibration to the user's genre
// mix. None of this is a signal: the ranker applies the eligibility to its candidates before it
// z-scores and selects them, adds the boost to the fused score, and re-ranks the fused list
// (hybrid_ranker.h). With no rules the ranking is exactly the unfiltered one.
//
// ItemAttributes is the catalogue side: for each attribute ("genre", "tag") a dictionary of its
// values and, per value, the ascending list of items that carry it; per item its date and its
// genre ids. It turns a FilterSpec (names and values as the user wrote them) into an
// ItemBitmap, so a candidate's eligibility is one bit test, never a string compare.
//
// Item dates: an item added to a running service is dated when it was added; a trained item by
// the year in its title ("Toy Story (1995)" -> 1995-01-01T00:00:00Z, as MovieLens titles carry
// the release year); an item with neither has no date (never eligible under added_since, never
// boosted).
//
// Thread-safety: ItemAttributes is immutable after construction; ItemBitmap is a value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"

namespace hybridrec {

// One bit per catalogue item.
class ItemBitmap {
 public:
  ItemBitmap() = default;
  ItemBitmap(uint32_t n, bool value);
  uint32_t size() const { return n_; }
  bool test(uint32_t i) const { return i < n_ && ((words_[i >> 6] >> (i & 63)) & 1u) != 0; }
  void set(uint32_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void reset(uint32_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  size_t count() const;
  // this &= other (same size).
  void And(const ItemBitmap& other);

 private:
  uint32_t n_ = 0;
  std::vector<uint64_t> words_;
};

// Items' category ids, CSR by item (calibration's genres).
struct ItemCategories {
  uint32_t num_categories = 0;
  std::vector<uint32_t> indptr;  // num_items + 1
  std::vector<uint32_t> ids;     // ascending within an item
  std::vector<std::string> names;
  std::span<const uint32_t> of(uint32_t item) const {
    if (item + 1 >= indptr.size()) return {};
    return {ids.data() + indptr[item], indptr[item + 1] - indptr[item]};
  }
};

inline constexpr int64_t kNoItemTime = std::numeric_limits<int64_t>::min();

// Per-request rules the ranker applies (see RankRequest::rules). Pointers and spans refer to
// data that must outlive the call (an ItemAttributes and the request's ItemBitmap).
struct ItemRules {
  // Only these items may be recommended (null: every item). Its size must be the ranker's
  // num_items().
  const ItemBitmap* eligible = nullptr;
  // New-item boost: fused score += new_boost * 2^(-age / half_life), age = now - the item's time
  // in days (0 for a time in the future); items without a time get nothing. 0 = off. When on,
  // the newest items join the candidates.
  float new_boost = 0.f;
  double half_life_days = 30.0;
  int64_t now = 0;                     // seconds since the epoch
  std::span<const int64_t> item_time;  // per item (kNoItemTime: unknown); may be shorter
  std::span<const uint32_t> newest;    // items with a time, newest first
  // Re-ranking of the best candidates (both in [0, 1]; 0 = off). diversity: MMR over the
  // content embeddings (the collaborative factors without a content layer); calibration: Steck's
  // KL calibration to the user's category mix over `categories`.
  float diversity = 0.f;
  float calibration = 0.f;
  const ItemCategories* categories = nullptr;

  bool any() const { return eligible != nullptr || new_boost > 0.f || diversity > 0.f || calibration > 0.f; }
};

// What one request asks for, as the user wrote it (attribute names and values, item indices
// already resolved by the caller, who knows the ids).
struct FilterSpec {
  struct Clause {
    std::string attribute;            // "genre", "tag"
    std::vector<std::string> values;  // any of them (case-insensitive)
  };
  std::vector<Clause> include;  // an item must match every clause (one value of each)
  std::vector<Clause> exclude;  // an item matching any value of any clause is left out
  std::vector<uint32_t> exclude_items;
  std::optional<int64_t> added_since;  // only items dated at or after this (seconds since the epoch)
  bool empty() const { return include.empty() && exclude.empty() && exclude_items.empty() && !added_since; }
};

class ItemAttributes {
 public:
  // num_items items; info(i) their text attributes; time(i) their date (std::nullopt: use the
  // year in the title, if any).
  ItemAttributes(uint32_t num_items, const std::function<const Item&(uint32_t)>& info,
                 const std::function<std::optional<int64_t>(uint32_t)>& time);

  uint32_t num_items() const { return n_; }
  // The attribute names a filter may use: "genre", "tag".
  static std::span<const std::string_view> AttributeNames();
  // The eligible items of `spec`, or InvalidArgument naming an unknown attribute or value
  // (`field` prefixes the message, e.g. "include_genre").
  Result<ItemBitmap> Eligible(const FilterSpec& spec) const;
  // Known values of an attribute (as first seen), empty for an unknown attribute.
  std::vector<std::string> Values(std::string_view attribute) const;

  std::span<const int64_t> times() const { return time_; }
  std::span<const uint32_t> newest() const { return newest_; }
  const ItemCategories& genres() const { return genres_; }

  // 1995-01-01T00:00:00Z for a title ending in "(1995)" (trailing spaces allowed), else nullopt.
  static std::optional<int64_t> TitleYearTime(std::string_view title);

 private:
  struct Attribute {
    std::string name;
    std::vector<std::string> values;                   // as first seen
    std::unordered_map<std::string, uint32_t> by_key;  // lower-case value -> id
    std::vector<uint32_t> indptr, items;               // postings: items of each value, ascending
  };
  const Attribute* Find(std::string_view name) const;

  uint32_t n_ = 0;
  std::vector<Attribute> attrs_;
  std::vector<int64_t> time_;
  std::vector<uint32_t> newest_;
  ItemCategories genres_;
};

// Parses a date for added_since: "YYYY-MM-DD" (midnight UTC), "YYYY-MM-DDTHH:MM:SSZ", or an
// integer number of seconds since the epoch. InvalidArgument naming `field` otherwise.
Result<int64_t> ParseDateTime(std::string_view field, std::string_view text);

// Splits "a,b,c" (no empty entries allowed: InvalidArgument naming `field`).
Result<std::vector<std::string>> SplitList(std::string_view field, std::string_view text, size_t max_entries);

}  // namespace hybridrec
