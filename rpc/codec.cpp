#include "rpc/codec.hpp"

#include <cstdint>
#include <cstring>

namespace hearth::rpc {

std::string_view to_string(codec c) noexcept {
    switch (c) {
        case codec::json:
            return "json";
        case codec::cbor:
            return "cbor";
        case codec::msgpack:
            return "msgpack";
    }
    return "unknown";
}

std::optional<codec> codec_from_string(std::string_view name) noexcept {
    if (name == "json") return codec::json;
    if (name == "cbor") return codec::cbor;
    if (name == "msgpack") return codec::msgpack;
    return std::nullopt;
}

namespace {
/// Printable ASCII that JSON writes as itself inside a string.
bool plain_char(char ch) noexcept {
    const auto u = static_cast<unsigned char>(ch);
    return u >= 0x20 && u < 0x7f && ch != '"' && ch != '\\';
}
}  // namespace

bool all_plain(std::string_view s) noexcept {
    // Eight bytes at a time: a byte is not plain when its high bit is set, it is below 0x20, or
    // it equals 0x7f, '"' or '\\' (the zero-byte and less-than tests are exact for existence).
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    auto has_zero = [](std::uint64_t v) {
        return (v - ones) & ~v & highs;
    };
    const char* p = s.data();
    std::size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t x;
        std::memcpy(&x, p, 8);
        const std::uint64_t bad = (x & highs) | ((x - ones * 0x20) & ~x & highs) |
                                  has_zero(x ^ (ones * 0x7f)) | has_zero(x ^ (ones * '"')) |
                                  has_zero(x ^ (ones * '\\'));
        if (bad) return false;
    }
    for (; n > 0; ++p, --n)
        if (!plain_char(*p)) return false;
    return true;
}

bool encode_plain_json_string(std::string_view s, std::string& out) {
    if (!all_plain(s)) return false;
    out.clear();
    out.reserve(s.size() + 2);
    out += '"';
    out.append(s);
    out += '"';
    return true;
}

std::optional<std::string> encode_plain_json_string(std::string_view s) {
    std::string out;
    if (!encode_plain_json_string(s, out)) return std::nullopt;
    return out;
}

bool decode_plain_json_string(std::string_view bytes, std::string& out) {
    if (bytes.size() < 2 || bytes.front() != '"' || bytes.back() != '"') return false;
    const auto inner = bytes.substr(1, bytes.size() - 2);
    if (!all_plain(inner)) return false;
    out.assign(inner);
    return true;
}

std::string encode_json(codec c, const nlohmann::json& doc) {
    switch (c) {
        case codec::json:
            return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        case codec::cbor: {
            std::string out;
            nlohmann::json::to_cbor(doc, nlohmann::detail::output_adapter<char>(out));
            return out;
        }
        case codec::msgpack: {
            std::string out;
            nlohmann::json::to_msgpack(doc, nlohmann::detail::output_adapter<char>(out));
            return out;
        }
    }
    return {};
}

result<nlohmann::json> decode_json(codec c, std::string_view bytes) {
    // allow_exceptions=false: malformed input yields a discarded value instead of a throw.
    nlohmann::json doc;
    switch (c) {
        case codec::json:
            doc = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
            break;
        case codec::cbor:
            doc = nlohmann::json::from_cbor(bytes.begin(), bytes.end(), true, false);
            break;
        case codec::msgpack:
            doc = nlohmann::json::from_msgpack(bytes.begin(), bytes.end(), true, false);
            break;
    }
    if (doc.is_discarded())
        return error{errc::bad_request,
                     std::string("The payload is not valid ") + std::string(to_string(c)) + "."};
    return doc;
}

}  // namespace hearth::rpc
