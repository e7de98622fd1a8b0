#pragma once
// Resume tokens (docs/resume.md, "Tokens"): "<session id in hex>.<32 hex digits>", the digits
// being 128 bits from OpenSSL's RAND_bytes. The session id only says where to look (which
// worker, which session); the secret is what proves the client holds the session, compared in
// constant time. A secret is used once: every successful resume draws a new one.

#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::session::detail {

/// 16 random bytes from a cryptographic source, as 32 lowercase hex digits. Any thread.
std::string make_resume_secret();

std::string format_resume_token(std::uint64_t session_id, std::string_view secret);

/// Splits a token; false when it does not have the shape above (no lookup is attempted then).
bool parse_resume_token(std::string_view token, std::uint64_t& session_id, std::string& secret);

}  // namespace hearth::session::detail
