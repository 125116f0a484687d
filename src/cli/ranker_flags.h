// Command-line flags of the ranker's options, generated from their field lists
// (ranking/ranker_options.h): one flag per field, bound to the struct, its default shown.
#pragma once

#include <string>
#include <type_traits>

#include <CLI/CLI.hpp>

#include "ranking/ranker_options.h"

namespace hybridrec {

inline void AddRankerFlags(CLI::App* sub, RankerOptions& options, const std::string& group = "Ranker options") {
  RankerOptions::VisitFields(options, [&](const FieldSpec& f, auto& v) {
    using T = std::decay_t<decltype(v)>;
    const std::string name = "--" + std::string(f.flag);
    if constexpr (std::is_same_v<T, bool>) {
      sub->add_flag(name, v, std::string(f.help))->group(group);
    } else {
      sub->add_option(name, v, std::string(f.help))->capture_default_str()->group(group);
    }
  });
}

}  // namespace hybridrec
