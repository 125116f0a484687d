#include "eval/split.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <system_error>

#include "core/file_util.h"
#include "core/random.h"

namespace hybridrec {
namespace {

// Stream ids for SplitSeed, so each protocol's draws are independent of the others'.
constexpr uint64_t kGlobalStream = 0x676c6f62616cULL;     // "global"
constexpr uint64_t kColdItemStream = 0x636f6c6469ULL;     // "coldi"
constexpr uint64_t kColdUserStream = 0x636f6c6475ULL;     // "coldu"
constexpr uint64_t kValidationStream = 0x76616c6964ULL;   // "valid"
// Per-user streams use the user index itself (< 2^32), so they never collide with the above.

size_t RoundCount(double fraction, size_t n) {
  return static_cast<size_t>(std::llround(fraction * static_cast<double>(n)));
}

// Test count for a per-user protocol: round(f * n), capped so >= 1 stays in train when n >= 1.
size_t PerUserTestCount(double fraction, size_t n) {
  if (n == 0) return 0;
  return std::min(RoundCount(fraction, n), n - 1);
}

// Interaction indices grouped by user, each group in original order (counting sort).
std::vector<std::vector<size_t>> GroupByUser(const std::vector<Interaction>& xs, uint32_t num_users) {
  std::vector<std::vector<size_t>> groups(num_users);
  for (size_t i = 0; i < xs.size(); ++i) groups[xs[i].user].push_back(i);
  return groups;
}

// Stable order by timestamp; rows with equal timestamps keep their file order.
void SortByTime(std::vector<size_t>& idx, const std::vector<Interaction>& xs) {
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return xs[a].timestamp < xs[b].timestamp; });
}

Status CheckFraction(const char* name, double f) {
  if (!(f >= 0.0 && f < 1.0))
    return Status::InvalidArgument(std::string("split: ") + name + " must be in [0, 1), got " + std::to_string(f));
  return Status::Ok();
}

void Partition(const std::vector<Interaction>& xs, const std::vector<char>& is_test, Holdout& out) {
  for (size_t i = 0; i < xs.size(); ++i) (is_test[i] ? out.test : out.train).push_back(xs[i]);
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  q += '"';
  return q;
}

std::string FormatFloat(float v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

Status WriteCsv(const Dataset& ds, const std::vector<Interaction>& xs, const std::filesystem::path& path) {
  std::string out = "user,item,strength,timestamp\n";
  out.reserve(out.size() + xs.size() * 32);
  for (const Interaction& x : xs) {
    if (x.user >= ds.num_users() || x.item >= ds.num_items())
      return Status::InvalidArgument("SaveSplit: interaction (" + std::to_string(x.user) + ", " +
                                     std::to_string(x.item) + ") is outside the dataset's id range");
    out += CsvField(ds.users.Id(x.user));
    out += ',';
    out += CsvField(ds.items.Id(x.item));
    out += ',';
    out += FormatFloat(x.strength);
    out += ',';
    out += std::to_string(x.timestamp);
    out += '\n';
  }
  return WriteFileAtomic(path, out);
}

}  // namespace

Result<SplitProtocol> ParseSplitProtocol(std::string_view name) {
  if (name == "random") return SplitProtocol::kRandom;
  if (name == "global-random") return SplitProtocol::kGlobalRandom;
  if (name == "temporal") return SplitProtocol::kTemporal;
  if (name == "cold-items") return SplitProtocol::kColdItems;
  if (name == "cold-users") return SplitProtocol::kColdUsers;
  return Status::InvalidArgument("unknown protocol '" + std::string(name) +
                                 "'; expected random, global-random, temporal, cold-items or cold-users");
}

std::string SplitProtocolName(SplitProtocol protocol) {
  switch (protocol) {
    case SplitProtocol::kRandom: return "random";
    case SplitProtocol::kGlobalRandom: return "global-random";
    case SplitProtocol::kTemporal: return "temporal";
    case SplitProtocol::kColdItems: return "cold-items";
    case SplitProtocol::kColdUsers: return "cold-users";
  }
  return "unknown";
}

Result<Holdout> SplitInteractions(const std::vector<Interaction>& xs, uint32_t num_users, uint32_t num_items,
                                  bool has_timestamps, const SplitOptions& options) {
  HR_RETURN_IF_ERROR(CheckFraction("test_fraction", options.test_fraction));
  HR_RETURN_IF_ERROR(CheckFraction("cold_item_fraction", options.cold_item_fraction));
  HR_RETURN_IF_ERROR(CheckFraction("cold_user_fraction", options.cold_user_fraction));
  for (const Interaction& x : xs)
    if (x.user >= num_users || x.item >= num_items)
      return Status::InvalidArgument("split: interaction (" + std::to_string(x.user) + ", " +
                                     std::to_string(x.item) + ") outside " + std::to_string(num_users) +
                                     " users x " + std::to_string(num_items) + " items");
  Holdout out;
  std::vector<char> is_test(xs.size(), 0);
  const uint64_t seed = options.seed;

  switch (options.protocol) {
    case SplitProtocol::kRandom:
    case SplitProtocol::kTemporal: {
      const bool temporal = options.protocol == SplitProtocol::kTemporal;
      if (temporal && !has_timestamps)
        return Status::InvalidArgument(
            "the temporal protocol needs timestamps, and this dataset has none; use --protocol random");
      auto groups = GroupByUser(xs, num_users);
      for (uint32_t u = 0; u < num_users; ++u) {
        auto& idx = groups[u];
        const size_t n_test = PerUserTestCount(options.test_fraction, idx.size());
        if (n_test == 0) continue;
        if (temporal) {
          SortByTime(idx, xs);
          for (size_t j = idx.size() - n_test; j < idx.size(); ++j) is_test[idx[j]] = 1;
        } else {
          Rng rng(SplitSeed(seed, u));
          Shuffle(idx.begin(), idx.end(), rng);
          for (size_t j = 0; j < n_test; ++j) is_test[idx[j]] = 1;
        }
      }
      break;
    }
    case SplitProtocol::kGlobalRandom: {
      std::vector<size_t> idx(xs.size());
      std::iota(idx.begin(), idx.end(), size_t{0});
      Rng rng(SplitSeed(seed, kGlobalStream));
      Shuffle(idx.begin(), idx.end(), rng);
      const size_t n_test = RoundCount(options.test_fraction, xs.size());
      for (size_t j = 0; j < n_test; ++j) is_test[idx[j]] = 1;
      break;
    }
    case SplitProtocol::kColdItems: {
      std::vector<char> has(num_items, 0);
      for (const Interaction& x : xs) has[x.item] = 1;
      std::vector<uint32_t> items;
      for (uint32_t i = 0; i < num_items; ++i)
        if (has[i]) items.push_back(i);
      Rng rng(SplitSeed(seed, kColdItemStream));
      Shuffle(items.begin(), items.end(), rng);
      items.resize(RoundCount(options.cold_item_fraction, items.size()));
      std::sort(items.begin(), items.end());
      std::vector<char> cold(num_items, 0);
      for (uint32_t i : items) cold[i] = 1;
      for (size_t j = 0; j < xs.size(); ++j) is_test[j] = cold[xs[j].item];
      out.cold_items = std::move(items);
      break;
    }
    case SplitProtocol::kColdUsers: {
      auto groups = GroupByUser(xs, num_users);
      std::vector<uint32_t> users;
      for (uint32_t u = 0; u < num_users; ++u)
        if (!groups[u].empty()) users.push_back(u);
      Rng rng(SplitSeed(seed, kColdUserStream));
      Shuffle(users.begin(), users.end(), rng);
      users.resize(RoundCount(options.cold_user_fraction, users.size()));
      std::sort(users.begin(), users.end());
      std::vector<char> revealed(xs.size(), 0);  // neither train nor test
      for (uint32_t u : users) {
        auto& idx = groups[u];
        if (has_timestamps) {
          SortByTime(idx, xs);
        } else {
          Rng user_rng(SplitSeed(seed, u));
          Shuffle(idx.begin(), idx.end(), user_rng);
        }
        for (size_t j = 0; j < idx.size(); ++j) (j < options.reveal ? revealed : is_test)[idx[j]] = 1;
      }
      for (size_t j = 0; j < xs.size(); ++j) {
        if (revealed[j]) {
          out.revealed.push_back(xs[j]);
        } else {
          (is_test[j] ? out.test : out.train).push_back(xs[j]);
        }
      }
      out.cold_users = std::move(users);
      return out;
    }
  }
  Partition(xs, is_test, out);
  return out;
}

Result<Split> MakeSplit(const Dataset& dataset, const SplitOptions& options) {
  const uint32_t nu = dataset.num_users(), ni = dataset.num_items();
  HR_ASSIGN_OR_RETURN(Holdout outer,
                      SplitInteractions(dataset.interactions, nu, ni, dataset.has_timestamps, options));
  Split s;
  if (options.validation) {
    // The validation parts: the protocol again, with its own seed, over the train part.
    SplitOptions inner_options = options;
    inner_options.seed = SplitSeed(options.seed, kValidationStream);
    HR_ASSIGN_OR_RETURN(Holdout inner,
                        SplitInteractions(outer.train, nu, ni, dataset.has_timestamps, inner_options));
    s = ValidationOnlySplit(nu, ni, inner_options, std::move(inner));
  }
  // The outer split's fields (its cold items and users, not the validation split's).
  s.options = options;
  s.train = std::move(outer.train);
  s.test = std::move(outer.test);
  s.cold_items = std::move(outer.cold_items);
  s.cold_users = std::move(outer.cold_users);
  s.revealed = std::move(outer.revealed);
  s.train_matrix = BuildInteractionMatrix(nu, ni, s.train);
  s.test_matrix = BuildInteractionMatrix(nu, ni, s.test);
  if (options.protocol == SplitProtocol::kColdUsers) s.revealed_matrix = BuildInteractionMatrix(nu, ni, s.revealed);
  return s;
}

Status SaveSplit(const Dataset& dataset, const Split& split, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create split directory " + dir.string() + ": " + ec.message());
  HR_RETURN_IF_ERROR(WriteCsv(dataset, split.train, dir / "train.csv"));
  HR_RETURN_IF_ERROR(WriteCsv(dataset, split.test, dir / "test.csv"));
  if (split.options.validation) HR_RETURN_IF_ERROR(WriteCsv(dataset, split.validation, dir / "validation.csv"));
  if (split.options.protocol == SplitProtocol::kColdUsers) {
    HR_RETURN_IF_ERROR(WriteCsv(dataset, split.revealed, dir / "revealed.csv"));
    if (split.options.validation)
      HR_RETURN_IF_ERROR(WriteCsv(dataset, split.validation_revealed, dir / "validation_revealed.csv"));
  }
  return Status::Ok();
}

Split ValidationOnlySplit(uint32_t num_users, uint32_t num_items, const SplitOptions& options, Holdout h) {
  Split s;
  s.options = options;
  s.options.validation = true;
  s.validation_train = std::move(h.train);
  s.validation = std::move(h.test);
  s.validation_revealed = std::move(h.revealed);
  s.cold_items = std::move(h.cold_items);
  s.cold_users = std::move(h.cold_users);
  s.validation_train_matrix = BuildInteractionMatrix(num_users, num_items, s.validation_train);
  s.validation_matrix = BuildInteractionMatrix(num_users, num_items, s.validation);
  if (options.protocol == SplitProtocol::kColdUsers)
    s.validation_revealed_matrix = BuildInteractionMatrix(num_users, num_items, s.validation_revealed);
  return s;
}

}  // namespace hybridrec
