// Helpers shared by the libFuzzer targets in this folder: a per-process scratch directory for
// parsers whose entry point takes a path, and a splitter that turns one fuzz input into
// several files. Not thread-safe (libFuzzer runs one input at a time per process).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace hybridrec::fuzz {

// Separates the files packed into one input, e.g. "u.data bytes" kPartSeparator "u.item bytes".
// A line of its own so that text mutations rarely create or destroy one by accident.
inline constexpr std::string_view kPartSeparator = "\n--8<--\n";

// Splits `data` at kPartSeparator into at most `max_parts` parts (the last part keeps any
// further separators).
inline std::vector<std::string_view> SplitParts(std::string_view data, size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const size_t at = data.find(kPartSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(data.substr(0, at));
    data.remove_prefix(at + kPartSeparator.size());
  }
  parts.push_back(data);
  return parts;
}

// A directory private to this process (on /dev/shm when available, so file round trips stay
// in memory), removed at normal exit. Aborts if it cannot be created: the target is useless
// without it.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path dir = [] {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path base = fs::is_directory("/dev/shm", ec) && ::access("/dev/shm", W_OK) == 0
                        ? fs::path("/dev/shm")
                        : fs::temp_directory_path();
    fs::path d = base / ("hybridrec-fuzz-" + std::to_string(::getpid()));
    fs::remove_all(d, ec);
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ec2;
      fs::remove_all(ScratchDir(), ec2);
    });
    return d;
  }();
  return dir;
}

// A fresh (emptied) subdirectory of ScratchDir().
inline std::filesystem::path FreshDir(const std::string& name) {
  std::filesystem::path d = ScratchDir() / name;
  std::error_code ec;
  std::filesystem::remove_all(d, ec);
  std::filesystem::create_directories(d);
  return d;
}

inline void WriteBytes(const std::filesystem::path& p, std::string_view bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) std::abort();  // scratch space full: a harness failure, not a finding
}

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Invariant violated by a parser's successful result: report it as a crash.
[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}
#define HR_FUZZ_CHECK(cond) \
  do {                       \
    if (!(cond)) ::hybridrec::fuzz::Fail(#cond); \
  } while (0)

}  // namespace hybridrec::fuzz
