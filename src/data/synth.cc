#include "data/synth.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"

namespace hybridrec {
namespace fs = std::filesystem;

namespace {

// Buffered writer to a temporary file that is renamed into place on Commit().
class OutFile {
 public:
  explicit OutFile(fs::path path) : path_(std::move(path)), tmp_(path_.string() + ".tmp") {}
  ~OutFile() {
    if (f_) {
      std::fclose(f_);
      std::remove(tmp_.c_str());
    }
  }
  Status Open() {
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) return Status::IOError(tmp_ + ": cannot create: " + std::strerror(errno));
    buf_.resize(1 << 20);
    return Status::Ok();
  }
  void Put(std::string_view s) {
    if (used_ + s.size() > buf_.size()) Flush();
    if (s.size() > buf_.size()) {
      ok_ = ok_ && std::fwrite(s.data(), 1, s.size(), f_) == s.size();
      return;
    }
    std::memcpy(buf_.data() + used_, s.data(), s.size());
    used_ += s.size();
  }
  void Put(char c) {
    if (used_ == buf_.size()) Flush();
    buf_[used_++] = c;
  }
  template <typename Int>
  void PutInt(Int v) {
    if (used_ + 24 > buf_.size()) Flush();
    const auto r = std::to_chars(buf_.data() + used_, buf_.data() + buf_.size(), v);
    used_ = static_cast<size_t>(r.ptr - buf_.data());
  }
  Status Commit() {
    Flush();
    const bool closed = std::fclose(f_) == 0;
    f_ = nullptr;
    if (!ok_ || !closed) {
      std::remove(tmp_.c_str());
      return Status::IOError(tmp_ + ": write failed (disk full?)");
    }
    std::error_code ec;
    fs::rename(tmp_, path_, ec);
    if (ec) return Status::IOError(path_.string() + ": rename failed: " + ec.message());
    return Status::Ok();
  }

 private:
  void Flush() {
    if (used_ > 0) ok_ = ok_ && std::fwrite(buf_.data(), 1, used_, f_) == used_;
    used_ = 0;
  }
  fs::path path_;
  std::string tmp_;
  FILE* f_ = nullptr;
  std::vector<char> buf_;
  size_t used_ = 0;
  bool ok_ = true;
};

constexpr std::array<std::string_view, 24> kGenreNames = {
    "Alpha", "Beta", "Gamma",   "Delta", "Epsilon", "Zeta",  "Eta", "Theta",   "Iota", "Kappa", "Lambda", "Mu",
    "Nu",    "Xi",   "Omicron", "Pi",    "Rho",     "Sigma", "Tau", "Upsilon", "Phi",  "Chi",   "Psi",    "Omega"};

constexpr uint32_t kWordsPerTopic = 8;
constexpr uint32_t kMaxTopics = 512;
constexpr std::array<std::string_view, 16> kSyllables = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo",
                                                         "ba", "de", "fi", "go", "ha", "ju", "ke", "pa"};
constexpr std::array<std::string_view, 8> kSharedWords = {"Story", "Night", "Return", "House",
                                                          "Road",  "Light", "Heart",  "World"};

// Word j of a topic's made-up vocabulary: three syllables from the base-16 digits of a
// permuted word number (4,096 distinct words, enough for kMaxTopics x kWordsPerTopic), capitalised.
std::string TopicWord(uint32_t topic, uint32_t j) {
  // An odd multiplier permutes 0..4095, so neighbouring topics do not share their first syllable.
  const uint32_t w = ((topic * kWordsPerTopic + j) * 1103u + 517u) & 4095u;
  std::string s;
  s += kSyllables[(w >> 8) & 15];
  s += kSyllables[(w >> 4) & 15];
  s += kSyllables[w & 15];
  s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::vector<uint32_t> Permutation(uint32_t n, Rng& rng) {
  std::vector<uint32_t> p(n);
  std::iota(p.begin(), p.end(), 0u);
  Shuffle(p.begin(), p.end(), rng);
  return p;
}

// Per-user interaction counts: proportional to (rank + 1)^-s, each in [1, items], summing to nnz.
std::vector<uint32_t> UserDegrees(const SynthOptions& o) {
  const uint32_t nu = o.users;
  std::vector<double> w(nu);
  double total = 0;
  for (uint32_t r = 0; r < nu; ++r) total += (w[r] = std::pow(static_cast<double>(r) + 1.0, -o.user_zipf));
  std::vector<uint32_t> d(nu);
  uint64_t sum = 0;
  for (uint32_t r = 0; r < nu; ++r) {
    const double target = std::floor(static_cast<double>(o.nnz) * w[r] / total);
    d[r] = static_cast<uint32_t>(std::clamp(target, 1.0, static_cast<double>(o.items)));
    sum += d[r];
  }
  // Fix the rounding: add to (or take from) the most active users first, cycling.
  while (sum < o.nnz) {
    for (uint32_t r = 0; r < nu && sum < o.nnz; ++r)
      if (d[r] < o.items) ++d[r], ++sum;
  }
  while (sum > o.nnz) {
    for (uint32_t r = 0; r < nu && sum > o.nnz; ++r)
      if (d[r] > 1) --d[r], --sum;
  }
  return d;  // indexed by activity rank
}

}  // namespace

Status WriteSyntheticDataset(const SynthOptions& o, const fs::path& out_dir) {
  if (o.users == 0) return Status::InvalidArgument("synth: --users must be > 0");
  if (o.items == 0) return Status::InvalidArgument("synth: --items must be > 0");
  if (o.nnz < o.users)
    return Status::InvalidArgument("synth: --nnz (" + std::to_string(o.nnz) + ") must be >= --users (" +
                                   std::to_string(o.users) + "): every user gets at least one interaction");
  if (static_cast<double>(o.nnz) > static_cast<double>(o.users) * static_cast<double>(o.items))
    return Status::InvalidArgument("synth: --nnz (" + std::to_string(o.nnz) + ") exceeds users x items (" +
                                   std::to_string(static_cast<uint64_t>(o.users) * o.items) + ")");
  if (!std::isfinite(o.zipf) || o.zipf < 0)
    return Status::InvalidArgument("synth: --zipf must be a finite number >= 0");
  if (!std::isfinite(o.user_zipf) || o.user_zipf < 0)
    return Status::InvalidArgument("synth: user_zipf must be a finite number >= 0");
  if (o.genres == 0 || o.genres > kGenreNames.size())
    return Status::InvalidArgument("synth: genres must be in 1.." + std::to_string(kGenreNames.size()));
  if (o.topics > kMaxTopics)
    return Status::InvalidArgument("synth: --topics must be in 0.." + std::to_string(kMaxTopics));
  if (!std::isfinite(o.topic_affinity) || o.topic_affinity < 0 || o.topic_affinity > 1)
    return Status::InvalidArgument("synth: --topic-affinity must be in [0, 1]");
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::IOError(out_dir.string() + ": cannot create directory: " + ec.message());

  Rng rng(SplitSeed(o.seed, 0));
  const std::vector<uint32_t> item_of_rank = Permutation(o.items, rng);
  const std::vector<uint32_t> user_rank = Permutation(o.users, rng);  // user -> activity rank
  const std::vector<uint32_t> degree_of_rank = UserDegrees(o);
  // Cumulative popularity over item ranks, for inverse-CDF sampling.
  std::vector<double> cdf(o.items);
  double acc = 0;
  for (uint32_t r = 0; r < o.items; ++r) cdf[r] = (acc += std::pow(static_cast<double>(r) + 1.0, -o.zipf));

  // Topics: the topic of each item (by popularity rank) and, per topic, its ranks in popularity
  // order with their cumulative popularity, for sampling within a topic.
  const uint32_t nt = o.topics;
  std::vector<uint32_t> topic_of_rank;
  std::vector<std::vector<uint32_t>> topic_ranks(nt);
  std::vector<std::vector<double>> topic_cdf(nt);
  if (nt > 0) {
    Rng trng(SplitSeed(o.seed, 3));
    topic_of_rank.resize(o.items);
    for (uint32_t r = 0; r < o.items; ++r) topic_of_rank[r] = static_cast<uint32_t>(trng.Below(nt));
    for (uint32_t r = 0; r < o.items; ++r) {
      const uint32_t t = topic_of_rank[r];
      const double prev = topic_cdf[t].empty() ? 0.0 : topic_cdf[t].back();
      topic_ranks[t].push_back(r);
      topic_cdf[t].push_back(prev + std::pow(static_cast<double>(r) + 1.0, -o.zipf));
    }
  }
  std::vector<uint32_t> rank_of_item(o.items);
  for (uint32_t r = 0; r < o.items; ++r) rank_of_item[item_of_rank[r]] = r;

  {
    OutFile out(out_dir / "items.csv");
    HR_RETURN_IF_ERROR(out.Open());
    out.Put(nt > 0 ? "item,title,genres,tags\n" : "item,title,genres\n");
    Rng grng(SplitSeed(o.seed, 1));
    for (uint32_t i = 0; i < o.items; ++i) {
      out.PutInt(i + 1);
      out.Put(',');
      if (nt == 0) {
        out.Put("Item ");
        out.PutInt(i + 1);
        out.Put(',');
        const uint64_t first = grng.Below(o.genres);
        const uint64_t count = std::min<uint64_t>(1 + grng.Below(3), o.genres);
        for (uint64_t g = 0; g < count; ++g) {
          if (g) out.Put('|');
          out.Put(kGenreNames[(first + g) % o.genres]);
        }
        out.Put('\n');
        continue;
      }
      const uint32_t t = topic_of_rank[rank_of_item[i]];
      // Two or three distinct words of the topic (steps of 1-3 never wrap onto an earlier one).
      const uint64_t words = 2 + grng.Below(2);
      auto j = static_cast<uint32_t>(grng.Below(kWordsPerTopic));
      for (uint64_t w = 0; w < words; ++w) {
        if (w) {
          out.Put(' ');
          j = static_cast<uint32_t>((j + 1 + grng.Below(3)) % kWordsPerTopic);
        }
        out.Put(TopicWord(t, j));
      }
      if (grng.Below(2) == 0) {
        out.Put(' ');
        out.Put(kSharedWords[grng.Below(kSharedWords.size())]);
      }
      out.Put(',');
      // The topic's genres: its main one, often its second, sometimes one at random.
      const uint32_t g1 = t % o.genres, g2 = (t / o.genres + t + 1) % o.genres;
      out.Put(kGenreNames[g1]);
      if (g2 != g1 && grng.Below(2) == 0) {
        out.Put('|');
        out.Put(kGenreNames[g2]);
      }
      if (grng.Below(5) == 0) {
        const auto g3 = static_cast<uint32_t>(grng.Below(o.genres));
        if (g3 != g1 && g3 != g2) {
          out.Put('|');
          out.Put(kGenreNames[g3]);
        }
      }
      out.Put(',');
      // Two distinct tags.
      const auto tag1 = static_cast<uint32_t>(grng.Below(kWordsPerTopic));
      const auto tag2 = static_cast<uint32_t>((tag1 + 1 + grng.Below(kWordsPerTopic - 1)) % kWordsPerTopic);
      out.Put(TopicWord(t, tag1));
      out.Put('|');
      out.Put(TopicWord(t, tag2));
      out.Put('\n');
    }
    HR_RETURN_IF_ERROR(out.Commit());
  }

  OutFile out(out_dir / "interactions.csv");
  HR_RETURN_IF_ERROR(out.Open());
  out.Put("user,item,strength,timestamp\n");
  std::vector<uint32_t> stamp(o.items, 0);  // stamp[rank] == user + 1 when taken by this user
  std::vector<uint32_t> chosen;
  constexpr int64_t kEpoch = 1500000000;  // 2017-07-14
  constexpr uint64_t kSpan = 365ull * 86400;
  for (uint32_t u = 0; u < o.users; ++u) {
    const uint32_t deg = degree_of_rank[user_rank[u]];
    Rng ur(SplitSeed(o.seed, 2 + static_cast<uint64_t>(u)));
    chosen.clear();
    // Rejection sampling without replacement; a user holding most of the popularity mass
    // would take long, so after a bounded number of tries fill up by popularity order.
    uint64_t tries = 0;
    const uint64_t max_tries = 20ull * deg + 1000;
    uint32_t main_topic = 0, second_topic = 0;
    if (nt > 0) {
      main_topic = static_cast<uint32_t>(ur.Below(nt));
      second_topic = static_cast<uint32_t>(ur.Below(nt));
    }
    while (chosen.size() < deg && tries < max_tries) {
      ++tries;
      uint32_t r;
      if (nt > 0 && ur.Uniform() < o.topic_affinity) {
        // Within one of the user's topics (the main one two times in three).
        const uint32_t t = ur.Below(3) < 2 ? main_topic : second_topic;
        const std::vector<double>& c = topic_cdf[t];
        if (c.empty()) continue;
        const double x = ur.Uniform() * c.back();
        size_t j = static_cast<size_t>(std::upper_bound(c.begin(), c.end(), x) - c.begin());
        if (j >= c.size()) j = c.size() - 1;
        r = topic_ranks[t][j];
      } else {
        const double x = ur.Uniform() * acc;
        r = static_cast<uint32_t>(std::upper_bound(cdf.begin(), cdf.end(), x) - cdf.begin());
        if (r >= o.items) r = o.items - 1;
      }
      if (stamp[r] == u + 1) continue;
      stamp[r] = u + 1;
      chosen.push_back(r);
    }
    for (uint32_t r = 0; chosen.size() < deg; ++r) {
      if (stamp[r] == u + 1) continue;
      stamp[r] = u + 1;
      chosen.push_back(r);
    }
    for (uint32_t r : chosen) {
      out.PutInt(u + 1);
      out.Put(',');
      out.PutInt(item_of_rank[r] + 1);
      out.Put(',');
      out.PutInt(1 + ur.Below(5));
      out.Put(',');
      out.PutInt(kEpoch + static_cast<int64_t>(ur.Below(kSpan)));
      out.Put('\n');
    }
  }
  return out.Commit();
}

bool ApplySynthShape(const std::string& name, SynthOptions& o) {
  struct Shape {
    const char* name;
    uint32_t users, items;
    uint64_t nnz;
    uint32_t topics;
  };
  static constexpr Shape kShapes[] = {{"ml25m", 162541, 59047, 25000095, 64},
                                      {"netflix", 480189, 17770, 100480507, 64},
                                      {"catalogue", 1000000, 1000000, 50000000, 256}};
  for (const Shape& s : kShapes) {
    if (name != s.name) continue;
    o.users = s.users;
    o.items = s.items;
    o.nnz = s.nnz;
    o.topics = s.topics;
    return true;
  }
  return false;
}

std::string SynthShapeNames() { return "ml25m, netflix, catalogue"; }

}  // namespace hybridrec
