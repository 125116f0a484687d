#include "data/record_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hybridrec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Outcome = RecordReader::Outcome;

// All records of `data` as strings, with the line each starts on.
struct Parsed {
  std::vector<std::vector<std::string>> records;
  std::vector<size_t> lines;
  Outcome last;
  std::string error;
};
Parsed ParseAll(const std::string& data, RecordReaderOptions o = {}) {
  RecordReader r(data, "f.csv", o);
  Parsed p;
  std::vector<std::string_view> fields;
  while (true) {
    p.last = r.Next(fields);
    if (p.last == Outcome::kEnd || p.last == Outcome::kFatal) break;
    if (p.last == Outcome::kBadRow) {
      p.error = r.error();
      continue;
    }
    p.records.emplace_back(fields.begin(), fields.end());
    p.lines.push_back(r.line());
  }
  if (p.last == Outcome::kFatal) p.error = r.error();
  return p;
}

TEST(RecordReader, PlainCrlfBlankLinesBomAndNoFinalNewline) {
  const auto p = ParseAll(
      "\xEF\xBB\xBF"
      "a,b\r\n\r\n1,,3\n\nx,y");
  EXPECT_EQ(p.last, Outcome::kEnd);
  ASSERT_EQ(p.records.size(), 3u);
  EXPECT_THAT(p.records[0], ElementsAre("a", "b"));
  EXPECT_THAT(p.records[1], ElementsAre("1", "", "3"));
  EXPECT_THAT(p.records[2], ElementsAre("x", "y"));
  EXPECT_THAT(p.lines, ElementsAre(1u, 3u, 5u));
}

TEST(RecordReader, QuotedFieldsWithDelimitersQuotesAndNewlines) {
  const auto p = ParseAll("1,\"a, b\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",x\n3,mid\"quote,\"\"\n4,z\n");
  ASSERT_EQ(p.records.size(), 4u) << p.error;
  EXPECT_THAT(p.records[0], ElementsAre("1", "a, b", "say \"hi\""));
  EXPECT_THAT(p.records[1], ElementsAre("2", "two\nlines", "x"));
  EXPECT_THAT(p.records[2], ElementsAre("3", "mid\"quote", ""));  // a quote inside an unquoted field is literal
  EXPECT_THAT(p.records[3], ElementsAre("4", "z"));
  EXPECT_THAT(p.lines, ElementsAre(1u, 2u, 4u, 5u));  // the quoted newline counts as a line
}

TEST(RecordReader, QuotingOffKeepsQuotes) {
  RecordReaderOptions o;
  o.delimiter = '|';
  o.quoting = false;
  const auto p = ParseAll("1|\"Quoted\" title|x\n", o);
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_THAT(p.records[0], ElementsAre("1", "\"Quoted\" title", "x"));
}

TEST(RecordReader, UnterminatedQuoteIsFatal) {
  const auto p = ParseAll("a,b\n1,\"open\n2,x\n");
  EXPECT_EQ(p.last, Outcome::kFatal);
  EXPECT_THAT(p.error, HasSubstr("f.csv:2: unterminated quoted field"));
  EXPECT_EQ(p.records.size(), 1u);
}

TEST(RecordReader, GarbageAfterClosingQuoteIsABadRowAndParsingContinues) {
  const auto p = ParseAll("1,\"a\"b,c\n2,ok\n");
  EXPECT_THAT(p.error, HasSubstr("f.csv:1: unexpected character 'b' after a closing quote"));
  ASSERT_EQ(p.records.size(), 1u);
  EXPECT_THAT(p.records[0], ElementsAre("2", "ok"));
  EXPECT_THAT(p.lines, ElementsAre(2u));
}

TEST(RecordReader, InvalidUtf8IsABadRowUnlessDisabled) {
  const std::string data = "ok,\xC3\xA9\nbad,\xE9t\xE9\nnext,1\n";
  auto p = ParseAll(data);
  EXPECT_THAT(p.error,
              HasSubstr("f.csv:2: invalid UTF-8 at byte 5 of the line (byte offset 10 from the start of the file)"));
  ASSERT_EQ(p.records.size(), 2u);
  RecordReaderOptions latin1;
  latin1.validate_utf8 = false;
  p = ParseAll(data, latin1);
  EXPECT_EQ(p.records.size(), 3u);
  EXPECT_TRUE(p.error.empty());
}

}  // namespace
}  // namespace hybridrec
