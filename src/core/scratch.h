// Sizing of long-lived per-thread scratch vectors (thread_local buffers of the ranking kernels,
// one set per server worker thread). Their capacity is rounded up to a multiple of a fixed grain
// of elements, so it depends only on the largest size asked for, not on the sequence of sizes
// the buffer went through: a service whose catalogue grows one item at a time then holds the
// same scratch memory as one started on the grown catalogue (vector's own doubling would leave
// up to twice that per buffer and thread), and the buffers are reallocated once per grain, not
// once per added item.
#pragma once

#include <cstddef>
#include <vector>

namespace hybridrec {

inline constexpr size_t kScratchGrain = 1024;  // elements

// Ensures capacity >= n, rounded up to kScratchGrain (the contents are kept).
template <typename T>
void ReserveScratch(std::vector<T>& v, size_t n) {
  if (v.capacity() >= n) return;
  v.reserve((n + kScratchGrain - 1) / kScratchGrain * kScratchGrain);
}

// v.resize(n, fill) with ReserveScratch's capacity.
template <typename T>
void ResizeScratch(std::vector<T>& v, size_t n, const T& fill = T{}) {
  ReserveScratch(v, n);
  v.resize(n, fill);
}

}  // namespace hybridrec
