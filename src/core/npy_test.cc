#include "core/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "core/file_util.h"

namespace hybridrec {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class NpyStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::path(::testing::TempDir()) / (std::string("hr_npy_") + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    values_.resize(5 * 3);
    std::iota(values_.begin(), values_.end(), 0.5f);
    path_ = root_ / "a.npy";
    bytes_ = EncodeNpy(NpyDtype::kFloat32, {5, 3}, values_.data());
    Write(bytes_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(std::string_view bytes) { ASSERT_TRUE(WriteFileAtomic(path_, bytes).ok()); }
  // The status of reading path_ as float32 (5, 3) into a vector of the right size.
  Status ReadInto(std::vector<float>& out, NpyStreamOptions options = {}) {
    out.assign(values_.size(), 0.0f);
    options.dest = out.data();
    options.dest_bytes = out.size() * sizeof(float);
    return ReadNpyStream(path_, NpyDtype::kFloat32, {5, 3}, options);
  }
  std::string Payload() const { return bytes_.substr(bytes_.size() - values_.size() * sizeof(float)); }

  fs::path root_, path_;
  std::vector<float> values_;
  std::string bytes_;  // the whole file
};

TEST_F(NpyStreamTest, GoodFileIsReadIntoTheDestination) {
  std::vector<float> out;
  const Status st = ReadInto(out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out, values_);
}

TEST_F(NpyStreamTest, ChunksAreWholeItemsInOrder) {
  for (const bool to_dest : {false, true}) {
    std::vector<std::pair<size_t, size_t>> chunks;
    std::string seen;
    NpyStreamOptions o;
    o.chunk_bytes = 10;  // rounded down to 8: two floats
    o.on_chunk = [&](size_t offset, const void* data, size_t bytes) {
      chunks.emplace_back(offset, bytes);
      seen.append(static_cast<const char*>(data), bytes);
      return Status::Ok();
    };
    std::vector<float> out(values_.size());
    if (to_dest) {
      o.dest = out.data();
      o.dest_bytes = out.size() * sizeof(float);
    }
    const Status st = ReadNpyStream(path_, NpyDtype::kFloat32, {5, 3}, o);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(seen, Payload());
    ASSERT_EQ(chunks.size(), 8u);  // 15 floats: seven chunks of two, then one
    for (size_t i = 0; i < chunks.size(); ++i) {
      EXPECT_EQ(chunks[i].first, i * 8);
      EXPECT_EQ(chunks[i].second, i + 1 < chunks.size() ? 8u : 4u);
    }
    if (to_dest) {
      EXPECT_EQ(out, values_);
    }
  }
}

TEST_F(NpyStreamTest, ObserverSeesEveryByteOfTheFile) {
  for (const size_t chunk : {size_t{4}, size_t{12}, size_t{8} << 20}) {
    std::string seen;
    NpyStreamOptions o;
    o.chunk_bytes = chunk;
    o.observe = [&](const void* data, size_t bytes) { seen.append(static_cast<const char*>(data), bytes); };
    std::vector<float> out;
    ASSERT_TRUE(ReadInto(out, o).ok());
    EXPECT_EQ(seen, bytes_) << chunk;
    // Hashing in the observer gives the file's checksum.
    Sha256Stream sha;
    o.observe = [&](const void* data, size_t bytes) { sha.Update(data, bytes); };
    ASSERT_TRUE(ReadInto(out, o).ok());
    EXPECT_EQ(sha.HexDigest(), Sha256Hex(bytes_));
  }
}

TEST_F(NpyStreamTest, EmptyArrayHasNoChunks) {
  Write(EncodeNpy(NpyDtype::kInt64, {0}, nullptr));
  NpyStreamOptions o;
  int calls = 0;
  o.on_chunk = [&](size_t, const void*, size_t) {
    ++calls;
    return Status::Ok();
  };
  ASSERT_TRUE(ReadNpyStream(path_, NpyDtype::kInt64, {0}, o).ok());
  EXPECT_EQ(calls, 0);
}

TEST_F(NpyStreamTest, TruncatedPayloadIsRefused) {
  Write(std::string_view(bytes_).substr(0, bytes_.size() - 4));
  std::vector<float> out;
  const Status st = ReadInto(out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr(path_.string()));
  EXPECT_THAT(st.message(), HasSubstr("payload is 56 bytes, shape and dtype need 60"));
}

TEST_F(NpyStreamTest, TruncatedHeaderIsRefused) {
  Write(std::string_view(bytes_).substr(0, 20));
  std::vector<float> out;
  const Status st = ReadInto(out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr(path_.string() + ": truncated .npy header"));
  Write("not an array at all");
  EXPECT_THAT(ReadInto(out).message(), HasSubstr("not a .npy file"));
}

TEST_F(NpyStreamTest, BytesAfterThePayloadAreRefused) {
  Write(bytes_ + "x");
  std::vector<float> out;
  const Status st = ReadInto(out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr(path_.string() + ": bytes after the payload"));
}

TEST_F(NpyStreamTest, WrongDtypeIsRefused) {
  const std::vector<double> wide(values_.begin(), values_.end());
  Write(EncodeNpy(NpyDtype::kFloat64, {5, 3}, wide.data()));
  std::vector<float> out;
  const Status st = ReadInto(out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr(path_.string() + ": unexpected dtype '<f8', expected '<f4'"));
}

TEST_F(NpyStreamTest, WrongShapeIsRefused) {
  Write(EncodeNpy(NpyDtype::kFloat32, {3, 5}, values_.data()));
  std::vector<float> out;
  Status st = ReadInto(out);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr(path_.string() + ": shape (3, 5) does not match the expected (5, 3)"));
  NpyStreamOptions o;
  o.shape_source = "manifest's";
  Write(EncodeNpy(NpyDtype::kFloat32, {15}, values_.data()));
  st = ReadInto(out, o);
  EXPECT_THAT(st.message(), HasSubstr("shape (15) does not match the manifest's (5, 3)"));
}

TEST_F(NpyStreamTest, DestinationOfAnotherSizeIsRefused) {
  std::vector<float> out(values_.size() - 1);
  NpyStreamOptions o;
  o.dest = out.data();
  o.dest_bytes = out.size() * sizeof(float);
  const Status st = ReadNpyStream(path_, NpyDtype::kFloat32, {5, 3}, o);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("payload of 60 bytes, expected 56"));
}

TEST_F(NpyStreamTest, ChunkErrorStopsTheRead) {
  NpyStreamOptions o;
  o.chunk_bytes = 8;
  int calls = 0;
  o.on_chunk = [&](size_t, const void*, size_t) {
    return ++calls == 2 ? Status::Corruption("value out of range") : Status::Ok();
  };
  const Status st = ReadNpyStream(path_, NpyDtype::kFloat32, {5, 3}, o);
  EXPECT_EQ(st.message(), "value out of range");
  EXPECT_EQ(calls, 2);
}

TEST_F(NpyStreamTest, MissingFileIsNamed) {
  const Status st = ReadNpyStream(root_ / "missing.npy", NpyDtype::kFloat32, {5, 3}, {});
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr((root_ / "missing.npy").string() + ": cannot open"));
}

}  // namespace
}  // namespace hybridrec
