#pragma once
// Comparison of secrets (tokens, MACs) whose running time does not reveal where they differ.

#include <string_view>

namespace hearth {

/// True when `received` and `expected` hold the same bytes. The work depends only on
/// `received.size()`, never on the content of either string, so a caller measuring the time
/// learns nothing about how many leading bytes matched (OpenSSL's CRYPTO_memcmp does the
/// comparison). Strings of different lengths are unequal; whether the lengths match is the only
/// thing timing can tell. Empty strings are equal to each other. Pass the value that came from
/// outside first. Any thread; no allocation.
bool constant_time_equal(std::string_view received, std::string_view expected) noexcept;

}  // namespace hearth
