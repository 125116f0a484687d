// Fuzzes the .npy decoder (core/npy.h): magic, version, header dictionary, dtype, shape and
// payload size. A decoded array must have a payload of exactly size() * itemsize bytes and
// re-encode to bytes that decode to the same array.
#include <cstdint>

#include "core/npy.h"
#include "fuzz/fuzz_util.h"

namespace {

size_t ItemSize(hybridrec::NpyDtype d) {
  switch (d) {
    case hybridrec::NpyDtype::kFloat32:
    case hybridrec::NpyDtype::kInt32:
    case hybridrec::NpyDtype::kUInt32:
      return 4;
    case hybridrec::NpyDtype::kFloat64:
    case hybridrec::NpyDtype::kInt64:
      return 8;
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hybridrec;
  auto a = DecodeNpy(fuzz::AsView(data, size), "fuzz.npy");
  if (!a.ok()) {
    HR_FUZZ_CHECK(a.status().message().find("fuzz.npy") != std::string::npos);
    return 0;
  }
  HR_FUZZ_CHECK(a->shape.size() == 1 || a->shape.size() == 2);
  HR_FUZZ_CHECK(a->data.size() == a->size() * ItemSize(a->dtype));
  const std::string again = EncodeNpy(a->dtype, a->shape, a->data.data());
  auto b = DecodeNpy(again, "re-encoded");
  HR_FUZZ_CHECK(b.ok());
  HR_FUZZ_CHECK(b->dtype == a->dtype && b->shape == a->shape && b->data == a->data);
  return 0;
}
