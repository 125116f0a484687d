// SimdFlatIP: a faiss::IndexFlatIP whose distance computer uses our own SIMD inner product.
//
// Why: Debian's libfaiss is built for the baseline x86-64 ISA (SSE only), and an HNSW graph
// spends nearly all of its build and search time in one-vector-to-one-vector inner products
// through the storage index's DistanceComputer. Using this class as the storage of an
// IndexHNSWFlat routes those through DotSimd (core/vector_kernels.h), compiled for the building
// machine (AVX-512 / AVX2+FMA when available, with HYBRIDREC_NATIVE), several times faster. The
// exact search (ExactTopK) scores with the same kernel, so a hit's score is the same float in
// both.
// The on-disk format is unchanged: faiss::write_index writes it as a plain IndexFlatIP (it is
// one), and AdoptSimdStorage swaps a loaded HNSW's storage back to this class.
//
// Thread-safety: as faiss::IndexFlatIP (const search from many threads; each distance
// computer is owned by one thread).
#pragma once

#include <faiss/IndexFlat.h>

namespace faiss {
struct IndexHNSWFlat;
}

namespace hybridrec {

struct SimdFlatIP : faiss::IndexFlatIP {
  explicit SimdFlatIP(idx_t dim) : faiss::IndexFlatIP(dim) {}
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;
};

// Replaces the storage of `hnsw` (an IndexFlatIP, e.g. as read from disk) by a SimdFlatIP
// holding the same vectors. No-op when it already is one or when the metric is not inner
// product. REQUIRES: hnsw->own_fields (the storage is owned and deleted here).
void AdoptSimdStorage(faiss::IndexHNSWFlat* hnsw);

}  // namespace hybridrec
