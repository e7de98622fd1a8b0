#pragma once
// One line of a hearth-cli connect session (typed at the prompt, or read from a script):
//
//   request ROUTE [JSON]       send a Request (JSON defaults to {}); scripts wait for its Response
//   notify ROUTE [JSON]        send a Notify
//   wait-push ROUTE [SECONDS]  wait for a Push on ROUTE not yet waited for (default: --timeout)
//   wait-kick [SECONDS]        wait until the server kicks this client
//   help | quit | exit
//
// Blank lines and lines starting with '#' are ignored.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::tools {

struct command {
    enum class kind { none, request, notify, wait_push, wait_kick, help, quit };
    kind what = kind::none;
    std::string route;                                 ///< request, notify, wait_push
    std::string payload;                               ///< request, notify: compact JSON text
    std::optional<std::chrono::milliseconds> timeout;  ///< wait_push, wait_kick: when given
};

/// Parses one line. Returns nullopt and sets `error` to a sentence when the command is unknown,
/// a route is missing or longer than 255 bytes, the JSON does not parse, or a timeout is not a
/// positive number of seconds. Never throws (std::bad_alloc aside).
std::optional<command> parse_command(std::string_view line, std::string& error);

/// The help text listing the commands above.
std::string_view command_help() noexcept;

}  // namespace hearth::tools
