// One field list per options struct, and everything generated from it.
//
// An options struct describes its fields once, in a static VisitFields(self, visitor) that calls
// visitor(spec, member) for each field (float, size_t or bool). From that single list come:
// validation (ValidateFields: the spec's range, named in the error), the JSON form stored in a
// model's manifest (FieldsToJson / FieldsFromJson: the spec's key), and the command-line flags
// (cli/ranker_flags.h: the spec's flag). A new option is one line in its struct's list.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

namespace hybridrec {

struct FieldSpec {
  std::string_view key;   // JSON key (flat, unique across the ranker's options)
  std::string_view flag;  // command-line flag without the dashes
  std::string_view help;
  double lo = -std::numeric_limits<double>::infinity();  // allowed closed range
  double hi = std::numeric_limits<double>::infinity();
};

struct RankerOptions;

// One axis of a tuning grid: the values it tries, each a change to a copy of the base options.
// Trials are every combination, the last axis varying fastest.
struct GridAxis {
  std::string name;
  std::vector<std::function<void(RankerOptions&)>> values;
};

// Common ranges.
inline constexpr double kInf = std::numeric_limits<double>::infinity();

namespace detail {

inline std::string RangeText(const FieldSpec& f) {
  auto num = [](double v) {
    std::string s = std::to_string(v);
    s.erase(s.find_last_not_of('0') + 1);
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  };
  if (std::isinf(f.lo) && std::isinf(f.hi)) return "finite";
  if (std::isinf(f.hi)) return "finite and >= " + num(f.lo);
  if (std::isinf(f.lo)) return "finite and <= " + num(f.hi);
  return "in [" + num(f.lo) + ", " + num(f.hi) + "]";
}

}  // namespace detail

// Throws std::invalid_argument("<what>: <key> must be <range>") for the first field out of range.
template <typename Options>
void ValidateFields(const Options& o, std::string_view what) {
  Options::VisitFields(o, [&](const FieldSpec& f, const auto& v) {
    using T = std::decay_t<decltype(v)>;
    if constexpr (!std::is_same_v<T, bool>) {
      const double x = static_cast<double>(v);
      const bool ok = std::isfinite(x) && x >= f.lo && x <= f.hi;
      if (!ok) throw std::invalid_argument(std::string(what) + ": " + std::string(f.key) + " must be " + detail::RangeText(f));
    }
  });
}

template <typename Options>
void FieldsToJson(const Options& o, nlohmann::json& j) {
  Options::VisitFields(o, [&](const FieldSpec& f, const auto& v) { j[std::string(f.key)] = v; });
}

// Reads the fields present in j (absent ones keep their value); a value of the wrong type throws
// std::invalid_argument naming the key. Returns how many of j's keys were fields.
template <typename Options>
size_t FieldsFromJson(const nlohmann::json& j, Options& o) {
  size_t found = 0;
  Options::VisitFields(o, [&](const FieldSpec& f, auto& v) {
    using T = std::decay_t<decltype(v)>;
    const auto it = j.find(std::string(f.key));
    if (it == j.end()) return;
    ++found;
    const std::string key(f.key);
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) throw std::invalid_argument(key + " must be true or false");
      v = it->template get<bool>();
    } else if constexpr (std::is_same_v<T, size_t>) {
      if (!it->is_number_unsigned()) throw std::invalid_argument(key + " must be a whole number >= 0");
      v = it->template get<size_t>();
    } else {
      if (!it->is_number()) throw std::invalid_argument(key + " must be a number");
      const double x = it->template get<double>();
      if (!std::isfinite(x) || std::fabs(x) > static_cast<double>(std::numeric_limits<T>::max()))
        throw std::invalid_argument(key + " is out of range");
      v = static_cast<T>(x);
    }
  });
  return found;
}

}  // namespace hybridrec
