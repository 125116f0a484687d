#include "serve/json_text.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace hybridrec::serve {
namespace {

// nlohmann's serializer writing a string value into a std::string (its output adapter appends).
void EscapeInto(std::string& out, std::string_view s) {
  bool plain = true;  // printable ASCII without quote or backslash: nothing to escape
  for (const char c : s) plain = plain && c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  if (plain) {
    out.push_back('"');
    out.append(s);
    out.push_back('"');
    return;
  }
  using nlohmann::json;
  nlohmann::detail::serializer<json> ser(nlohmann::detail::output_adapter<char, std::string>(out), ' ',
                                         json::error_handler_t::replace);
  ser.dump(json(s), false, false, 0);
}

template <typename T>
void AppendChars(std::string& out, T v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace


void JsonText::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
}

JsonText& JsonText::BeginObject() {
  BeforeValue();
  out_.push_back('{');
  first_.push_back(true);
  return *this;
}

JsonText& JsonText::EndObject() {
  out_.push_back('}');
  first_.pop_back();
  return *this;
}

JsonText& JsonText::BeginArray() {
  BeforeValue();
  out_.push_back('[');
  first_.push_back(true);
  return *this;
}

JsonText& JsonText::EndArray() {
  out_.push_back(']');
  first_.pop_back();
  return *this;
}

JsonText& JsonText::Key(std::string_view key) {
  BeforeValue();
  out_.push_back('"');
  out_.append(key);
  out_.append("\":");
  after_key_ = true;
  return *this;
}

JsonText& JsonText::String(std::string_view s) {
  BeforeValue();
  EscapeInto(out_, s);
  return *this;
}

JsonText& JsonText::Number(float v) {
  if (!std::isfinite(v)) return Null();
  BeforeValue();
  AppendChars(out_, v);
  return *this;
}

JsonText& JsonText::Number(double v) {
  if (!std::isfinite(v)) return Null();
  BeforeValue();
  AppendChars(out_, v);
  return *this;
}

JsonText& JsonText::Number(uint64_t v) {
  BeforeValue();
  AppendChars(out_, v);
  return *this;
}

JsonText& JsonText::Number(int64_t v) {
  BeforeValue();
  AppendChars(out_, v);
  return *this;
}

JsonText& JsonText::Bool(bool v) {
  BeforeValue();
  out_.append(v ? "true" : "false");
  return *this;
}

JsonText& JsonText::Null() {
  BeforeValue();
  out_.append("null");
  return *this;
}

JsonText& JsonText::Raw(std::string_view json) {
  BeforeValue();
  out_.append(json);
  return *this;
}

}  // namespace hybridrec::serve
