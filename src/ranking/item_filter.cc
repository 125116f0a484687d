#include "ranking/item_filter.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <numeric>

namespace hybridrec {
namespace {

constexpr std::string_view kAttributeNames[] = {"genre", "tag"};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Status Bad(std::string_view field, const std::string& what) {
  return Status::InvalidArgument("field '" + std::string(field) + "': " + what);
}

bool Digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int ToInt(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::optional<int64_t> CivilSeconds(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || hh > 23 || mm > 59 || ss > 59) return std::nullopt;
  return static_cast<int64_t>(sys_days(ymd).time_since_epoch().count()) * 86400 + hh * 3600 + mm * 60 + ss;
}

}  // namespace

ItemBitmap::ItemBitmap(uint32_t n, bool value)
    : n_(n), words_((static_cast<size_t>(n) + 63) / 64, value ? ~0ull : 0ull) {
  if (value && (n & 63) != 0) words_.back() = (uint64_t{1} << (n & 63)) - 1;
}

size_t ItemBitmap::count() const {
  size_t c = 0;
  for (uint64_t w : words_) c += static_cast<size_t>(std::popcount(w));
  return c;
}

void ItemBitmap::And(const ItemBitmap& other) {
  for (size_t i = 0; i < words_.size() && i < other.words_.size(); ++i) words_[i] &= other.words_[i];
}

std::optional<int64_t> ItemAttributes::TitleYearTime(std::string_view title) {
  while (!title.empty() && title.back() == ' ') title.remove_suffix(1);
  if (title.size() < 6 || title.back() != ')' || title[title.size() - 6] != '(') return std::nullopt;
  const std::string_view y = title.substr(title.size() - 5, 4);
  if (!Digits(y)) return std::nullopt;
  return CivilSeconds(ToInt(y), 1, 1);
}

ItemAttributes::ItemAttributes(uint32_t num_items, const std::function<const Item&(uint32_t)>& info,
                               const std::function<std::optional<int64_t>(uint32_t)>& time)
    : n_(num_items) {
  attrs_.resize(std::size(kAttributeNames));
  for (size_t a = 0; a < attrs_.size(); ++a) attrs_[a].name = std::string(kAttributeNames[a]);
  // Value ids per item, per attribute (CSR), then postings by value.
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> pairs(attrs_.size());  // (value, item)
  time_.assign(n_, kNoItemTime);
  genres_.indptr.assign(1, 0);
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < n_; ++i) {
    const Item& it = info(i);
    for (size_t a = 0; a < attrs_.size(); ++a) {
      Attribute& at = attrs_[a];
      const std::vector<std::string>& vals = a == 0 ? it.genres : it.tags;
      ids.clear();
      for (const std::string& v : vals) {
        if (v.empty()) continue;
        auto [pos, fresh] = at.by_key.emplace(Lower(v), static_cast<uint32_t>(at.values.size()));
        if (fresh) at.values.push_back(v);
        ids.push_back(pos->second);
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      for (uint32_t v : ids) pairs[a].emplace_back(v, i);
      if (a == 0) {
        genres_.ids.insert(genres_.ids.end(), ids.begin(), ids.end());
        genres_.indptr.push_back(static_cast<uint32_t>(genres_.ids.size()));
      }
    }
    std::optional<int64_t> t = time ? time(i) : std::nullopt;
    if (!t) t = TitleYearTime(it.title);
    if (t) time_[i] = *t;
  }
  for (size_t a = 0; a < attrs_.size(); ++a) {
    Attribute& at = attrs_[a];
    std::sort(pairs[a].begin(), pairs[a].end());
    at.indptr.assign(at.values.size() + 1, 0);
    for (const auto& [v, i] : pairs[a]) ++at.indptr[v + 1];
    for (size_t v = 0; v < at.values.size(); ++v) at.indptr[v + 1] += at.indptr[v];
    at.items.reserve(pairs[a].size());
    for (const auto& [v, i] : pairs[a]) at.items.push_back(i);
  }
  genres_.num_categories = static_cast<uint32_t>(attrs_[0].values.size());
  genres_.names = attrs_[0].values;
  for (uint32_t i = 0; i < n_; ++i)
    if (time_[i] != kNoItemTime) newest_.push_back(i);
  std::stable_sort(newest_.begin(), newest_.end(), [&](uint32_t a, uint32_t b) { return time_[a] > time_[b]; });
}

std::span<const std::string_view> ItemAttributes::AttributeNames() { return kAttributeNames; }

const ItemAttributes::Attribute* ItemAttributes::Find(std::string_view name) const {
  for (const Attribute& a : attrs_)
    if (a.name == name) return &a;
  return nullptr;
}

std::vector<std::string> ItemAttributes::Values(std::string_view attribute) const {
  const Attribute* a = Find(attribute);
  return a ? a->values : std::vector<std::string>();
}

Result<ItemBitmap> ItemAttributes::Eligible(const FilterSpec& spec) const {
  ItemBitmap out(n_, true);
  auto resolve = [&](const FilterSpec::Clause& c, const char* kind) -> Result<std::vector<uint32_t>> {
    const std::string field = std::string(kind) + "_" + c.attribute;
    const Attribute* a = Find(c.attribute);
    if (a == nullptr) {
      std::string known;
      for (std::string_view n : kAttributeNames) known += (known.empty() ? "" : ", ") + std::string(n);
      return Bad(field, "unknown attribute '" + c.attribute + "' (known: " + known + ")");
    }
    if (c.values.empty()) return Bad(field, "give at least one value");
    std::vector<uint32_t> ids;
    std::string unknown;
    size_t num_unknown = 0;
    for (const std::string& v : c.values) {
      const auto it = a->by_key.find(Lower(v));
      if (it == a->by_key.end()) {
        if (num_unknown++ < 5) unknown += (unknown.empty() ? "'" : ", '") + v.substr(0, 64) + "'";
        continue;
      }
      ids.push_back(it->second);
    }
    if (num_unknown > 0) {
      std::string msg = "unknown " + c.attribute + (num_unknown > 1 ? " values " : " value ") + unknown;
      if (num_unknown > 5) msg += " and " + std::to_string(num_unknown - 5) + " more";
      if (a->values.size() <= 40) {
        msg += " (known: ";
        for (size_t i = 0; i < a->values.size(); ++i) msg += (i ? ", " : "") + a->values[i];
        msg += ")";
      } else {
        msg += " (this catalogue has " + std::to_string(a->values.size()) + " " + c.attribute + " values)";
      }
      return Bad(field, msg);
    }
    return ids;
  };
  for (const FilterSpec::Clause& c : spec.include) {
    HR_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, resolve(c, "include"));
    const Attribute& a = *Find(c.attribute);
    ItemBitmap any(n_, false);
    for (uint32_t v : ids)
      for (uint32_t p = a.indptr[v]; p < a.indptr[v + 1]; ++p) any.set(a.items[p]);
    out.And(any);
  }
  for (const FilterSpec::Clause& c : spec.exclude) {
    HR_ASSIGN_OR_RETURN(std::vector<uint32_t> ids, resolve(c, "exclude"));
    const Attribute& a = *Find(c.attribute);
    for (uint32_t v : ids)
      for (uint32_t p = a.indptr[v]; p < a.indptr[v + 1]; ++p) out.reset(a.items[p]);
  }
  for (uint32_t i : spec.exclude_items)
    if (i < n_) out.reset(i);
  if (spec.added_since) {
    for (uint32_t i = 0; i < n_; ++i)
      if (time_[i] == kNoItemTime || time_[i] < *spec.added_since) out.reset(i);
  }
  return out;
}

Result<int64_t> ParseDateTime(std::string_view field, std::string_view s) {
  const std::string what = "must be a date YYYY-MM-DD, a time YYYY-MM-DDTHH:MM:SSZ (UTC) or seconds since the epoch";
  if (s.empty()) return Bad(field, what + " (it is empty)");
  if (s.size() > 40) return Bad(field, what);
  const bool neg = s.front() == '-';
  if (Digits(neg ? s.substr(1) : s)) {
    int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    constexpr int64_t kMax = 10'000'000'000'000;
    if (ec != std::errc() || p != s.data() + s.size() || v < -kMax || v > kMax)
      return Bad(field, "seconds since the epoch out of range");
    return v;
  }
  if (s.size() != 10 && s.size() != 20) return Bad(field, what);
  if (!Digits(s.substr(0, 4)) || s[4] != '-' || !Digits(s.substr(5, 2)) || s[7] != '-' || !Digits(s.substr(8, 2)))
    return Bad(field, what);
  int hh = 0, mm = 0, ss = 0;
  if (s.size() == 20) {
    if (s[10] != 'T' || !Digits(s.substr(11, 2)) || s[13] != ':' || !Digits(s.substr(14, 2)) || s[16] != ':' ||
        !Digits(s.substr(17, 2)) || s[19] != 'Z')
      return Bad(field, what);
    hh = ToInt(s.substr(11, 2));
    mm = ToInt(s.substr(14, 2));
    ss = ToInt(s.substr(17, 2));
  }
  const auto t = CivilSeconds(ToInt(s.substr(0, 4)), ToInt(s.substr(5, 2)), ToInt(s.substr(8, 2)), hh, mm, ss);
  if (!t) return Bad(field, "'" + std::string(s) + "' is not a valid date/time");
  return *t;
}

Result<std::vector<std::string>> SplitList(std::string_view field, std::string_view text, size_t max_entries) {
  std::vector<std::string> out;
  if (text.empty()) return Bad(field, "must not be empty (a comma-separated list)");
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view tok = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    if (tok.empty()) return Bad(field, "empty entry in the comma-separated list");
    if (out.size() >= max_entries) return Bad(field, "at most " + std::to_string(max_entries) + " entries");
    out.emplace_back(tok);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace hybridrec
