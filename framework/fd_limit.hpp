#pragma once
// The process's open-file limit (RLIMIT_NOFILE), which bounds how many client connections,
// cluster links and files a node can hold at once.

#include <cstdint>

namespace hearth {

/// Raises the soft RLIMIT_NOFILE to the hard limit, as Go's runtime does at start: the soft
/// limit (often 1024) is a compatibility default for select(), which Hearth does not use, while
/// the hard limit is what the administrator allows. Sets `before` (when given) to the soft limit
/// found. Returns the soft limit now (unchanged when setrlimit refuses). Process-wide;
/// idempotent; any thread.
std::uint64_t raise_open_file_limit(std::uint64_t* before = nullptr) noexcept;

/// The soft RLIMIT_NOFILE now (0 when getrlimit fails; "unlimited" as UINT64_MAX). Any thread.
std::uint64_t open_file_limit() noexcept;

}  // namespace hearth
