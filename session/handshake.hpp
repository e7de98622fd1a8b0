#pragma once
// The handshake bodies of client-protocol.md section 2: the client's request JSON and the
// server's reply JSON (sent in Handshake packets, type 1).

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include <nlohmann/json.hpp>

#include "session/error.hpp"
#include "session/route_dictionary.hpp"

namespace hearth::session {

/// A client's handshake, e.g. {"sys":{"type":"js-websocket","version":"0.0.1"},"user":{...}}.
/// Missing fields are tolerated: they stay empty / null.
struct handshake_request {
    std::string type;     ///< sys.type, e.g. "js-websocket"
    std::string version;  ///< sys.version
    nlohmann::json sys;   ///< the whole "sys" object (null when absent), for validators
    nlohmann::json user;  ///< the "user" value as sent (null when absent), for validators
};

/// True when the JSON text `text` nests arrays and objects at most `limit` deep, counted on the
/// raw bytes (brackets outside strings), so that a hostile body is refused before a parser
/// builds anything. Any thread; no allocation.
bool json_nesting_within(std::string_view text, std::size_t limit) noexcept;

/// The deepest JSON nesting accepted in a client handshake: nlohmann's parser is iterative but
/// destroying and printing a value recurse, so a 64 KiB "[[[[..." must not reach them.
inline constexpr std::size_t max_handshake_depth = 32;

/// Parses a client handshake body. An empty body counts as {} (some clients send none).
/// bad_handshake when the body is not valid JSON, is not an object, nests deeper than
/// max_handshake_depth, or has a "sys" that is not an object. Non-string sys.type/version are
/// ignored. Never throws on bad input (std::bad_alloc aside).
[[nodiscard]] std::error_code parse_handshake(std::string_view body, handshake_request& out);

/// What a gate with resume on adds to a successful handshake reply as sys.resume
/// (docs/resume.md): {"token":"...","grace":30,"resumed":false}.
struct resume_grant {
    std::string token;                ///< opaque to clients; never logged
    std::chrono::milliseconds grace;  ///< sent in seconds, like heartbeat
    bool resumed = false;             ///< true: the session the token named goes on
};

/// The success reply, keys in the contract's order:
/// {"code":200,"sys":{"heartbeat":30,"servertime":1700000000,"dict":{...},"resume":{...}}}.
/// heartbeat is in seconds, an integer when whole (30), fractional otherwise (1.5); dict is
/// present only when `dict` is non-null and non-empty; resume only when `resume` is non-null.
std::string handshake_reply(std::chrono::milliseconds heartbeat, std::int64_t servertime_unix_s,
                            const route_dictionary* dict = nullptr, const resume_grant* resume = nullptr);

/// As above with servertime = now (system clock).
std::string handshake_reply(std::chrono::milliseconds heartbeat, const route_dictionary* dict = nullptr,
                            const resume_grant* resume = nullptr);

/// The failure reply {"code":400,"message":"..."} (code 400, 500 or 501 by the contract); the
/// message is JSON-escaped, invalid UTF-8 replaced.
std::string handshake_failure(int code, std::string_view message);

}  // namespace hearth::session
