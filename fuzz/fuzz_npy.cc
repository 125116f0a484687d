// Fuzzes the .npy decoder (core/npy.h): magic, version, header dictionary, dtype, shape and
// payload size. A decoded array must have a payload of exactly size() * itemsize bytes and
// re-encode to bytes that decode to the same array. The streaming reader (ReadNpyStream) reads
// the same bytes from a file and must agree: it accepts exactly what DecodeNpy accepts (given
// its dtype and shape), delivers the same payload in chunks, and its observer sees the whole
// file; a refusal names the file.
#include <cstdint>
#include <filesystem>
#include <string>

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
  const std::string_view bytes = fuzz::AsView(data, size);
  auto a = DecodeNpy(bytes, "fuzz.npy");
  static const std::filesystem::path file = fuzz::ScratchDir() / "stream.npy";
  fuzz::WriteBytes(file, bytes);
  std::string chunks, seen;
  NpyStreamOptions read;
  read.chunk_bytes = 24;  // several chunks even for small inputs
  read.on_chunk = [&](size_t offset, const void* p, size_t n) {
    HR_FUZZ_CHECK(offset == chunks.size() && n > 0 && n <= 24);
    chunks.append(static_cast<const char*>(p), n);
    return Status::Ok();
  };
  read.observe = [&](const void* p, size_t n) { seen.append(static_cast<const char*>(p), n); };
  if (!a.ok()) {
    HR_FUZZ_CHECK(a.status().message().find("fuzz.npy") != std::string::npos);
    for (const NpyDtype d : {NpyDtype::kFloat32, NpyDtype::kInt64}) {
      const Status st = ReadNpyStream(file, d, {1}, read);
      HR_FUZZ_CHECK(!st.ok() && st.message().find(file.string()) != std::string::npos);
    }
    return 0;
  }
  HR_FUZZ_CHECK(ReadNpyStream(file, a->dtype, a->shape, read).ok());
  HR_FUZZ_CHECK(chunks == a->data);
  HR_FUZZ_CHECK(seen == bytes);
  HR_FUZZ_CHECK(a->shape.size() == 1 || a->shape.size() == 2);
  HR_FUZZ_CHECK(a->data.size() == a->size() * ItemSize(a->dtype));
  const std::string again = EncodeNpy(a->dtype, a->shape, a->data.data());
  auto b = DecodeNpy(again, "re-encoded");
  HR_FUZZ_CHECK(b.ok());
  HR_FUZZ_CHECK(b->dtype == a->dtype && b->shape == a->shape && b->data == a->data);
  return 0;
}
