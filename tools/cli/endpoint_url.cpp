#include "tools/cli/endpoint_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace hearth::tools {

std::string endpoint_url::authority() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<endpoint_url> parse_endpoint_url(std::string_view text,
                                               std::initializer_list<std::string_view> schemes,
                                               std::string& error) {
    std::string expected;
    for (auto s : schemes) expected += (expected.empty() ? "" : " or ") + std::string(s) + "://";
    const auto sep = text.find("://");
    if (sep == std::string_view::npos) {
        error = "'" + std::string(text) + "' is not a URL: expected " + expected + "HOST:PORT";
        return std::nullopt;
    }
    endpoint_url u;
    u.scheme = std::string(text.substr(0, sep));
    std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(schemes.begin(), schemes.end(), u.scheme) == schemes.end()) {
        error = "'" + std::string(text) + "': the scheme must be " + expected;
        return std::nullopt;
    }
    std::string_view rest = text.substr(sep + 3);
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != std::string_view::npos) u.path = std::string(rest.substr(slash));

    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {  // [v6]:port
        const auto close = authority.find(']');
        if (close == std::string_view::npos || close + 1 >= authority.size() || authority[close + 1] != ':') {
            error = "'" + std::string(text) + "': expected [IPv6]:PORT";
            return std::nullopt;
        }
        u.host = std::string(authority.substr(1, close - 1));
        port_text = authority.substr(close + 2);
    } else {
        const auto colon = authority.rfind(':');
        if (colon == std::string_view::npos) {
            error = "'" + std::string(text) + "': the port is missing (HOST:PORT)";
            return std::nullopt;
        }
        u.host = std::string(authority.substr(0, colon));
        port_text = authority.substr(colon + 1);
    }
    if (u.host.empty()) {
        error = "'" + std::string(text) + "': the host is missing";
        return std::nullopt;
    }
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
        error = "'" + std::string(text) + "': the port must be a number in 1..65535";
        return std::nullopt;
    }
    u.port = static_cast<std::uint16_t>(port);
    if (u.scheme == "tcp") {
        if (!u.path.empty() && u.path != "/") {
            error = "'" + std::string(text) + "': a tcp:// address has no path";
            return std::nullopt;
        }
        u.path.clear();
    } else if (u.path.empty()) {
        u.path = "/";
    }
    return u;
}

}  // namespace hearth::tools
