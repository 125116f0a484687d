// Row arrays shared by immutable views (HybridRanker's tables, a Snapshot's catalogue storage):
// each view reads only its first n rows, and rows are written once, before any view that reads
// them is published. The view whose n equals the rows written so far may append in place; any
// other view that wants to grow copies its rows into new, larger arrays.
// Thread-safety: Claim is safe from many threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <mutex>

namespace hybridrec {

// Rows to allocate when such arrays are (re)allocated to hold `rows`: the spare rows amortise
// the copy over the appends that follow.
inline size_t GrownCapacity(size_t rows) { return rows + std::max<size_t>(256, rows / 8); }

// How many rows have been written, and the right to write the next ones.
class AppendTip {
 public:
  explicit AppendTip(size_t filled = 0) : filled_(filled) {}
  // Reserves rows [from, from + count) of arrays with `capacity` rows for the caller to write:
  // only when nobody has written past `from` and they fit.
  bool Claim(size_t from, size_t count, size_t capacity) {
    std::lock_guard lock(mu_);
    if (from != filled_ || from + count > capacity) return false;
    filled_ = from + count;
    return true;
  }
  // REQUIRES: the arrays are not shared yet.
  void Reset(size_t filled) { filled_ = filled; }

 private:
  std::mutex mu_;
  size_t filled_;  // guarded by mu_
};

}  // namespace hybridrec
