#include "session/detail/resume_token.hpp"

#include <array>
#include <charconv>

#include "framework/secure_random.hpp"

namespace hearth::session::detail {

namespace {
constexpr std::size_t secret_bytes = 16;  // 128 bits
constexpr char hex_digits[] = "0123456789abcdef";
}  // namespace

std::string make_resume_secret() {
    std::array<unsigned char, secret_bytes> raw{};
    secure_random_bytes(raw.data(), raw.size());
    std::string out;
    out.reserve(2 * secret_bytes);
    for (unsigned char b : raw) {
        out.push_back(hex_digits[b >> 4]);
        out.push_back(hex_digits[b & 0xf]);
    }
    return out;
}

std::string format_resume_token(std::uint64_t session_id, std::string_view secret) {
    char id[16];
    auto [end, ec] = std::to_chars(id, id + sizeof id, session_id, 16);
    std::string out(id, end);
    out.push_back('.');
    out.append(secret);
    return out;
}

bool parse_resume_token(std::string_view token, std::uint64_t& session_id, std::string& secret) {
    const auto dot = token.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > 16) return false;
    const std::string_view s = token.substr(dot + 1);
    if (s.size() != 2 * secret_bytes) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(token.data(), token.data() + dot, id, 16);
    if (ec != std::errc() || end != token.data() + dot) return false;
    session_id = id;
    secret.assign(s);
    return true;
}

}  // namespace hearth::session::detail
