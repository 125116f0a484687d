#include "data/record_reader.h"

#include <cstring>
#include <utility>

#include "core/utf8.h"

namespace hybridrec {

namespace {
bool HasHighByte(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}
}  // namespace

RecordReader::RecordReader(std::string_view data, std::string file_label, RecordReaderOptions options)
    : data_(data), label_(std::move(file_label)), options_(options) {
  if (data_.size() >= 3 && data_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 BOM
}

void RecordReader::SetError(size_t line, const std::string& what) {
  error_ = label_ + ":" + std::to_string(line) + ": " + what;
}

RecordReader::Outcome RecordReader::Next(std::vector<std::string_view>& fields) {
  fields.clear();
  const size_t n = data_.size();
  while (pos_ < n) {
    const char* base = data_.data();
    const void* nl = std::memchr(base + pos_, '\n', n - pos_);
    const size_t line_end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - base) : n;
    std::string_view line = data_.substr(pos_, line_end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {  // blank line
      pos_ = line_end + (nl ? 1 : 0);
      ++next_line_;
      continue;
    }
    record_line_ = next_line_;
    if (options_.quoting && line.find('"') != std::string_view::npos) return ParseQuoted(fields);
    pos_ = line_end + (nl ? 1 : 0);
    ++next_line_;
    if (options_.validate_utf8 && HasHighByte(line)) {
      if (auto bad = FindInvalidUtf8(line)) {
        SetError(record_line_, "invalid UTF-8 at byte " + std::to_string(*bad + 1) + " of the line (byte offset " +
                                   std::to_string(static_cast<size_t>(line.data() - base) + *bad) +
                                   " from the start of the file); re-save the file as UTF-8");
        return Outcome::kBadRow;
      }
    }
    size_t start = 0;
    while (true) {
      const size_t d = line.find(options_.delimiter, start);
      if (d == std::string_view::npos) {
        fields.push_back(line.substr(start));
        break;
      }
      fields.push_back(line.substr(start, d - start));
      start = d + 1;
    }
    return Outcome::kRecord;
  }
  return Outcome::kEnd;
}

// General path for records containing quotes: fields are unescaped into scratch_ (offsets
// first, views last, so growing scratch_ cannot invalidate them).
RecordReader::Outcome RecordReader::ParseQuoted(std::vector<std::string_view>& fields) {
  const size_t n = data_.size();
  const char delim = options_.delimiter;
  const size_t record_start = pos_;
  size_t i = pos_;
  size_t extra_lines = 0;
  scratch_.clear();
  std::vector<std::pair<size_t, size_t>>& spans = spans_;
  spans.clear();
  auto skip_rest_of_line = [&] {
    const void* nl = std::memchr(data_.data() + i, '\n', n - i);
    i = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data_.data()) + 1 : n;
  };
  while (true) {
    const size_t start = scratch_.size();
    if (i < n && data_[i] == '"') {
      const size_t quote_line = record_line_ + extra_lines;
      ++i;
      while (true) {
        if (i >= n) {
          SetError(quote_line,
                   "unterminated quoted field (the opening '\"' has no closing quote before the end "
                   "of the file); close the quote, or double a '\"' that is part of the text");
          pos_ = n;
          return Outcome::kFatal;
        }
        const char c = data_[i];
        if (c == '"') {
          if (i + 1 < n && data_[i + 1] == '"') {
            scratch_ += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (c == '\n') ++extra_lines;
        scratch_ += c;
        ++i;
      }
      spans.emplace_back(start, scratch_.size() - start);
      if (i < n && data_[i] == delim) {
        ++i;
        continue;
      }
      if (i >= n || data_[i] == '\n' || (data_[i] == '\r' && (i + 1 >= n || data_[i + 1] == '\n'))) {
        if (i < n && data_[i] == '\r') ++i;
        if (i < n) ++i;  // the '\n'
        break;
      }
      SetError(record_line_ + extra_lines, std::string("unexpected character '") + data_[i] +
                                               "' after a closing quote; a quoted field must end at a delimiter or "
                                               "the line end (double a '\"' that is part of the text)");
      skip_rest_of_line();
      pos_ = i;
      next_line_ = record_line_ + extra_lines + 1;
      return Outcome::kBadRow;
    }
    while (i < n && data_[i] != delim && data_[i] != '\n') scratch_ += data_[i++];
    if ((i >= n || data_[i] == '\n') && scratch_.size() > start && scratch_.back() == '\r') scratch_.pop_back();
    spans.emplace_back(start, scratch_.size() - start);
    if (i < n && data_[i] == delim) {
      ++i;
      continue;
    }
    if (i < n) ++i;  // the '\n'
    break;
  }
  pos_ = i;
  next_line_ = record_line_ + extra_lines + 1;
  if (options_.validate_utf8) {
    const std::string_view raw = data_.substr(record_start, i - record_start);
    if (HasHighByte(raw)) {
      if (auto bad = FindInvalidUtf8(raw)) {
        SetError(record_line_, "invalid UTF-8 at byte " + std::to_string(*bad + 1) + " of the record (byte offset " +
                                   std::to_string(record_start + *bad) +
                                   " from the start of the file); re-save the file as UTF-8");
        return Outcome::kBadRow;
      }
    }
  }
  for (const auto& [off, len] : spans) fields.emplace_back(scratch_.data() + off, len);
  return Outcome::kRecord;
}

}  // namespace hybridrec
