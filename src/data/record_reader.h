// RecordReader: splits an in-memory delimited text file (CSV, TSV, pipe-separated) into
// records of fields, tracking line numbers for error messages. Used by every loader layout.
//
// Handles: LF and CRLF line ends (transparently), a leading UTF-8 byte-order mark, and, when
// quoting is on, RFC 4180 quoting (a field that starts with '"' may contain the delimiter,
// line breaks and doubled quotes ""). Optionally checks that each record is valid UTF-8.
// Blank lines are skipped.
//
// Fields are string_views into the input buffer or into the reader's scratch buffer; they stay
// valid until the next call to Next(). The reader does not allocate per record once warm.
// Not thread-safe; the input buffer must outlive the reader.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace hybridrec {

struct RecordReaderOptions {
  char delimiter = ',';
  bool quoting = true;        // RFC 4180 double-quote handling
  bool validate_utf8 = true;  // reject records that are not valid UTF-8
};

class RecordReader {
 public:
  enum class Outcome {
    kRecord,  // `fields` holds the next record
    kEnd,     // no more records
    kBadRow,  // this record is malformed (`error()` says why); the reader has moved past it
    kFatal,   // the rest of the file cannot be parsed (unterminated quote); stop
  };

  // `file_label` names the file in error messages (e.g. the path).
  RecordReader(std::string_view data, std::string file_label, RecordReaderOptions options = {});

  Outcome Next(std::vector<std::string_view>& fields);

  // 1-based line number where the last returned record starts.
  size_t line() const { return record_line_; }
  // Bytes of the input consumed so far.
  size_t offset() const { return pos_; }
  // Message for the last kBadRow/kFatal outcome: "<file>:<line>: <what>".
  const std::string& error() const { return error_; }
  const std::string& file_label() const { return label_; }

 private:
  Outcome ParseQuoted(std::vector<std::string_view>& fields);
  void SetError(size_t line, const std::string& what);

  std::string_view data_;
  std::string label_;
  RecordReaderOptions options_;
  size_t pos_ = 0;
  size_t next_line_ = 1;
  size_t record_line_ = 0;
  std::string scratch_;                           // unescaped quoted-record fields
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of each field in scratch_
  std::string error_;
};

}  // namespace hybridrec
