#pragma once
// zlib payloads: the Z flag (0x10) of a message (client-protocol.md section 3, a Pitaya
// extension). Hearth's choice: accept compressed payloads from clients and inflate them, with
// the inflated size bounded (a 64 KiB packet must not become gigabytes: "zip bomb"). Both the
// zlib format (what Pitaya's Go server and clients send) and the gzip format (what the name
// "compressGzip" in pomelo-protocol suggests) are accepted; the header tells them apart.
// Hearth itself sends zlib format, and only when the application asks for it.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "session/error.hpp"

namespace hearth::session {

/// Reusable inflater: keeps its zlib state (about 40 KiB, allocated on first use) across
/// payloads, so a connection that receives many compressed messages allocates it once.
/// Not thread-safe; one per connection or per worker.
class inflater {
  public:
    inflater() noexcept;
    ~inflater();
    inflater(inflater&&) noexcept;
    inflater& operator=(inflater&&) noexcept;

    /// Appends the inflated `in` to `out`. Errors (and `out` is left unchanged):
    /// payload_too_large when more than max_size bytes would result, decompress_failed when the
    /// input is corrupt, truncated or followed by trailing bytes.
    [[nodiscard]] std::error_code inflate(std::string_view in, std::string& out, std::size_t max_size);

  private:
    struct state;
    std::unique_ptr<state> state_;
};

/// One-shot inflate with a temporary inflater (for rare use; prefer a kept inflater).
[[nodiscard]] std::error_code inflate_payload(std::string_view in, std::string& out, std::size_t max_size);

/// Appends the zlib-format compression of `in` to `out` (level: zlib's -1..9, -1 = default).
/// Throws std::bad_alloc when zlib cannot allocate, std::invalid_argument for a bad level.
void deflate_payload(std::string_view in, std::string& out, int level = -1);

}  // namespace hearth::session
