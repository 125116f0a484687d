// UTF-8 helpers for the data loaders (validation with byte offsets, latin-1 conversion).
// Stateless and thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hybridrec {

// Returns the byte offset of the first invalid UTF-8 sequence in `s` (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or nullopt when `s` is valid.
std::optional<size_t> FindInvalidUtf8(std::string_view s);

// Converts ISO-8859-1 (latin-1) bytes to UTF-8. Every byte string is valid latin-1.
std::string Latin1ToUtf8(std::string_view s);

// Strips one trailing '\r' (CRLF files) and surrounding ASCII spaces/tabs.
std::string_view TrimCr(std::string_view s);
std::string_view Trim(std::string_view s);

}  // namespace hybridrec
