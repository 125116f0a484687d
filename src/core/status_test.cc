#include "core/status.h"

#include <gtest/gtest.h>

namespace hybridrec {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  HR_ASSIGN_OR_RETURN(int h, Half(x));
  HR_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Status::NotFound("file x.csv");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "not found: file x.csv");
  EXPECT_EQ(s.WithContext("loading").message(), "loading: file x.csv");
}

TEST(StatusTest, ResultPropagates) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
}

}  // namespace
}  // namespace hybridrec
