// JsonText: appends JSON text straight into one string, for the service's hot responses
// (recommendations, similar items), where building an nlohmann::json tree (a std::map node per
// key, a string per value) cost more CPU than ranking itself (measured with perf).
//
// Strings are escaped by nlohmann's serializer (invalid UTF-8 replaced by U+FFFD, as the
// service's other responses do); numbers are written with std::to_chars (the shortest text that
// reads back to the same float); NaN and infinities become null, as nlohmann writes them.
// Pre-serialised fragments (e.g. an item's {"id","title","genres"}) are spliced in with Raw().
// Commas between members and elements are inserted automatically; keys must be plain ASCII
// without characters that need escaping (they are our constants).
//
// Thread-safety: none (one object per response). The output is only well-formed when every
// Begin has its End; Take() does not check.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hybridrec::serve {

class JsonText {
 public:
  explicit JsonText(size_t reserve = 0) { out_.reserve(reserve); }

  JsonText& BeginObject();
  JsonText& EndObject();
  JsonText& BeginArray();
  JsonText& EndArray();
  // A member name inside an object; the next value call gives its value.
  JsonText& Key(std::string_view key);

  JsonText& String(std::string_view s);
  JsonText& Number(float v);
  JsonText& Number(double v);
  JsonText& Number(uint64_t v);
  JsonText& Number(int64_t v);
  JsonText& Bool(bool v);
  JsonText& Null();
  JsonText& Optional(const std::optional<float>& v) { return v ? Number(*v) : Null(); }
  // A complete JSON value already serialised (trusted: not checked).
  JsonText& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();

  std::string out_;
  std::vector<bool> first_;  // per open container: no member/element written yet
  bool after_key_ = false;
};

}  // namespace hybridrec::serve
