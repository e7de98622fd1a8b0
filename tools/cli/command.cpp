#include "tools/cli/command.hpp"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace hearth::tools {
namespace {

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

// Splits off the first whitespace-separated word of `s`.
std::string_view next_word(std::string_view& s) {
    s = trim(s);
    const auto end = s.find_first_of(" \t");
    const auto word = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view{} : trim(s.substr(end));
    return word;
}

std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text, std::string& error) {
    double seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(seconds) || seconds <= 0 ||
        seconds > 86400) {
        error = "'" + std::string(text) + "' is not a timeout: give a number of seconds in (0, 86400]";
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000)));
}

}  // namespace

std::optional<command> parse_command(std::string_view line, std::string& error) {
    std::string_view rest = trim(line);
    command c;
    if (rest.empty() || rest.front() == '#') return c;
    const auto verb = next_word(rest);
    if (verb == "request" || verb == "notify") {
        c.what = verb == "request" ? command::kind::request : command::kind::notify;
        c.route = std::string(next_word(rest));
        if (c.route.empty()) {
            error = std::string(verb) + " needs a route: " + std::string(verb) + " ROUTE [JSON]";
            return std::nullopt;
        }
        if (c.route.size() > 255) {
            error = "the route is longer than 255 bytes";
            return std::nullopt;
        }
        if (rest.empty()) {
            c.payload = "{}";
        } else {
            auto j = nlohmann::json::parse(rest, nullptr, false);
            if (j.is_discarded()) {
                error = "the body of " + std::string(verb) + " " + c.route +
                        " is not valid JSON: " + std::string(rest);
                return std::nullopt;
            }
            c.payload = j.dump();
        }
        return c;
    }
    if (verb == "wait-push") {
        c.what = command::kind::wait_push;
        c.route = std::string(next_word(rest));
        if (c.route.empty()) {
            error = "wait-push needs a route: wait-push ROUTE [SECONDS]";
            return std::nullopt;
        }
    } else if (verb == "wait-kick") {
        c.what = command::kind::wait_kick;
    } else if (verb == "help" || verb == "?") {
        c.what = command::kind::help;
    } else if (verb == "quit" || verb == "exit") {
        c.what = command::kind::quit;
    } else {
        error = "unknown command '" + std::string(verb) + "' (type help for the list)";
        return std::nullopt;
    }
    if (c.what == command::kind::wait_push || c.what == command::kind::wait_kick) {
        if (const auto t = next_word(rest); !t.empty()) {
            c.timeout = parse_seconds(t, error);
            if (!c.timeout) return std::nullopt;
        }
    }
    if (!rest.empty()) {
        error = "unexpected text after " + std::string(verb) + ": " + std::string(rest);
        return std::nullopt;
    }
    return c;
}

std::string_view command_help() noexcept {
    return "commands:\n"
           "  request ROUTE [JSON]       send a Request (JSON defaults to {})\n"
           "  notify ROUTE [JSON]        send a Notify\n"
           "  wait-push ROUTE [SECONDS]  wait for a Push on ROUTE (one not waited for before)\n"
           "  wait-kick [SECONDS]        wait until the server kicks this client\n"
           "  help                       this text\n"
           "  quit                       close the connection and exit\n";
}

}  // namespace hearth::tools
