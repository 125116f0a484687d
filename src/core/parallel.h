// Thread fan-out for data-parallel loops over independent rows (users, items, texts).
//
// ParallelFor splits [0, n) into contiguous blocks and runs `fn(begin, end)` on up to
// `threads` std::threads. Results are deterministic whatever the thread count as long as each
// index's work depends only on that index (which is how every caller uses it); reductions
// must be done per fixed-size chunk (see ParallelChunks) and combined in chunk order.
// Thread-safe: stateless.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace hybridrec {

// Number of threads to use when the user asks for `requested` (0 = all hardware threads).
inline int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// Runs fn(begin, end) over blocks of [0, n). Work is handed out dynamically in blocks of
// `grain` indices so uneven rows (power-law users) balance. Exceptions are rethrown.
void ParallelFor(size_t n, int threads, const std::function<void(size_t, size_t)>& fn, size_t grain = 64);

// Deterministic reduction helper: calls fn(chunk, begin, end) for fixed chunks of `chunk_size`
// (independent of the thread count); the caller combines per-chunk partials in chunk order.
// Returns the number of chunks.
size_t ParallelChunks(size_t n, size_t chunk_size, int threads,
                      const std::function<void(size_t, size_t, size_t)>& fn);

}  // namespace hybridrec
