#pragma once
// Payload codecs: how a JSON-convertible value becomes bytes on a wire. Local calls never use
// them; remote calls and client sessions do. JSON text is the default; CBOR and MessagePack
// (both through nlohmann) are the binary choices.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rpc/result.hpp"

namespace hearth::rpc {

enum class codec : unsigned char { json = 0, cbor = 1, msgpack = 2 };

std::string_view to_string(codec c) noexcept;
std::optional<codec> codec_from_string(std::string_view name) noexcept;

/// Encodes a JSON document. Never throws for documents built by nlohmann (invalid UTF-8 in
/// strings is replaced rather than rejected).
std::string encode_json(codec c, const nlohmann::json& doc);

/// Decodes bytes into a JSON document; bad_request with a message on malformed input.
result<nlohmann::json> decode_json(codec c, std::string_view bytes);

/// Fast paths for plain strings in JSON, the commonest payload of opaque game data: a string
/// of printable ASCII without quotes or backslashes is written and read without building a
/// JSON document (nlohmann handles a string one character at a time). Anything else returns
/// nullopt / false and takes the general path, so the bytes are identical either way.
std::optional<std::string> encode_plain_json_string(std::string_view s);
/// The same into `out` (replacing its contents); false, `out` untouched, when not plain.
bool encode_plain_json_string(std::string_view s, std::string& out);
/// True when every byte of `s` is printable ASCII other than '"' and '\\'.
bool all_plain(std::string_view s) noexcept;
bool decode_plain_json_string(std::string_view bytes, std::string& out);

/// Encodes any JSON-convertible value (nlohmann's to_json).
template <class T>
std::string encode(codec c, const T& value) {
    if constexpr (std::is_same_v<T, nlohmann::json>) {
        return encode_json(c, value);
    } else {
        if constexpr (std::is_same_v<T, std::string>) {
            if (c == codec::json)
                if (auto fast = encode_plain_json_string(value)) return std::move(*fast);
        }
        return encode_json(c, nlohmann::json(value));
    }
}

/// encode() into `out`, replacing its contents: a caller with a reusable buffer avoids an
/// allocation per message on the fast path.
template <class T>
void encode_to(codec c, const T& value, std::string& out) {
    if constexpr (std::is_same_v<T, std::string>) {
        if (c == codec::json && encode_plain_json_string(value, out)) return;
    }
    out = encode(c, value);
}

/// Decodes bytes into T (nlohmann's from_json); bad_request when the bytes or the shape are wrong.
template <class T>
result<T> decode(codec c, std::string_view bytes) {
    if constexpr (std::is_same_v<T, std::string>) {
        std::string out;
        if (c == codec::json && decode_plain_json_string(bytes, out)) return out;
    }
    auto doc = decode_json(c, bytes);
    if (!doc) return std::move(doc).error();
    if constexpr (std::is_same_v<T, nlohmann::json>) {
        return std::move(*doc);
    } else {
        try {
            return doc->template get<T>();
        } catch (const std::exception& e) {
            return error{errc::bad_request,
                         std::string("The payload does not match the request type: ") + e.what()};
        }
    }
}

}  // namespace hearth::rpc
