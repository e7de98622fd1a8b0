#pragma once
// The addresses hearth-cli accepts: tcp://HOST:PORT and ws://HOST:PORT/PATH for game clients
// (the forms a gate prints), http://HOST:PORT[/PREFIX] for an admin endpoint.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth::tools {

struct endpoint_url {
    std::string scheme;  ///< "tcp", "ws" or "http" (lower case)
    std::string host;    ///< a name or an IPv4 address; an IPv6 literal without its brackets
    std::uint16_t port = 0;
    std::string path;  ///< "/..." for ws and http ("/" when absent); empty for tcp

    /// "HOST:PORT", with brackets around an IPv6 literal: the WebSocket Host header.
    std::string authority() const;
};

/// Parses `text`. Returns nullopt and sets `error` to a sentence naming the problem when the
/// scheme is not one of `schemes` (e.g. {"tcp", "ws"}), the host is empty, the port is missing,
/// not a number or outside 1..65535, or a tcp:// URL has a path. Never throws.
std::optional<endpoint_url> parse_endpoint_url(std::string_view text,
                                               std::initializer_list<std::string_view> schemes,
                                               std::string& error);

}  // namespace hearth::tools
