#include "core/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace hybridrec {
namespace {

// CaptureStderr redirects stderr to a file, so these Progress objects see no terminal and
// write plain lines.
size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(ProgressTest, LogWritesPlainLinesEveryInterval) {
  testing::internal::CaptureStderr();
  {
    Progress p("tune fusion", 4, /*quiet=*/false, /*log_interval_s=*/0.0);
    for (size_t i = 1; i <= 4; ++i) p.Update(i, "best ndcg@10 0.5");
    p.Finish();
  }
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Lines(out), 5u) << out;  // one per update, then "done"
  EXPECT_NE(out.find("tune fusion 2/4 (50%)"), std::string::npos) << out;
  EXPECT_NE(out.find("best ndcg@10 0.5"), std::string::npos) << out;
  // The rate so far and the time left at that rate.
  const std::string line = out.substr(out.find("tune fusion 2/4"), out.find('\n', out.find("tune fusion 2/4")) - out.find("tune fusion 2/4"));
  EXPECT_NE(line.find("/s"), std::string::npos) << line;
  EXPECT_NE(line.find("s left"), std::string::npos) << line;
  EXPECT_NE(out.find("tune fusion done in"), std::string::npos) << out;
  EXPECT_EQ(out.find('\r'), std::string::npos) << "no terminal control characters in a log";
}

TEST(ProgressTest, ShortJobsLeaveTheLogUntouched) {
  testing::internal::CaptureStderr();
  {
    Progress p("als", 3, false, 3600.0);
    for (size_t i = 1; i <= 3; ++i) p.Update(i);
    p.Finish();
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ProgressTest, QuietWritesNothing) {
  testing::internal::CaptureStderr();
  {
    Progress p("als", 3, /*quiet=*/true, 0.0);
    for (size_t i = 1; i <= 3; ++i) p.Update(i);
  }
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace hybridrec
