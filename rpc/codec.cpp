#include "rpc/codec.hpp"

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

std::optional<std::string> encode_plain_json_string(std::string_view s) {
    for (char ch : s)
        if (!plain_char(ch)) return std::nullopt;
    std::string out;
    out.reserve(s.size() + 2);
    out += '"';
    out.append(s);
    out += '"';
    return out;
}

bool decode_plain_json_string(std::string_view bytes, std::string& out) {
    if (bytes.size() < 2 || bytes.front() != '"' || bytes.back() != '"') return false;
    const auto inner = bytes.substr(1, bytes.size() - 2);
    for (char ch : inner)
        if (!plain_char(ch)) return false;
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
